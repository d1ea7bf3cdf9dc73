"""Chooses the serving blend (item graph, MF, popularity weights, alpha) on validation users of the training part."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from bench.ranking.baselines import interactions
from bench.ranking.protocol import Query, split_arrays, top_k
from services.common.artifact import Artifact, CatalogMovie
from services.scorer import item_graph
from services.scorer.model import HybridModel
from trainer.sgd import MFModel, TrainParams, fit

LAMBDAS = (1600.0, 3200.0, 6400.0, 12800.0)  # EASE L2 grid (also the EASE baseline's)
COSINE_SHARES = (0.3, 0.5, 0.7)
MF_WEIGHTS = (0.0, 0.1, 0.2)
POP_WEIGHTS = (0.0, 0.1, 0.2, 0.4)
ALPHAS = (0.8, 0.9, 1.0)
NEIGHBORS = 200  # kept per movie: O(liked * N) per request, and (I, N) arrays in the artifact
RATING_MID, RATING_MAX = 3.0, 5.0


@dataclass(frozen=True)
class Blend:
    lam: float
    cosine_share: float
    mf: float
    popularity: float
    alpha: float
    validation_ndcg: float

    def serving(self) -> dict[str, Any]:
        """The artifact manifest's serving entries this blend stands for."""
        return {"default_alpha": self.alpha, "weights": {"graph": 1.0, "mf": self.mf, "popularity": self.popularity},
                "item_graph": {"method": "EASE + cosine, pruned", "lambda": self.lam,
                               "cosine_share": self.cosine_share, "neighbors": NEIGHBORS},
                "validation_ndcg10": round(self.validation_ndcg, 4)}


def _z(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(axis=-1, keepdims=True)) / np.maximum(x.std(axis=-1, keepdims=True), 1e-12)


class _Judge:
    """NDCG@k of many score matrices (Q, I) for one set of queries, whole-array."""

    def __init__(self, queries: list[Query], n_items: int, k: int = 10) -> None:
        self.k = k
        self.targets = np.zeros((len(queries), n_items), dtype=bool)
        self.inputs = np.zeros((len(queries), n_items), dtype=bool)
        for i, q in enumerate(queries):
            self.targets[i, q.targets] = True
            self.inputs[i, q.input_rows] = True
        self.discounts = 1.0 / np.log2(np.arange(2, k + 2))
        ideal = np.cumsum(self.discounts)
        self.ideal = ideal[np.minimum(self.targets.sum(axis=1), k) - 1]

    def ndcg(self, scores: np.ndarray) -> float:
        s = np.where(self.inputs, -np.inf, scores)
        top = np.argpartition(-s, self.k - 1, axis=1)[:, : self.k]
        top = np.take_along_axis(top, np.argsort(-np.take_along_axis(s, top, axis=1), axis=1, kind="stable"), axis=1)
        hits = np.take_along_axis(self.targets, top, axis=1)
        return float(((hits * self.discounts).sum(axis=1) / self.ideal).mean())




def tune(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, genres: np.ndarray,
         params: TrainParams, seed: int) -> tuple[Blend, float, list[Blend]]:
    """Grid search on a validation 20% of these (training) users: the best blend, EASE's best lambda,
    and every blend tried (with its validation NDCG@10).

    users (N,) int32 < n_users, items (N,) int32 catalog rows, ratings (N,) float32; genres (I, G).
    """
    n_items = genres.shape[0]
    split = split_arrays(users, items, ratings, n_users, seed=10_000 + seed)
    queries = split.queries
    x = interactions(split.train_users, split.train_items, split.n_train_users, n_items)
    mf = fit(split.train_users, split.train_items, split.train_ratings, split.n_train_users, n_items, params)
    counts = np.bincount(split.train_items, minlength=n_items)
    pop = _z(np.log1p(counts.astype(np.float64)))
    g_units = genres / np.maximum(np.linalg.norm(genres, axis=1, keepdims=True), 1e-12)
    w = [(q.input_ratings.astype(np.float64) - RATING_MID) / (RATING_MAX - RATING_MID) for q in queries]
    content = _z(np.stack([g_units @ (wi @ g_units[q.input_rows]) for wi, q in zip(w, queries)]))
    factors = _z(np.stack([mf.item_factors @ (wi @ mf.item_factors[q.input_rows] / np.abs(wi).sum())
                           for wi, q in zip(w, queries)]))
    judge = _Judge(queries, n_items)
    inputs = judge.inputs.astype(np.float64)
    cosine = item_graph.cosine_weights(x)
    tried: list[Blend] = []
    ease_best = (-1.0, 0.0)  # (validation NDCG@10, lambda) of plain EASE, the baseline
    for lam in LAMBDAS:
        ease = item_graph.ease_weights(x, lam)
        ease_best = max(ease_best, (judge.ndcg(inputs @ ease), lam))
        for share in COSINE_SHARES:
            nbr, nw = item_graph.prune(item_graph.combine(ease, cosine, share), NEIGHBORS)
            graph = _z(np.stack([item_graph.graph_scores(nbr, nw, q.input_rows, wi, n_items)
                                 for wi, q in zip(w, queries)]))
            for wm, wp, alpha in itertools.product(MF_WEIGHTS, POP_WEIGHTS, ALPHAS):
                ndcg = judge.ndcg(alpha * _z(graph + wm * factors + wp * pop) + (1 - alpha) * content)
                tried.append(Blend(lam, share, wm, wp, alpha, ndcg))
    return max(tried, key=lambda b: b.validation_ndcg), ease_best[1], tried


def build_graph(users: np.ndarray, items: np.ndarray, n_users: int, n_items: int,
                blend: Blend) -> tuple[np.ndarray, np.ndarray]:
    """The pruned item graph (I, N) int32 / float32 from all given ratings, as the artifact stores it."""
    x = interactions(users, items, n_users, n_items)
    return item_graph.prune(item_graph.blended_weights(x, blend.lam, blend.cosine_share), NEIGHBORS)


def in_memory_model(mf: MFModel, movies: tuple[CatalogMovie, ...], counts: np.ndarray, genres: np.ndarray,
                    genre_names: tuple[str, ...], serving: dict[str, Any],
                    graph: tuple[np.ndarray, np.ndarray] | None) -> HybridModel:
    """The serving HybridModel over an in-memory artifact; counts (I,) replace the catalog's n_ratings
    so popularity comes from the training users only."""
    arrays = {"global_mean": np.float32(mf.global_mean), "user_ids": np.arange(len(mf.user_bias), dtype=np.int64),
              "item_ids": np.array([m.movie_id for m in movies], dtype=np.int64),
              "user_factors": mf.user_factors, "item_factors": mf.item_factors,
              "user_bias": mf.user_bias, "item_bias": mf.item_bias}
    if graph is not None:
        arrays["neighbor_rows"], arrays["neighbor_weights"] = graph
    movies = tuple(replace(m, n_ratings=int(c)) for m, c in zip(movies, counts))
    manifest = {"version": "evaluation", "serving": serving}
    index = {m.movie_id: row for row, m in enumerate(movies)}
    return HybridModel(Artifact(Path("."), manifest, arrays, genres, genre_names, movies, index))
