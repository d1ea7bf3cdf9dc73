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
from functools import cached_property
from typing import Any

import numpy as np

from movierec.ranking import parts
from trainer import blend_topk, item_graph
from trainer import ease as ease_model
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
# users a small weight beside the graph gained most (bench/ranking/RESULTS.md). Its (λ, dropout odds) is
# chosen first, by EASE alone on the first validation split (one top-10 each), so it does not multiply the
# grid: plain EASE's λ, or EDLAE's emphasised dropout with a smaller λ (validation users of two seeds:
# odds 24-48 with λ 200-800 beat plain EASE's best by 2.7% / 4.8%, bench/ranking/RESULTS.md).
EASE_WEIGHTS = (0.0, 0.25, 0.5)
EASE_LAMBDAS = (400.0, 1600.0, 3200.0, 6400.0, 12800.0)
EASE_SETTINGS = tuple((lam, 0.0) for lam in EASE_LAMBDAS) + tuple(
    (lam, odds) for odds in (16.0, 32.0, 48.0) for lam in (200.0, 400.0, 800.0))
NEIGHBORS = 200  # kept per movie: O(liked * N) per request, and (I, N) arrays in the artifact
VALIDATION_SPLITS = 4  # held-out-user splits averaged: one split of ~150 users is too noisy alone
# ...unless a split alone has this many: then one is enough (big sets, where each split costs an MF fit).
ENOUGH_QUERIES = 2_000
MAX_QUERIES = 2_000  # held-out users scored per split, a seeded sample above it (ML-1M size: ~1,200)
SPLIT_SEED = 10_000  # split s uses seed SPLIT_SEED * (s + 1) + seed
# Queries per batch of the search: BATCH_CELLS // I of them, each part (B, I) float64 is 64 MB.
BATCH_CELLS = 8_000_000
Graph = tuple[np.ndarray, np.ndarray]  # pruned rows of some movies: rows (R, N) int32, weights (R, N) float32

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
    ease_odds: float = 0.0  # its dropout odds (trainer/ease.py; 0 = plain EASE)
    validation: float = float("nan")  # mean of (NDCG@10 + Recall@10) / 2 over the validation splits

    @classmethod
    def of_serving(cls, serving: dict[str, Any]) -> Blend | None:
        """The blend an artifact manifest's `serving` block records; None when it has no item graph."""
        graph, weights = serving.get("item_graph"), serving.get("weights")
        if not graph or not weights:
            return None
        ease = float(weights.get("ease", 0.0))
        part = serving.get("ease", {}) if ease else {}
        return cls(float(graph["low_rating_weight"]), float(graph["alpha"]), float(graph["beta"]),
                   float(weights["mf"]), float(weights["popularity"]), float(serving["default_alpha"]),
                   ease, float(part.get("lambda", 0.0)), float(part.get("dropout_odds", 0.0)))

    def key(self) -> tuple[float, ...]:
        return self.low_weight, self.rp3_alpha, self.rp3_beta, self.mf, self.popularity, self.alpha, self.ease, \
            self.ease_lambda, self.ease_odds

    def serving(self) -> dict[str, Any]:
        """The artifact manifest's serving entries this blend stands for."""
        out = {"default_alpha": self.alpha,
               "weights": {"graph": 1.0, "ease": self.ease, "mf": self.mf, "popularity": self.popularity},
               "item_graph": {"method": "RP3beta", "alpha": self.rp3_alpha, "beta": self.rp3_beta,
                              "low_rating_weight": self.low_weight, "neighbors": NEIGHBORS},
               "validation_ndcg_recall10": round(self.validation, 4)}
        if self.ease:
            out["ease"] = {"method": "EDLAE (EASE, emphasised dropout)" if self.ease_odds else "EASE",
                           "ratings": "liked", "lambda": self.ease_lambda, "dropout_odds": self.ease_odds,
                           "max_items": ease_model.MAX_ITEMS}
        return out


# Used when the search is skipped (`--ranking defaults`, the automatic choice for big catalogs): the blend
# `python -m trainer train` chose on ML-100K (bench/ranking/RESULTS.md).
DEFAULT_BLEND = Blend(low_weight=0.0, rp3_alpha=0.7, rp3_beta=0.4, mf=0.1, popularity=0.2, alpha=0.8)


