"""Character-trigram candidate search: the few keys worth scoring out of tens of thousands."""
from __future__ import annotations

import numpy as np


def trigrams(key: str) -> set[str]:
    """The distinct 3-character windows of " key ", so short keys and word edges count: "jaws" -> {" ja", "jaw", "aws", "ws "}."""
    padded = f" {key} "
    return {padded[i:i + 3] for i in range(len(padded) - 2)}


class TrigramIndex:
    """Keys by shared trigrams, as compressed sparse rows: gram id -> sorted key positions.

    A typo changes at most three trigrams of a word, so the right key still shares most of the
    query's; the Dice coefficient (2 * shared / (query grams + key grams)) ranks it near the top
    without looking at the letters of every key.
    """

    def __init__(self, keys: list[str]) -> None:
        self._gram_ids: dict[str, int] = {}
        gram_of, key_of = [], []
        counts = np.zeros(len(keys), dtype=np.int32)  # (K,) distinct trigrams per key
        for position, key in enumerate(keys):
            grams = trigrams(key)
            counts[position] = len(grams)
            for gram in grams:
                gram_of.append(self._gram_ids.setdefault(gram, len(self._gram_ids)))
                key_of.append(position)
        gram_arr = np.asarray(gram_of, dtype=np.int64)
        order = np.argsort(gram_arr, kind="stable")
        self._postings = np.asarray(key_of, dtype=np.int32)[order]  # (P,) key positions grouped by gram
        self._offsets = np.concatenate(([0], np.cumsum(np.bincount(gram_arr, minlength=len(self._gram_ids)))))
        self._key_grams = counts.astype(np.float32)
        self.size = len(keys)

    def top(self, query_key: str, k: int) -> np.ndarray:
        """(<= k,) int64 positions of the keys sharing most trigrams with query_key (Dice), best first; no zero scores."""
        grams = trigrams(query_key)
        ids = [self._gram_ids[g] for g in grams if g in self._gram_ids]
        if not ids:
            return np.zeros(0, dtype=np.int64)
        postings = np.concatenate([self._postings[self._offsets[i]:self._offsets[i + 1]] for i in ids])
        shared = np.bincount(postings, minlength=self.size)  # (K,)
        hits = np.flatnonzero(shared)  # (H,) usually a small share of the keys
        dice = 2.0 * shared[hits].astype(np.float32) / (len(grams) + self._key_grams[hits])  # (H,)
        if len(hits) > k:
            best = np.argpartition(-dice, k)[:k]
            hits, dice = hits[best], dice[best]
        return hits[np.argsort(-dice, kind="stable")].astype(np.int64)
