"""Chooses the serving blend (item graph, MF, popularity weights, alpha) on validation users and builds the graph.

The blend is the one the scorer serves, from the shared ranking core (movierec/ranking/parts.py blend):
alpha * z(z(graph) + ease * z(EASE) + mf * z(q.p) + popularity * z(log popularity)) + (1 - alpha) * z(genre cosine).
Every grid point is scored on held-out-user splits of the training ratings (trainer/heldout.py:
whole users held out, 5 liked movies in, the rest of their liked movies as targets), by
(NDCG@10 + Recall@10) / 2 averaged over the splits; the best one is written to the artifact.
"""
from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from movierec.ranking import parts
from trainer import ease as ease_model
from trainer import item_graph
from trainer.dataset import Dataset
from trainer.heldout import MIN_LIKED, Judge, split_arrays
from trainer.model import Params, fit_model

# The search space. Chosen by exploring on validation users of the evaluation's training parts
# (bench/ranking/RESULTS.md): RP3beta beat EASE, cosine and their mixes there; popularity damping
# beta above 0.5 and exponents below 0.5 lost; with the damping, the popularity prior is rarely
# needed and the MF weight often wanted 0.3 or more.
LOW_WEIGHTS = (0.0, 0.5, 1.0)  # weight in the walk of a rating below "liked" (4)
RP3_ALPHAS = (0.5, 0.7)
RP3_BETAS = (0.3, 0.4, 0.5)
MF_WEIGHTS = (0.1, 0.2, 0.3, 0.4)
POP_WEIGHTS = (0.0, 0.2)
ALPHAS = (0.8, 0.9)  # 1.0 (no genre part) was never chosen in 9 searches (bench/ranking/RESULTS.md)
# The EASE part (trainer/ease.py, liked ratings only): weight 0 leaves it out. On ML-100K's validation
# users a small weight beside the graph gained most (bench/ranking/RESULTS.md). Its λ is chosen first,
# by EASE alone on the first validation split (one top-10 per λ), so it does not multiply the grid.
EASE_WEIGHTS = (0.0, 0.25, 0.5)
EASE_LAMBDAS = (400.0, 1600.0, 3200.0, 6400.0, 12800.0)
NEIGHBORS = 200  # kept per movie: O(liked * N) per request, and (I, N) arrays in the artifact
VALIDATION_SPLITS = 4  # held-out-user splits averaged: one split of ~150 users is too noisy alone
SPLIT_SEED = 10_000  # split s uses seed SPLIT_SEED * (s + 1) + seed
# The search holds whole (I, I) float64 walk matrices (and a copy while pruning): 0.2 GB at 3,700
# movies (ML-1M), 2.3 GB at 12,000. Bigger catalogs take DEFAULT_BLEND, whose graph is built blockwise.
MAX_SEARCH_ITEMS = 12_000


@dataclass(frozen=True)
class Blend:
    low_weight: float
    rp3_alpha: float
    rp3_beta: float
    mf: float
    popularity: float
    alpha: float
    ease: float = 0.0  # weight of the EASE part; 0 = none
    ease_lambda: float = 0.0  # its λ, when it has a weight
    validation: float = float("nan")  # mean of (NDCG@10 + Recall@10) / 2 over the validation splits

    @classmethod
    def of_serving(cls, serving: dict[str, Any]) -> Blend | None:
        """The blend an artifact manifest's `serving` block records; None when it has no item graph."""
        graph, weights = serving.get("item_graph"), serving.get("weights")
        if not graph or not weights:
            return None
        ease = float(weights.get("ease", 0.0))
        return cls(float(graph["low_rating_weight"]), float(graph["alpha"]), float(graph["beta"]),
                   float(weights["mf"]), float(weights["popularity"]), float(serving["default_alpha"]),
                   ease, float(serving.get("ease", {}).get("lambda", 0.0)) if ease else 0.0)

    def key(self) -> tuple[float, ...]:
        return self.low_weight, self.rp3_alpha, self.rp3_beta, self.mf, self.popularity, self.alpha, self.ease, \
            self.ease_lambda

    def serving(self) -> dict[str, Any]:
        """The artifact manifest's serving entries this blend stands for."""
        out = {"default_alpha": self.alpha,
               "weights": {"graph": 1.0, "ease": self.ease, "mf": self.mf, "popularity": self.popularity},
               "item_graph": {"method": "RP3beta", "alpha": self.rp3_alpha, "beta": self.rp3_beta,
                              "low_rating_weight": self.low_weight, "neighbors": NEIGHBORS},
               "validation_ndcg_recall10": round(self.validation, 4)}
        if self.ease:
            out["ease"] = {"method": "EASE, liked ratings", "lambda": self.ease_lambda,
                           "max_items": ease_model.MAX_ITEMS}
        return out