class ValidationSplit:
    """One held-out-user split of the training ratings, with every blend part that does not depend on the grid.

    At most max_queries held-out queries are kept (a seeded sample): a few thousand judge a blend as well
    as all of them, and every catalog-wide part is computed for a batch of them at a time. samples:
    queries per held-out user and fold: which users are held out (split_arrays).
    """

    def __init__(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, genres: np.ndarray,
                 params: Params, seed: int, rating_scale: tuple[float, float], foldin_reg: float,
                 trained: np.ndarray | None = None, max_queries: int = MAX_QUERIES, samples: int = 1,
                 fold: tuple[int, int] | None = None) -> None:
        n_items = genres.shape[0]
        split = split_arrays(users, items, ratings, n_users, seed=seed, trained=trained, samples=samples, fold=fold)
        if not split.queries:
            raise ValueError("choosing the ranking blend needs held-out users with at least "
                             f"{MIN_LIKED} liked movies, and a validation split of this dataset has none; "
                             "train with --ranking defaults (or off)")
        queries = split.queries
        if len(queries) > max_queries:
            keep = np.sort(np.random.default_rng(seed).choice(len(queries), max_queries, replace=False))
            queries = [queries[i] for i in keep]
        self.n_items, self.judge, self.foldin_reg = n_items, Judge(queries, n_items), foldin_reg
        self.users = np.array([q.user for q in queries], dtype=np.int64)  # (Q,) who each query is
        self.train = (split.train_users, split.train_items, split.train_ratings, split.n_train_users)
        self.rows = np.stack([q.input_rows for q in queries])  # (Q, 5) int64
        self.ratings = np.stack([q.input_ratings for q in queries])  # (Q, 5) the inputs' ratings
        self.weights = parts.rating_weights(self.ratings, rating_scale)
        self.mf = fit_model(*self.train, n_items, params)
        self.genre_units = parts.unit_rows(genres)
        self.popularity = parts.popularity(np.bincount(split.train_items, minlength=n_items))  # (I,)
        self._gram: ease_model.Gram | None = None

    def ease_setting(self, settings: Sequence[tuple[float, float]] = EASE_SETTINGS) -> tuple[float, float]:
        """The (λ, dropout odds) of settings whose EASE part alone scores best, (NDCG@10 + Recall@10) / 2, on
        this split."""
        return max(settings, key=lambda s: sum(self.judge.ndcg_recall(self.ease_part(*s))))

    def ease_part(self, lam: float, odds: float = 0.0, first: int = 0, stop: int | None = None) -> np.ndarray:
        """z-scored EASE scores (B, I) of queries first..stop-1 (all by default) for λ and dropout odds (one
        eigendecomposition per split for plain EASE's λs, one inverse per dropout setting)."""
        if self._gram is None:
            self._gram = ease_model.Gram(*self.train, self.n_items)
        q = slice(first, stop)
        return parts.zscore(parts.ease_scores(self._gram.rows, self._gram.weights(lam, odds), self.rows[q],
                                              self.weights[q], self.n_items))

    def mf_part(self, first: int = 0, stop: int | None = None) -> np.ndarray:
        """z-scored MF scores (B, I) of queries first..stop-1 (all by default)."""
        q = slice(first, stop)
        return parts.zscore(parts.mf_scores(self.mf.item_factors, self.rows[q], self.weights[q], self.foldin_reg))

    def content_part(self, first: int = 0, stop: int | None = None) -> np.ndarray:
        """z-scored genre scores (B, I) of queries first..stop-1 (all by default)."""
        q = slice(first, stop)
        return parts.zscore(parts.content_scores(self.genre_units, self.rows[q], self.weights[q]))

    @cached_property
    def factors(self) -> np.ndarray:
        """(Q, I) z-scored MF scores of every query: the dense reference (tests, bench/ranking/ltr_trial.py)."""
        return self.mf_part()

    @cached_property
    def content(self) -> np.ndarray:
        """(Q, I) z-scored genre scores of every query: the dense reference."""
        return self.content_part()

    def graph_parts(self, lows: Sequence[float] = LOW_WEIGHTS, alphas: Sequence[float] = RP3_ALPHAS,
                    betas: Sequence[float] = RP3_BETAS) -> dict[tuple[float, float, float], np.ndarray]:
        """z-scored graph scores (Q, I) per (low_weight, rp3_alpha, rp3_beta), from dense (I, I) walks:
        the plain reference the sparse search (graphs, judged) is checked against on small sets."""
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

    def graphs(self, lows: Sequence[float] = LOW_WEIGHTS, alphas: Sequence[float] = RP3_ALPHAS,
               betas: Sequence[float] = RP3_BETAS) -> tuple[dict[tuple[float, float, float], Graph], np.ndarray]:
        """The pruned graph rows of the queries' input movies only, per (low_weight, rp3_alpha, rp3_beta):
        (rows (R, N) int32, weights (R, N) float32) over the R distinct inputs, and the queries' inputs
        (Q, 5) as positions among them. One sparse walk per (low, alpha) serves every beta."""
        needed, inverse = np.unique(self.rows, return_inverse=True)
        out = {}
        for low in lows:
            inter = item_graph.interactions(*self.train, self.n_items, low)
            for a in alphas:
                rows, weights = item_graph.top_rows(inter, a, betas, NEIGHBORS, needed)
                for i, b in enumerate(betas):
                    out[low, a, b] = rows[i], weights[i]
        return out, inverse.reshape(self.rows.shape)

    def judged(self, graphs: dict[Any, Graph | None], local: np.ndarray | None,
               weightings: Sequence[tuple[float, float, float]],
               eases: dict[float, tuple[float, float]] | None = None) -> dict[Any, tuple[np.ndarray, np.ndarray]]:
        """Mean NDCG@10 and Recall@10 (C,) of every graph variant under each weighting (mf, popularity, alpha).

        graphs and local as `graphs` returns them; a None graph is no graph part (the scorer's fallback).
        eases: EASE weight -> its (λ, dropout odds); when given, each graph variant is judged with each, keys
        (graph key, EASE weight) (the graph's weight is 1, so graph + w * EASE is one collaborative part for
        blend_topk).
        Queries are taken BATCH_CELLS // I at a time and each weighting's top 10 comes from one fused pass
        (blend_topk), so nothing (Q, I) is held for long and nothing (Q, I) is made per weighting.
        """
        grid = np.array([(1.0, wm, wp, alpha) for wm, wp, alpha in weightings], dtype=np.float64)
        variants = eases if eases is not None else {0.0: (0.0, 0.0)}
        sums = {(key, we): (np.zeros(len(grid)), np.zeros(len(grid))) for key in graphs for we in variants}
        batch = max(1, BATCH_CELLS // self.n_items)
        for first in range(0, len(self.rows), batch):
            stop = min(first + batch, len(self.rows))
            mf, content = self.mf_part(first, stop), self.content_part(first, stop)
            ease = {setting: self.ease_part(*setting, first, stop) for we, setting in variants.items() if we}
            for key, graph in graphs.items():
                if graph is None or local is None:
                    g = np.zeros_like(mf)
                else:
                    g = parts.zscore(parts.graph_scores(graph[0], graph[1], local[first:stop],
                                                        self.weights[first:stop], self.n_items))
                for we, setting in variants.items():
                    collaborative = g + we * ease[setting] if we else g
                    top = blend_topk.top_k(collaborative, mf, self.popularity, content, grid, self.rows[first:stop])
                    ndcg, recall = self.judge.per_query(top, first)
                    sums[key, we][0][:] += ndcg.sum(axis=0)
                    sums[key, we][1][:] += recall.sum(axis=0)
        means = {k: (n / len(self.rows), r / len(self.rows)) for k, (n, r) in sums.items()}
        return means if eases is not None else {key: v for (key, _), v in means.items()}

    def ndcg_recall(self, blend: Blend | None) -> tuple[float, float]:
        """NDCG@10 and Recall@10 of one blend on this split; None = the scorer's blend without an item graph."""
        if blend is None:  # no graph part: its weight does not matter
            fallback = parts.FALLBACK_WEIGHTS
            graphs: dict[Any, Graph | None] = {None: None}
            local, weighting = None, (fallback["mf"], fallback["popularity"], parts.FALLBACK_ALPHA)
            eases = None
        else:
            sparse, local = self.graphs([blend.low_weight], [blend.rp3_alpha], [blend.rp3_beta])
            graphs, weighting = dict(sparse), (blend.mf, blend.popularity, blend.alpha)
            eases = {blend.ease: (blend.ease_lambda, blend.ease_odds)} if blend.ease else None
        ((ndcg, recall),) = self.judged(graphs, local, [weighting], eases).values()
        return float(ndcg[0]), float(recall[0])

    def score(self, graph: np.ndarray, mf: float, popularity: float, alpha: float,
              ease: np.ndarray | None = None, ease_weight: float = 0.0) -> np.ndarray:
        """(Q, I) blend scores: the served blend (parts.blend) of this split's parts (dense reference;
        ease: a z-scored EASE part)."""
        weights = {"graph": 1.0, "ease": ease_weight, "mf": mf, "popularity": popularity}
        return parts.blend(graph, self.factors, self.popularity, self.content, weights, alpha, ease)


Progress = Callable[[str], None]


def tune_blend(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, genres: np.ndarray,
               params: Params, seed: int = 0, rating_scale: tuple[float, float] = parts.DEFAULT_RATING_SCALE,
               foldin_reg: float = parts.DEFAULT_FOLDIN_REG, splits: int = VALIDATION_SPLITS,
               on_progress: Progress | None = None, max_queries: int = MAX_QUERIES) -> list[Blend]:
    """Every blend of the grid with its validation score, best first, on up to `splits` held-out-user
    splits of these (training) ratings: fewer once ENOUGH_QUERIES held-out users have been scored (one
    split of a big set). users (N,) int32 < n_users, items (N,) int32 catalog rows, ratings (N,) float32;
    genres (I, G); params: the MF model fitted on each split's training users.
    """
    scores: dict[tuple[float, float, float, float, float, float, float, float, float], list[float]] = {}
    weightings = list(itertools.product(MF_WEIGHTS, POP_WEIGHTS, ALPHAS))
    # EASE is searched where the whole catalog fits in it: above that its dense (queries, movies) scores
    # would dominate the search's memory at 25M, so big catalogs are searched without it.
    ease_weights = EASE_WEIGHTS if genres.shape[0] <= ease_model.MAX_ITEMS else (0.0,)
    setting: tuple[float, float] | None = None
    judged = 0
    for s in range(splits):
        if judged >= ENOUGH_QUERIES:
            break
        started = time.perf_counter()
        if on_progress is not None:
            on_progress(f"validation split {s + 1}: fitting the model on its training users ...")
        split = ValidationSplit(users, items, ratings, n_users, genres, params, SPLIT_SEED * (s + 1) + seed,
                                rating_scale, foldin_reg, max_queries=max_queries)
        if any(ease_weights):
            setting = split.ease_setting() if setting is None else setting  # the first split's, kept for the others
        fitted = time.perf_counter()
        graphs, local = split.graphs()
        walked = time.perf_counter()
        eases = {w: setting if w and setting else (0.0, 0.0) for w in ease_weights}
        for ((low, a, b), we), (ndcg, recall) in split.judged(dict(graphs), local, weightings, eases).items():
            for (wm, wp, alpha), value in zip(weightings, (ndcg + recall) / 2):
                scores.setdefault((low, a, b, wm, wp, alpha, we, *eases[we]), []).append(float(value))
        judged += len(split.rows)
        if on_progress is not None:
            on_progress(f"validation split {s + 1}: {len(split.rows)} users; MF fit {fitted - started:.1f} s, "
                        f"graph rows {walked - fitted:.1f} s, {len(scores)} blends scored "
                        f"{time.perf_counter() - walked:.1f} s")
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
    rows, weights = ease_model.fit(users, items, ratings, n_users, n_items, blend.ease_lambda, odds=blend.ease_odds)
    return {"ease_rows": rows, "ease_weights": weights}


RANKING_MODES = ("tuned", "defaults", "off")


def rank(dataset: Dataset, params: Params, mode: str = "tuned", foldin_reg: float = parts.DEFAULT_FOLDIN_REG,
         on_progress: Progress | None = None, kept: tuple[Blend, str] | None = None
         ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The item graph arrays and manifest["serving"] entries for an artifact trained on dataset.

    mode "tuned" searches the grid on validation users (tune_blend), "defaults" uses DEFAULT_BLEND;
    kept = (blend, where it comes from) uses a blend chosen before instead (retrain keeps the serving one).
    """
    if mode not in RANKING_MODES[:2]:
        raise ValueError(f"ranking mode must be one of {RANKING_MODES[:2]}, got {mode!r}")
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
            "method": f"grid search, held-out-user protocol on validation splits of 20% of the users (up to "
                      f"{VALIDATION_SPLITS}, at most {MAX_QUERIES:,} users sampled per split, no further split once "
                      f"{ENOUGH_QUERIES:,} are scored), (NDCG@10 + Recall@10) / 2",
            "space": {"low_rating_weight": LOW_WEIGHTS, "rp3_alpha": RP3_ALPHAS, "rp3_beta": RP3_BETAS,
                      "mf": MF_WEIGHTS, "popularity": POP_WEIGHTS, "alpha": ALPHAS, "ease": EASE_WEIGHTS,
                      "ease_lambda_dropout_odds": {"one of": EASE_SETTINGS,
                                                   "chosen by": "EASE alone, first validation split"}},
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
