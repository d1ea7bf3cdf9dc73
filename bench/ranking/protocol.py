"""The held-out-user protocol's scores of a recommender: HR/Recall/NDCG@k, coverage, novelty and variety.

The split itself (whole users held out, 5 liked movies in, the rest as targets) is trainer/heldout.py,
which the trainer also uses to choose the ranking blend.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from movierec.ranking.diversity import genre_coverage, intra_list_distance
from trainer.heldout import Query

# A recommender under test: (input rows, input ratings, k) -> top-k catalog rows, inputs excluded.
Recommender = Callable[[np.ndarray, np.ndarray, int], np.ndarray]


@dataclass(frozen=True)
class Scores:
    hr: float
    recall: float
    ndcg: float
    coverage: float
    pop_rank: float
    ild: float = float("nan")  # mean intra-list distance of the lists' genre vectors (1 - cosine)
    genres: float = float("nan")  # mean number of distinct genres in a list

    def row(self) -> dict[str, float]:
        return {"HR@10": self.hr, "Recall@10": self.recall, "NDCG@10": self.ndcg,
                "coverage": self.coverage, "pop_rank": self.pop_rank, "ILD": self.ild, "genres": self.genres}


def top_k(scores: np.ndarray, exclude: np.ndarray, k: int) -> np.ndarray:
    """Rows (k,) of the k highest scores (float, (I,)), never one of `exclude`; ties by row order."""
    s = scores.astype(np.float64, copy=True)
    s[exclude] = -np.inf
    top = np.argpartition(-s, k - 1)[:k]
    return top[np.argsort(-s[top], kind="stable")]


def score(recommend: Recommender, queries: list[Query], popularity_rank: np.ndarray, n_items: int,
          k: int = 10, genre_matrix: np.ndarray | None = None) -> Scores:
    """Mean HR/Recall/NDCG@k over queries, catalog coverage and mean popularity rank (1 = most rated);
    with genre_matrix (I, G) 0/1, also the lists' mean genre intra-list distance and distinct genres."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    hr, recall, ndcg, pop, ild, genres = [], [], [], [], [], []
    seen = np.zeros(n_items, dtype=bool)
    for q in queries:
        rec = recommend(q.input_rows, q.input_ratings, k)
        hit = np.isin(rec, q.targets)
        hr.append(float(hit.any()))
        recall.append(hit.sum() / min(k, len(q.targets)))
        ndcg.append(float(discounts[hit].sum() / discounts[: min(k, len(q.targets))].sum()))
        pop.append(popularity_rank[rec].mean())
        seen[rec] = True
        if genre_matrix is not None:
            ild.append(intra_list_distance(genre_matrix[rec]))
            genres.append(genre_coverage(genre_matrix[rec]))
    nan = float("nan")
    return Scores(float(np.mean(hr)), float(np.mean(recall)), float(np.mean(ndcg)), float(seen.mean()),
                  float(np.mean(pop)), float(np.mean(ild)) if ild else nan, float(np.mean(genres)) if genres else nan)