# Used when the search is skipped (`--ranking defaults`, e.g. catalogs too big to search): the blend
# `python -m trainer train` chose on ML-100K (bench/ranking/RESULTS.md).
DEFAULT_BLEND = Blend(low_weight=0.0, rp3_alpha=0.7, rp3_beta=0.4, mf=0.1, popularity=0.2, alpha=0.8)


class ValidationSplit:
    """One held-out-user split of the training ratings, with every blend part that does not depend on the grid."""

    def __init__(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, genres: np.ndarray,
                 params: Params, seed: int, rating_scale: tuple[float, float], foldin_reg: float,
                 trained: np.ndarray | None = None) -> None:
        n_items = genres.shape[0]
        split = split_arrays(users, items, ratings, n_users, seed=seed, trained=trained)
        if not split.queries:
            raise ValueError("choosing the ranking blend needs held-out users with at least "
                             f"{MIN_LIKED} liked movies, and a validation split of this dataset has none; "
                             "train with --ranking defaults (or off)")
        self.n_items, self.judge = n_items, Judge(split.queries, n_items)
        self.train = (split.train_users, split.train_items, split.train_ratings, split.n_train_users)
        self.rows = np.stack([q.input_rows for q in split.queries])  # (Q, 5) int64
        self.weights = parts.rating_weights(np.stack([q.input_ratings for q in split.queries]), rating_scale)
        self.mf = mf = fit_model(*self.train, n_items, params)
        self.factors = parts.zscore(parts.mf_scores(mf.item_factors, self.rows, self.weights, foldin_reg))
        self.content = parts.zscore(parts.content_scores(parts.unit_rows(genres), self.rows, self.weights))
        self.popularity = parts.popularity(np.bincount(split.train_items, minlength=n_items))  # (I,)
        self._gram: ease_model.Gram | None = None

    def ease_lambda(self, lambdas: Sequence[float] = EASE_LAMBDAS) -> float:
        """The λ of lambdas whose EASE part alone scores best, (NDCG@10 + Recall@10) / 2, on this split."""
        return max(lambdas, key=lambda lam: sum(self.judge.ndcg_recall(self.ease_part(lam))))

    def ease_part(self, lam: float) -> np.ndarray:
        """z-scored EASE scores (Q, I) of this split's queries for λ (one eigendecomposition per split)."""
        if self._gram is None:
            self._gram = ease_model.Gram(*self.train, self.n_items)
        scores = parts.ease_scores(self._gram.rows, self._gram.weights(lam), self.rows, self.weights, self.n_items)
        return parts.zscore(scores)

    def graph_parts(self, lows: Sequence[float] = LOW_WEIGHTS, alphas: Sequence[float] = RP3_ALPHAS,
                    betas: Sequence[float] = RP3_BETAS) -> dict[tuple[float, float, float], np.ndarray]:
        """z-scored graph scores (Q, I) per (low_weight, rp3_alpha, rp3_beta), by default the grid's."""
        out = {}
        for low in lows:
            inter = item_graph.interactions(*self.train, self.n_items, low)
            for a in alphas:
                walk = item_graph.Walk(inter, a)
                full = walk.block(0, self.n_items)
                for b in betas:
                    rows, weights = item_graph.prune(full / walk.damping(b), NEIGHBORS)
                    graph = parts.graph_scores(rows, weights, self.rows, self.weights, self.n_items)
                    out[low, a, b] = parts.zscore(graph)
        return out

    def ndcg_recall(self, blend: Blend | None) -> tuple[float, float]:
        """NDCG@10 and Recall@10 of one blend on this split; None = the scorer's blend without an item graph."""
        if blend is None:
            graph = np.zeros((len(self.rows), self.n_items))
            fallback = parts.FALLBACK_WEIGHTS
            return self.judge.ndcg_recall(self.score(graph, fallback["mf"], fallback["popularity"],
                                                     parts.FALLBACK_ALPHA))
        (graph,) = self.graph_parts([blend.low_weight], [blend.rp3_alpha], [blend.rp3_beta]).values()
        ease = self.ease_part(blend.ease_lambda) if blend.ease else None
        return self.judge.ndcg_recall(self.score(graph, blend.mf, blend.popularity, blend.alpha, ease, blend.ease))

    def score(self, graph: np.ndarray, mf: float, popularity: float, alpha: float,
              ease: np.ndarray | None = None, ease_weight: float = 0.0) -> np.ndarray:
        """(Q, I) blend scores: the served blend (parts.blend) of this split's parts (ease: a z-scored EASE part)."""
        weights = {"graph": 1.0, "ease": ease_weight, "mf": mf, "popularity": popularity}
        return parts.blend(graph, self.factors, self.popularity, self.content, weights, alpha, ease)


