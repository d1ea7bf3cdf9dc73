"""Word-start suffix array: every key position where a typed prefix or phrase can begin, found by binary search."""
from __future__ import annotations

from bisect import bisect_left

import numpy as np

_TOP_CODEPOINT = "\U0010ffff"


class WordStartIndex:
    """Every word-start suffix of every key, sorted: "jurassic park" is stored as "jurassic park"
    (at the start of the key) and "park" (an inner word), so a prefix is two binary searches.

    The suffixes are a sorted list of str, searched with bisect: a fixed-width numpy unicode array
    took 4 bytes per character of the longest suffix for every one (50 MiB at 62K movies).
    """

    def __init__(self, keys: list[str]) -> None:
        suffixes, owners, at_start = [], [], []
        for position, key in enumerate(keys):
            for i, ch in enumerate(key):
                if i == 0 or (key[i - 1] == " " and ch != " "):
                    suffixes.append(key[i:])
                    owners.append(position)
                    at_start.append(i == 0)
        order = sorted(range(len(suffixes)), key=suffixes.__getitem__)  # stable: equal suffixes keep key order
        self._suffixes = [suffixes[i] for i in order]  # (S,) sorted
        order_arr = np.asarray(order, dtype=np.int64)
        self._owner = np.asarray(owners, dtype=np.int64)[order_arr]  # (S,) key position
        self._at_start = np.asarray(at_start, dtype=bool)[order_arr]  # (S,)

    def span(self, prefix: str) -> tuple[int, int]:
        """[lo, hi) of the sorted suffixes that start with prefix."""
        return bisect_left(self._suffixes, prefix), bisect_left(self._suffixes, prefix + _TOP_CODEPOINT)

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
        whole = [i for i in range(lo, hi) if len(self._suffixes[i]) == n or self._suffixes[i][n] == " "]
        return np.unique(self._owner[whole]) if whole else np.zeros(0, dtype=np.int64)
