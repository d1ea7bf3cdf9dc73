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
from services.scorer.model import DEFAULT_FOLDIN_REG, HybridModel, fold_in
from trainer.model import Params, fit_model
from trainer.sgd import MFModel

LAMBDAS = (1600.0, 3200.0, 6400.0, 12800.0)  # EASE L2 grid (also the EASE baseline's)
COSINE_SHARES = (0.3, 0.5, 0.7, 0.9)
INNER_SPLITS = 3  # validation splits per tuning, averaged
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
    validation: float  # mean of (NDCG@10 + Recall@10) / 2 over the validation splits

    def serving(self) -> dict[str, Any]:
        """The artifact manifest's serving entries this blend stands for."""
        return {"default_alpha": self.alpha, "weights": {"graph": 1.0, "mf": self.mf, "popularity": self.popularity},
                "item_graph": {"method": "EASE + cosine, pruned", "lambda": self.lam,
                               "cosine_share": self.cosine_share, "neighbors": NEIGHBORS},
                "validation_ndcg_recall10": round(self.validation, 4)}


def _z(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(axis=-1, keepdims=True)) / np.maximum(x.std(axis=-1, keepdims=True), 1e-12)


class _Judge:
    """NDCG@k and Recall@k of many score matrices (Q, I) for one set of queries, whole-array."""

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

    def ndcg_recall(self, scores: np.ndarray) -> tuple[float, float]:
        """Mean NDCG@k and Recall@k of score rows (Q, I), inputs excluded."""
        s = np.where(self.inputs, -np.inf, scores)
        top = np.argpartition(-s, self.k - 1, axis=1)[:, : self.k]
        top = np.take_along_axis(top, np.argsort(-np.take_along_axis(s, top, axis=1), axis=1, kind="stable"), axis=1)
        hits = np.take_along_axis(self.targets, top, axis=1)
        ndcg = float(((hits * self.discounts).sum(axis=1) / self.ideal).mean())
        return ndcg, float((hits.sum(axis=1) / np.minimum(self.targets.sum(axis=1), self.k)).mean())


def _validate(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, genres: np.ndarray,
              params: Params, seed: int, scores: dict[tuple, list[float]], ease: dict[float, list[float]]) -> None:
    """Scores every grid point on one validation split; appends (NDCG@10 + Recall@10) / 2 to scores[key]
    and EASE's NDCG@10 to ease[lambda]."""
    n_items = genres.shape[0]
    split = split_arrays(users, items, ratings, n_users, seed=seed)
    queries = split.queries
    x = interactions(split.train_users, split.train_items, split.n_train_users, n_items)
    mf = fit_model(split.train_users, split.train_items, split.train_ratings, split.n_train_users, n_items, params)
    pop = _z(np.log1p(np.bincount(split.train_items, minlength=n_items).astype(np.float64)))
    g_units = genres / np.maximum(np.linalg.norm(genres, axis=1, keepdims=True), 1e-12)
    w = [(q.input_ratings.astype(np.float64) - RATING_MID) / (RATING_MAX - RATING_MID) for q in queries]
    content = _z(np.stack([g_units @ (wi @ g_units[q.input_rows]) for wi, q in zip(w, queries)]))
    factors = _z(np.stack([mf.item_factors @ fold_in(mf.item_factors, q.input_rows, wi, DEFAULT_FOLDIN_REG)
                           for wi, q in zip(w, queries)]))
    judge = _Judge(queries, n_items)
    inputs = judge.inputs.astype(np.float64)
    cosine = item_graph.cosine_weights(x)
    for lam in LAMBDAS:
        ease_b = item_graph.ease_weights(x, lam)
        ease.setdefault(lam, []).append(judge.ndcg_recall(inputs @ ease_b)[0])
        for share in COSINE_SHARES:
            nbr, nw = item_graph.prune(item_graph.combine(ease_b, cosine, share), NEIGHBORS)
            graph = _z(np.stack([item_graph.graph_scores(nbr, nw, q.input_rows, wi, n_items)
                                 for wi, q in zip(w, queries)]))
            for wm, wp, alpha in itertools.product(MF_WEIGHTS, POP_WEIGHTS, ALPHAS):
                ndcg, recall = judge.ndcg_recall(alpha * _z(graph + wm * factors + wp * pop) + (1 - alpha) * content)
                scores.setdefault((lam, share, wm, wp, alpha), []).append((ndcg + recall) / 2)


def tune(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, genres: np.ndarray,
         params: Params, seed: int) -> tuple[Blend, float, list[Blend]]:
    """Grid search on INNER_SPLITS validation splits of these (training) users: the best blend, EASE's
    best lambda, and every blend tried. A blend's `validation` is the mean over the splits of
    (NDCG@10 + Recall@10) / 2 — both are targets, and one split of ~150 users is too noisy alone.

    users (N,) int32 < n_users, items (N,) int32 catalog rows, ratings (N,) float32; genres (I, G).
    """
    scores: dict[tuple, list[float]] = {}
    ease: dict[float, list[float]] = {}
    for inner in range(INNER_SPLITS):
        _validate(users, items, ratings, n_users, genres, params, 10_000 * (inner + 1) + seed, scores, ease)
    tried = [Blend(*key, validation=float(np.mean(v))) for key, v in scores.items()]
    best_lambda = max(ease, key=lambda lam: np.mean(ease[lam]))
    return max(tried, key=lambda b: b.validation), float(best_lambda), tried


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