Progress = Callable[[str], None]


def tune_blend(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, genres: np.ndarray,
               params: Params, seed: int = 0, rating_scale: tuple[float, float] = parts.DEFAULT_RATING_SCALE,
               foldin_reg: float = parts.DEFAULT_FOLDIN_REG, splits: int = VALIDATION_SPLITS,
               on_progress: Progress | None = None) -> list[Blend]:
    """Every blend of the grid with its validation score, best first, on `splits` held-out-user splits
    of these (training) ratings. users (N,) int32 < n_users, items (N,) int32 catalog rows,
    ratings (N,) float32; genres (I, G); params: the MF model fitted on each split's training users.
    """
    scores: dict[tuple[float, float, float, float, float, float, float, float], list[float]] = {}
    lam: float | None = None
    for s in range(splits):
        started = time.perf_counter()
        split = ValidationSplit(users, items, ratings, n_users, genres, params, SPLIT_SEED * (s + 1) + seed,
                                rating_scale, foldin_reg)
        eases: dict[tuple[float, float], np.ndarray | None] = {(0.0, 0.0): None}
        if any(EASE_WEIGHTS):
            lam = split.ease_lambda() if lam is None else lam  # chosen on the first split, kept for the others
            part = split.ease_part(lam)
            eases.update({(w, lam): part for w in EASE_WEIGHTS if w})
        for (low, a, b), graph in split.graph_parts().items():
            for (we, lam), ease in eases.items():
                for wm, wp, alpha in itertools.product(MF_WEIGHTS, POP_WEIGHTS, ALPHAS):
                    ndcg, recall = split.judge.ndcg_recall(split.score(graph, wm, wp, alpha, ease, we))
                    scores.setdefault((low, a, b, wm, wp, alpha, we, lam), []).append((ndcg + recall) / 2)
        if on_progress is not None:
            on_progress(f"validation split {s + 1}/{splits}: {len(split.rows)} users, "
                        f"{time.perf_counter() - started:.1f} s")
    tried = [Blend(*key, validation=float(np.mean(v))) for key, v in scores.items()]
    return sorted(tried, key=lambda b: -b.validation)


def build_graph(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, n_items: int,
                blend: Blend) -> tuple[np.ndarray, np.ndarray]:
    """The pruned item graph (I, N) int32 / float32 of blend's graph parameters, from all given ratings."""
    inter = item_graph.interactions(users, items, ratings, n_users, n_items, blend.low_weight)
    return item_graph.build_graph(inter, blend.rp3_alpha, blend.rp3_beta, NEIGHBORS)


def build_ease(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, n_items: int,
               blend: Blend) -> dict[str, np.ndarray]:
    """The artifact arrays of blend's EASE part (ease_rows (N,) int32, ease_weights (N, N) float32); none
    when the blend gives it no weight."""
    if not blend.ease:
        return {}
    rows, weights = ease_model.fit(users, items, ratings, n_users, n_items, blend.ease_lambda)
    return {"ease_rows": rows, "ease_weights": weights}


