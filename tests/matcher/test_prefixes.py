"""WordStartIndex against the obvious scan of every key."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.matcher.prefixes import WordStartIndex

words = st.text(alphabet="abcé ", min_size=1, max_size=8).map(lambda w: " ".join(w.split()) or "a")
keys_strategy = st.lists(words, min_size=1, max_size=60)


@settings(max_examples=300, deadline=None)
@given(keys=keys_strategy, prefix=st.text(alphabet="abcé ", min_size=1, max_size=4))
def test_starting_with_is_every_word_start(keys, prefix):
    owners, at_start = WordStartIndex(keys).starting_with(prefix)
    expected = sorted((p, i == 0) for p, key in enumerate(keys) for i in range(len(key))
                      if (i == 0 or (key[i - 1] == " " and key[i] != " ")) and key[i:].startswith(prefix))
    assert sorted(zip(owners.tolist(), at_start.tolist())) == expected


@settings(max_examples=300, deadline=None)
@given(keys=keys_strategy, phrase=words)
def test_phrase_is_every_key_holding_the_words(keys, phrase):
    got = WordStartIndex(keys).phrase(phrase, limit=1000)
    assert got.tolist() == [p for p, key in enumerate(keys) if f" {phrase} " in f" {key} "]


def test_a_common_phrase_is_not_told():
    assert WordStartIndex(["the end", "the start", "the middle"]).phrase("the", limit=2) is None
