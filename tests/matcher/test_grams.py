"""TrigramIndex.top against the obvious ranking of every key by Dice."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import services.matcher.grams as grams_module
from services.matcher.grams import TrigramIndex, trigrams


def slow_top(keys: list[str], query: str, k: int) -> list[int]:
    """Every key sharing a trigram, by Dice (float32, as the index computes it) then position."""
    q = trigrams(query)
    scored = []
    for position, key in enumerate(keys):
        shared = len(q & trigrams(key))
        if shared:
            dice = np.float32(2.0) * np.float32(shared) / np.float32(len(q) + len(trigrams(key)))
            scored.append((-dice, position))
    return [position for _, position in sorted(scored)[:k]]


# Few letters, so that keys share many trigrams and the count threshold of `top` has work to do.
words = st.text(alphabet="abcde", min_size=1, max_size=7)
keys_strategy = st.lists(st.lists(words, min_size=1, max_size=3).map(" ".join), min_size=1, max_size=120)


@pytest.fixture(params=["every sharing key", "count threshold"])
def few_postings(request, monkeypatch):
    """Both ways `top` gathers keys: all that share a gram (few postings), or by the count threshold."""
    if request.param == "count threshold":
        monkeypatch.setattr(grams_module, "FEW_POSTINGS", 0)


# The fixture only sets a constant, the same for every example.
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=keys_strategy, query=st.lists(words, min_size=1, max_size=3).map(" ".join), k=st.integers(1, 40))
def test_top_is_the_dice_ranking(few_postings, keys, query, k):
    assert TrigramIndex(keys).top(query, k).tolist() == slow_top(keys, query, k)


@pytest.mark.parametrize("k", [1, 5, 64])
def test_top_on_many_similar_keys(few_postings, k):
    rng = np.random.default_rng(4)
    syllables = ["ka", "lo", "mi", "ran", "del", "sol", "ber", "nos"]
    keys = [" ".join("".join(rng.choice(syllables, size=int(rng.integers(1, 4))))
                     for _ in range(int(rng.integers(1, 4))))
            for _ in range(3000)]
    index = TrigramIndex(keys)
    for query in ("kalomi ranber", "solnos", "delkaa mi", "bernoslo kami sol", "zz"):
        assert index.top(query, k).tolist() == slow_top(keys, query, k), query


def test_top_of_nothing_known_is_empty():
    assert TrigramIndex(["jaws", "heat"]).top("xyz", 5).tolist() == []
