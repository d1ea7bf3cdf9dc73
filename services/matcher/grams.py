"""Character-trigram candidate search: the few keys worth scoring out of tens of thousands."""
from __future__ import annotations

import numpy as np

# Up to this many postings (a small catalog, or rare trigrams) every key sharing one is ranked.
FEW_POSTINGS = 4096


def trigrams(key: str) -> set[str]:
    """The distinct 3-character windows of " key ", so short keys and word edges count:
    "jaws" -> {" ja", "jaw", "aws", "ws "}."""
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
        postings = np.asarray(key_of, dtype=np.int32)[order]  # (P,) key positions grouped by gram, ascending
        offsets = np.concatenate(([0], np.cumsum(np.bincount(gram_arr, minlength=len(self._gram_ids)))))
        self._posting_lists = [postings[a:b] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]  # views
        self._key_grams = counts.astype(np.float32)
        self.size = len(keys)

    def top(self, query_key: str, k: int) -> np.ndarray:
        """(<= k,) int64 positions of the keys sharing most trigrams with query_key (Dice), best first
        (equal scores: lower position first); no zero scores."""
        grams = trigrams(query_key)
        ids = [i for i in map(self._gram_ids.get, grams) if i is not None]
        if not ids:
            return np.zeros(0, dtype=np.int64)
        n = len(grams)
        postings = np.concatenate([self._posting_lists[i] for i in ids])
        shared = np.bincount(postings, minlength=self.size)  # (K,) grams each key shares with the query
        hits = np.flatnonzero(shared) if len(postings) <= FEW_POSTINGS else self._may_reach_top(shared, n, k)
        dice = 2.0 * shared[hits].astype(np.float32) / (n + self._key_grams[hits])  # (H,)
        if len(hits) > k:
            kth = np.partition(dice, len(dice) - k)[len(dice) - k]
            best = np.flatnonzero(dice >= kth)  # ties at the k-th score: all kept, sorted by position below
            hits, dice = hits[best], dice[best]
        return hits[np.argsort(-dice, kind="stable")][:k].astype(np.int64)

    def _may_reach_top(self, shared: np.ndarray, n: int, k: int) -> np.ndarray:
        """(H,) ascending positions of the keys that can be among the k best Dice scores, from (K,) shared counts.

        Gathering every key that shares a gram was most of a 62K-movie search (tens of thousands share
        a common one). Instead: the keys sharing the most grams, at least k of them; the k-th best Dice
        among those; then every key that could still reach it. A key sharing s grams has at least s of
        its own, so its Dice is at most 2s / (n + s).
        """
        at_least = np.cumsum(np.bincount(shared)[::-1])[::-1]  # (max + 1,) keys sharing >= s grams
        most = max(1, int(np.flatnonzero(at_least >= k)[-1])) if at_least[1] >= k else 1
        hits = np.flatnonzero(shared >= most)
        if len(hits) < k:
            return hits
        dice = 2.0 * shared[hits].astype(np.float32) / (n + self._key_grams[hits])
        kth = float(np.partition(dice, len(dice) - k)[len(dice) - k])
        reach = max(1, int(kth * n / (2.0 - kth) - 1e-6))  # fewest shared grams with 2s / (n + s) >= kth
        return hits if reach >= most else np.flatnonzero(shared >= reach)
