"""The held-out-user split: whole users held out, 5 of their liked movies as the query, the rest as targets.

The trainer chooses the ranking blend on such splits of its training users (trainer.tune_ranking);
bench/ranking scores the finished recommender on them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.dataset import Dataset

LIKED = 4.0  # a rating at or above this is a "liked" movie
MIN_LIKED = 10  # held-out users need at least this many liked movies
N_INPUT = 5  # liked movies given as the query; the rest of the liked movies are the targets


@dataclass(frozen=True)
class Query:
    """One held-out user's query: input item rows (5,) int64 with their ratings (5,) float32, target rows."""

    user: int  # user index in the split's input arrays
    input_rows: np.ndarray
    input_ratings: np.ndarray
    targets: np.ndarray


@dataclass(frozen=True)
class Split:
    """Training ratings (as catalog rows of the whole dataset) and the held-out users' queries."""

    train_users: np.ndarray  # (N,) int32 dense user index among training users
    train_items: np.ndarray  # (N,) int32 catalog row
    train_ratings: np.ndarray  # (N,) float32
    n_train_users: int
    queries: list[Query]


def split_users(dataset: Dataset, seed: int, holdout: float = 0.2) -> Split:
    """Holds out `holdout` of the dataset's users (seeded); queries for those with >= MIN_LIKED liked movies."""
    users, items = dataset.indices()
    return split_arrays(users, items, dataset.rating, len(dataset.user_ids()), seed, holdout)


def split_arrays(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, seed: int,
                 holdout: float = 0.2, trained: np.ndarray | None = None, samples: int = 1,
                 fold: tuple[int, int] | None = None) -> Split:
    """As split_users, for ratings given as (N,) user index < n_users, item row and rating arrays.

    trained, (N,) bool, keeps only those ratings of the training users for training (the queries
    stay the same): the retrain gate scores a model that saw less data on the same split.
    samples > 1 gives each held-out user that many queries, the first as with 1 and the others with
    other draws of the 5 inputs (a learning-to-rank stage trains on them); a user's queries are adjacent.
    fold = (i, k) holds out the i-th of k equal parts of the seed's order of users instead of `holdout`:
    the k folds of one seed hold out disjoint users, together all of them.
    """
    rng = np.random.default_rng(seed)
    held = np.zeros(n_users, dtype=bool)
    shuffled = rng.permutation(n_users)
    if fold is None:
        held[shuffled[: int(round(n_users * holdout))]] = True
    else:
        held[shuffled[fold[0] * n_users // fold[1]:(fold[0] + 1) * n_users // fold[1]]] = True
    train = ~held[users] if trained is None else ~held[users] & trained
    kept = np.flatnonzero(~held)
    dense = np.full(n_users, -1, dtype=np.int32)
    dense[kept] = np.arange(len(kept), dtype=np.int32)
    order = np.argsort(users, kind="stable")
    starts = np.searchsorted(users[order], np.arange(n_users + 1))
    queries = []
    for u in np.flatnonzero(held):
        mine = order[starts[u]:starts[u + 1]]
        liked = mine[ratings[mine] >= LIKED]
        if len(liked) < MIN_LIKED:
            continue
        pick = liked[rng.permutation(len(liked))]
        # further draws from their own generator, so the first query of every user is the same for any samples
        more = np.random.default_rng((seed, int(u))) if samples > 1 else rng
        for s in range(samples):
            if s:
                pick = liked[more.permutation(len(liked))]
            queries.append(Query(int(u), items[pick[:N_INPUT]].astype(np.int64), ratings[pick[:N_INPUT]],
                                 np.sort(items[pick[N_INPUT:]].astype(np.int64))))
    return Split(dense[users[train]], items[train].astype(np.int32), ratings[train], len(kept), queries)


class Judge:
    """NDCG@k and Recall@k of many score matrices (Q, I) for one list of queries, whole-array."""

    def __init__(self, queries: list[Query], n_items: int, k: int = 10) -> None:
        self.k = k
        self.targets = np.zeros((len(queries), n_items), dtype=bool)
        self.inputs = np.zeros((len(queries), n_items), dtype=bool)
        for i, q in enumerate(queries):
            self.targets[i, q.targets] = True
            self.inputs[i, q.input_rows] = True
        self.discounts = 1.0 / np.log2(np.arange(2, k + 2))
        self.n_relevant = np.minimum(self.targets.sum(axis=1), k)
        self.ideal = np.cumsum(self.discounts)[self.n_relevant - 1]

    def ndcg_recall(self, scores: np.ndarray) -> tuple[float, float]:
        """Mean NDCG@k and Recall@k (hits / min(k, targets)) of score rows (Q, I), inputs excluded."""
        s = np.where(self.inputs, -np.inf, scores)
        top = np.argpartition(-s, self.k - 1, axis=1)[:, : self.k]
        top = np.take_along_axis(top, np.argsort(-np.take_along_axis(s, top, axis=1), axis=1, kind="stable"), axis=1)
        ndcg, recall = self.per_query(top)
        return float(ndcg.mean()), float(recall.mean())

    def per_query(self, top: np.ndarray, first: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """NDCG@k and Recall@k of ranked lists top (B, ..., k) of queries first..first+B-1: two (B, ...) arrays."""
        b = np.arange(first, first + top.shape[0]).reshape((-1,) + (1,) * (top.ndim - 1))
        hits = self.targets[b, top]
        shape = (-1,) + (1,) * (top.ndim - 2)
        ndcg = (hits * self.discounts).sum(axis=-1) / self.ideal[b[..., 0]].reshape(shape)
        return ndcg, hits.sum(axis=-1) / self.n_relevant[b[..., 0]].reshape(shape)
