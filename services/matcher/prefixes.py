"""Word-start suffix array: every key position where a typed prefix or phrase can begin, found by binary search."""
from __future__ import annotations

import numpy as np

_TOP_CODEPOINT = "\U0010ffff"


class WordStartIndex:
    """Every word-start suffix of every key, sorted: "jurassic park" is stored as "jurassic park"
    (at the start of the key) and "park" (an inner word), so a prefix is two binary searches."""

    def __init__(self, keys: list[str]) -> None:
        suffixes, owners, at_start = [], [], []
        for position, key in enumerate(keys):
            for i, ch in enumerate(key):
                if i == 0 or (key[i - 1] == " " and ch != " "):
                    suffixes.append(key[i:])
                    owners.append(position)
                    at_start.append(i == 0)
        order = np.argsort(np.asarray(suffixes), kind="stable")
        self._suffixes = np.asarray(suffixes)[order]  # (S,) unicode, sorted
        self._owner = np.asarray(owners, dtype=np.int64)[order]  # (S,) key position
        self._at_start = np.asarray(at_start, dtype=bool)[order]  # (S,)
        self._lengths = np.asarray([len(s) for s in suffixes], dtype=np.int64)[order]  # (S,)

    def span(self, prefix: str) -> tuple[int, int]:
        """[lo, hi) of the sorted suffixes that start with prefix."""
        lo, hi = np.searchsorted(self._suffixes, [prefix, prefix + _TOP_CODEPOINT])
        return int(lo), int(hi)

    def starting_with(self, prefix: str) -> tuple[np.ndarray, np.ndarray]:
        """(H,) int64 key positions with a word starting with prefix, and (H,) bool: at the key's start."""
        lo, hi = self.span(prefix)
        return self._owner[lo:hi], self._at_start[lo:hi]

    def phrase(self, words: str, limit: int) -> np.ndarray | None:
        """(H,) int64 key positions holding `words` as whole words ("last crusade" in "indiana jones
        and the last crusade"); None when more than `limit` suffixes start with it (too common to tell)."""
        lo, hi = self.span(words)
        if hi - lo > limit:
            return None
        n = len(words)
        whole = [i for i in range(lo, hi) if self._lengths[i] == n or self._suffixes[i][n] == " "]
        return np.unique(self._owner[whole]) if whole else np.zeros(0, dtype=np.int64)
