"""Typo rules: when a typed word or title is a slip of the fingers rather than another word."""
from __future__ import annotations

from rapidfuzz.distance import OSA

from services.matcher.normalize import NUMBERS, STOP_WORDS, key_numbers


def allowed_edits(key: str) -> int:
    """Typos forgiven in a key of this length (as search engines' "AUTO" fuzziness): 0, 1, then 2 from 6 letters."""
    n = len(key.replace(" ", ""))
    return 0 if n <= 2 else 1 if n <= 5 else 2


def _doubled(a: str, b: str) -> bool:
    """Whether one of a, b is the other with one letter doubled ("jawss" / "jaws", "sped" / "speed")."""
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    if len(longer) != len(shorter) + 1:
        return False
    return any(longer[i] == longer[i - 1] and longer[:i] + longer[i + 1:] == shorter for i in range(1, len(longer)))


def _word_typo(typed: str, word: str, alone: bool, slack: int = 0) -> bool:
    """Whether one typed word reads as a typo of a title word (equal counts as yes); `alone`: it is the whole title;
    `slack`: edits allowed beyond allowed_edits."""
    if typed == word:
        return True
    edits = OSA.distance(typed, word)
    if edits > allowed_edits(word) + slack:
        return False
    if typed[:1] != word[:1] and typed[:2] != word[1::-1] and (alone or typed[1:] != word[1:]):
        # people rarely miss a first letter ("dark knight" is not "Dark Night"), though in a longer
        # title they may mistake it for one that sounds alike ("citizen cane")
        return False
    if alone and len(word) <= 6 and abs(len(typed) - len(word)) == 1:
        # one letter more or less at the end of a short word is another word unless doubled:
        # "jawss" is Jaws, "rocky" is not "Rock"
        longer, shorter = (typed, word) if len(typed) > len(word) else (word, typed)
        if longer.startswith(shorter) and not _doubled(typed, word):
            return False
    if alone and len(word) <= 4 and sorted(typed) != sorted(word) and not _doubled(typed, word):
        return False  # another letter in a short title is another title ("star" / "Stag"); a swap is a typo
    return True


def is_typo_of(query: str, key: str, edits: int) -> bool:
    """Whether `query`, `edits` edits (OSA) from `key`, reads as a typo of it rather than another title.

    Word by word when both have as many words, else as one word.
    """
    if edits == 0 or edits > allowed_edits(key):
        return False
    typed, words = query.split(), key.split()
    if len(typed) != len(words):
        return _word_typo(query.replace(" ", ""), key.replace(" ", ""), alone=True)
    return all(_word_typo(t, w, alone=len(words) == 1) for t, w in zip(typed, words))


def is_near_typo(query: str, key: str) -> bool:
    """Whether `query` reads as a misspelling of `key` with one slip more per word than a typo is allowed
    ("indepence day" / "independence day"): as many words, each a typo of its own by shape, same numbers."""
    typed, words = query.split(), key.split()
    if len(typed) != len(words) or key_numbers(query) != key_numbers(key):
        return False
    return all(_word_typo(t, w, alone=len(words) == 1, slack=1) for t, w in zip(typed, words))


def numbers_agree(query: str, key: str) -> bool:
    """Whether the numbers of a query and a key agree, a typo in a number word forgiven
    ("twelev monkeys" has Twelve Monkeys' number; "alien" lacks Alien 3's)."""
    typed, wanted = key_numbers(query), key_numbers(key)
    if typed == wanted:
        return True
    missing = [n for n in wanted if n not in typed]
    if any(n not in wanted for n in typed) or not missing:
        return False
    words = [w for w in query.split() if w not in NUMBERS]
    return all(any(OSA.distance(w, n) <= 1 + (len(n) > 4) for w in words) for n in missing)


def has_foreign_word(query: str, key: str) -> bool:
    """Whether, word for word (stop words aside), some typed word is no typo of its title word
    ("holy story" / "toy story")."""
    typed = [w for w in query.split() if w not in STOP_WORDS] or query.split()
    words = [w for w in key.split() if w not in STOP_WORDS] or key.split()
    if len(typed) != len(words) or len(words) < 2 or "".join(typed) == "".join(words):
        return False  # other word counts, or only a space moved ("shootin gfish")
    # in typed order and in sorted order ("suspects usual" is Usual Suspects reordered, not a new word)
    return not any(all(_word_typo(t, w, alone=False) for t, w in zip(a, b))
                   for a, b in ((typed, words), (sorted(typed), sorted(words))))
