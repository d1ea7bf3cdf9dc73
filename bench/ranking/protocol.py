"""The held-out-user protocol: user split, 5-liked-movies queries, HR/Recall/NDCG@k, coverage, novelty."""
from __future__ import annotations

from collections.abc import Callable
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
                 holdout: float = 0.2) -> Split:
    """As split_users, for ratings given as (N,) user index < n_users, item row and rating arrays."""
    rng = np.random.default_rng(seed)
    held = np.zeros(n_users, dtype=bool)
    held[rng.permutation(n_users)[: int(round(n_users * holdout))]] = True
    train = ~held[users]
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
        queries.append(Query(int(u), items[pick[:N_INPUT]].astype(np.int64), ratings[pick[:N_INPUT]],
                             np.sort(items[pick[N_INPUT:]].astype(np.int64))))
    return Split(dense[users[train]], items[train].astype(np.int32), ratings[train], len(kept), queries)


# A recommender under test: (input rows, input ratings, k) -> top-k catalog rows, inputs excluded.
Recommender = Callable[[np.ndarray, np.ndarray, int], np.ndarray]


@dataclass(frozen=True)
class Scores:
    hr: float
    recall: float
    ndcg: float
    coverage: float
    pop_rank: float

    def row(self) -> dict[str, float]:
        return {"HR@10": self.hr, "Recall@10": self.recall, "NDCG@10": self.ndcg,
                "coverage": self.coverage, "pop_rank": self.pop_rank}


def top_k(scores: np.ndarray, exclude: np.ndarray, k: int) -> np.ndarray:
    """Rows (k,) of the k highest scores (float, (I,)), never one of `exclude`; ties by row order."""
    s = scores.astype(np.float64, copy=True)
    s[exclude] = -np.inf
    top = np.argpartition(-s, k - 1)[:k]
    return top[np.argsort(-s[top], kind="stable")]


def score(recommend: Recommender, queries: list[Query], popularity_rank: np.ndarray, n_items: int,
          k: int = 10) -> Scores:
    """Mean HR/Recall/NDCG@k over queries, catalog coverage and mean popularity rank (1 = most rated)."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    hr, recall, ndcg, pop = [], [], [], []
    seen = np.zeros(n_items, dtype=bool)
    for q in queries:
        rec = recommend(q.input_rows, q.input_ratings, k)
        hit = np.isin(rec, q.targets)
        hr.append(float(hit.any()))
        recall.append(hit.sum() / min(k, len(q.targets)))
        ndcg.append(float(discounts[hit].sum() / discounts[: min(k, len(q.targets))].sum()))
        pop.append(popularity_rank[rec].mean())
        seen[rec] = True
    return Scores(float(np.mean(hr)), float(np.mean(recall)), float(np.mean(ndcg)),
                  float(seen.mean()), float(np.mean(pop)))