RANKING_MODES = ("tuned", "defaults", "off")


def check_searchable(n_items: int, mode: str) -> None:
    """ValueError, before any training, when mode "tuned" would not fit in memory for n_items movies."""
    if mode == "tuned" and n_items > MAX_SEARCH_ITEMS:
        raise ValueError(f"the ranking-blend search holds (movies x movies) matrices, {n_items:,} movies here "
                         f"(at most {MAX_SEARCH_ITEMS:,}); train with --ranking defaults (the item graph with the "
                         "blend chosen on ML-100K, built blockwise) or --ranking off")


def rank(dataset: Dataset, params: Params, mode: str = "tuned", foldin_reg: float = parts.DEFAULT_FOLDIN_REG,
         on_progress: Progress | None = None, kept: tuple[Blend, str] | None = None
         ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The item graph arrays and manifest["serving"] entries for an artifact trained on dataset.

    mode "tuned" searches the grid on validation users (tune_blend), "defaults" uses DEFAULT_BLEND;
    kept = (blend, where it comes from) uses a blend chosen before instead (retrain keeps the serving one).
    """
    if mode not in RANKING_MODES[:2]:
        raise ValueError(f"ranking mode must be one of {RANKING_MODES[:2]}, got {mode!r}")
    if kept is None:
        check_searchable(len(dataset.movies), mode)
    started = time.perf_counter()
    users, items = dataset.indices()
    n_users, n_items = len(dataset.user_ids()), len(dataset.movies)
    item_graph.warm_up()
    serving: dict[str, Any]
    if kept is not None:
        blend = kept[0]
        serving = {**blend.serving(), "tuned_by": {"method": kept[1]}}
        serving.pop("validation_ndcg_recall10")
    elif mode == "tuned":
        tried = tune_blend(users, items, dataset.rating, n_users, dataset.genre_matrix().astype(np.float64), params,
                           rating_scale=dataset.rating_scale, foldin_reg=foldin_reg, on_progress=on_progress)
        blend = tried[0]
        serving = {**blend.serving(), "tuned_by": {
            "method": f"grid search, held-out-user protocol on {VALIDATION_SPLITS} validation splits of 20% of "
                      "the users, (NDCG@10 + Recall@10) / 2",
            "space": {"low_rating_weight": LOW_WEIGHTS, "rp3_alpha": RP3_ALPHAS, "rp3_beta": RP3_BETAS,
                      "mf": MF_WEIGHTS, "popularity": POP_WEIGHTS, "alpha": ALPHAS, "ease": EASE_WEIGHTS,
                      "ease_lambda": {"one of": EASE_LAMBDAS, "chosen by": "EASE alone, first validation split"}},
            "top": [asdict(b) for b in tried[:5]]}}
    else:
        blend = DEFAULT_BLEND
        serving = {**blend.serving(), "tuned_by": {"method": "defaults (DEFAULT_BLEND, chosen on ML-100K)"}}
        serving.pop("validation_ndcg_recall10")
    graph_started = time.perf_counter()
    neighbor_rows, neighbor_weights = build_graph(users, items, dataset.rating, n_users, n_items, blend)
    serving["tuned_by"]["graph_seconds"] = round(time.perf_counter() - graph_started, 2)
    ease_started = time.perf_counter()
    ease = build_ease(users, items, dataset.rating, n_users, n_items, blend)
    if ease:  # how many movies the dense part covers: all of them unless the catalog is above its cap
        serving["ease"] = {**serving.get("ease", {}), "items": len(ease["ease_rows"]),
                           "restricted_to_most_liked": len(ease["ease_rows"]) < n_items}
        serving["tuned_by"]["ease_seconds"] = round(time.perf_counter() - ease_started, 2)
    serving["tuned_by"]["seconds"] = round(time.perf_counter() - started, 2)
    return {"neighbor_rows": neighbor_rows, "neighbor_weights": neighbor_weights, **ease}, serving
