"""Learns the re-rank stage (LambdaMART over the blend's top candidates) on validation users, kept only if it wins.

The training users are cut into `folds` disjoint folds (trainer/heldout.py split_arrays, fold=(i, k));
each fold's users are held out in turn, their 5 liked inputs drawn `draws` times, and the blend (its
graph, EASE and MF fitted on the other users only) ranks their candidates through the serving Ranker
(Ranker.candidates: the same features the scorer computes). LightGBM's lambdarank learns on folds
1..k-1 and is judged on fold 0 against the blend's own order of the same candidates: the stage is
served only when it raises NDCG@10 there, and what serves is then refitted, same settings, on all k folds
(more queries is what helped: RESULTS.md). bench/ranking/ltr_trial.py chose the settings (RESULTS.md).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import lightgbm
import numpy as np

from movierec.ranking import parts
from movierec.ranking.ranker import Ranker
from movierec.ranking.rerank_features import FEATURES, ItemStats, Reranker
from trainer.model import Params
from trainer.sgd import MFModel
from trainer.tune_ranking import SPLIT_SEED, Blend, ValidationSplit, build_ease, build_graph

CANDIDATES = 50  # the blend's best re-ranked: 100 did worse on validation users (RESULTS.md)
FOLDS = 5
DRAWS = 16  # queries per held-out user: more training queries was what helped (8 -> 16: +0.3%)
ROUNDS = 300
LIGHTGBM = {"objective": "lambdarank", "learning_rate": 0.05, "num_leaves": 15, "min_data_in_leaf": 50,
            "bagging_fraction": 0.8, "bagging_freq": 1, "feature_fraction": 0.8, "num_threads": 1, "seed": 0,
            "verbosity": -1, "lambdarank_truncation_level": 20, "deterministic": True}
MIN_GAIN = 0.0  # relative NDCG@10 over the blend on the held-out fold needed to serve the stage
# Above this many ratings the stage is not trained: its folds each refit MF, graph and EASE (ML-1M fits).
MAX_RATINGS = 1_100_000
K = 10


def item_stats(items: np.ndarray, ratings: np.ndarray, n_items: int, years: np.ndarray,
               bias: np.ndarray) -> ItemStats:
    """The stage's per-movie statistics from these ratings (items (N,) rows, ratings (N,)), years (I,), MF bias (I,)."""
    counts = np.bincount(items, minlength=n_items)
    sums = np.bincount(items, weights=ratings, minlength=n_items)
    return ItemStats.of(years, np.where(counts > 0, sums / np.maximum(counts, 1), 0.0), bias)


def serving_ranker(mf: MFModel, counts: np.ndarray, genres: np.ndarray, serving: dict[str, Any],
                   graph: tuple[np.ndarray, np.ndarray] | None, ease: dict[str, np.ndarray] | None = None,
                   stats: ItemStats | None = None, reranker: Reranker | None = None) -> Ranker:
    """The serving Ranker over a model in memory; counts (I,) are the training users' ratings per movie,
    so popularity comes from them only; ease: build_ease's arrays (none: no EASE part)."""
    rows, weights = graph if graph is not None else (None, None)
    ease = ease or {}
    return Ranker(mf.item_factors, genres, counts, rows, weights,
                  {"foldin_reg": parts.DEFAULT_FOLDIN_REG, **serving}, ease.get("ease_rows"), ease.get("ease_weights"),
                  stats, reranker)


def split_ranker(v: ValidationSplit, genres: np.ndarray, years: np.ndarray, blend: Blend,
                 rating_scale: tuple[float, float], foldin_reg: float, reranker: Reranker | None = None) -> Ranker:
    """The serving Ranker of blend (and reranker) over a validation split's training users: its MF, and the
    graph, EASE part, popularity and item statistics rebuilt from those users' ratings; genres (I, G), years (I,)."""
    users, items, ratings, n_users = v.train
    n_items = v.n_items
    serving = {**blend.serving(), "foldin_reg": foldin_reg, "rating_min": rating_scale[0],
               "rating_max": rating_scale[1]}
    return serving_ranker(v.mf, np.bincount(items, minlength=n_items), genres, serving,
                          build_graph(users, items, ratings, n_users, n_items, blend),
                          build_ease(users, items, ratings, n_users, n_items, blend),
                          item_stats(items, ratings, n_items, years, v.mf.item_bias), reranker)


@dataclass(frozen=True)
class Settings:
    """How much validation data and boosting the stage gets: folds of the training users (fold 1 judges),
    draws of each held-out user's inputs, LightGBM rounds; refit: the kept stage is refitted on all the
    folds (else it is the judged booster, learnt without fold 1). The defaults cost ~60 s on ML-100K on a
    quiet machine, two LightGBM fits of ~20 s each among it (RESULTS.md, round 5)."""

    folds: int = FOLDS
    draws: int = DRAWS
    rounds: int = ROUNDS
    refit: bool = True


@dataclass(frozen=True)
class FoldQueries:
    """One fold's queries: features (Q * C, F) float32, labels (Q * C,) int32 (1 = a target), groups (Q,)
    candidates per query, n_relevant (Q,) min(K, targets), candidates (Q * C,) int64 their catalog rows."""

    features: np.ndarray
    labels: np.ndarray
    groups: np.ndarray
    n_relevant: np.ndarray
    candidates: np.ndarray


def fold_split(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, genres: np.ndarray,
               years: np.ndarray, params: Params, blend: Blend, seed: int, fold: int, folds: int, draws: int,
               rating_scale: tuple[float, float], foldin_reg: float) -> tuple[ValidationSplit, Ranker]:
    """Fold `fold`'s held-out users (draws queries each) and the Ranker of the blend fitted on the other folds."""
    v = ValidationSplit(users, items, ratings, n_users, genres, params, SPLIT_SEED + seed, rating_scale, foldin_reg,
                        max_queries=10**9, samples=draws, fold=(fold, folds))
    return v, split_ranker(v, genres, years, blend, rating_scale, foldin_reg)


def queries_of(v: ValidationSplit, ranker: Ranker, alpha: float) -> FoldQueries:
    """The split's queries' candidates, featured by ranker as the scorer features them."""
    feats, labels, groups, cands = [], [], [], []
    for q in range(len(v.rows)):
        top, f = ranker.candidates(v.rows[q], v.weights[q], CANDIDATES, alpha)
        feats.append(f)
        labels.append(v.judge.targets[q, top].astype(np.int32))
        groups.append(len(top))
        cands.append(top)
    return FoldQueries(np.concatenate(feats), np.concatenate(labels), np.array(groups), v.judge.n_relevant,
                       np.concatenate(cands))


def fold_queries(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, genres: np.ndarray,
                 years: np.ndarray, params: Params, blend: Blend, seed: int, fold: int, folds: int, draws: int,
                 rating_scale: tuple[float, float], foldin_reg: float) -> FoldQueries:
    """The candidates of fold `fold`'s held-out users, featured by a Ranker of the blend fitted on the others."""
    v, ranker = fold_split(users, items, ratings, n_users, genres, years, params, blend, seed, fold, folds, draws,
                           rating_scale, foldin_reg)
    return queries_of(v, ranker, blend.alpha)


def ndcg_recall(labels: np.ndarray, groups: np.ndarray, n_relevant: np.ndarray,
                scores: np.ndarray | None = None) -> tuple[float, float]:
    """Mean NDCG@K and Recall@K of each query's candidates ordered by scores (higher first; None: as given)."""
    discounts = 1.0 / np.log2(np.arange(2, K + 2))
    ideal = np.cumsum(discounts)
    ndcg, recall, start = [], [], 0
    for size, relevant in zip(groups.tolist(), n_relevant.tolist()):
        mine = labels[start:start + size]
        if scores is not None:
            mine = mine[np.argsort(-scores[start:start + size], kind="stable")]
        hits = mine[:K]
        ndcg.append(float(hits @ discounts[:len(hits)]) / ideal[relevant - 1])
        recall.append(hits.sum() / relevant)
        start += size
    return float(np.mean(ndcg)), float(np.mean(recall))


def fit_booster(data: list[FoldQueries], rounds: int = ROUNDS) -> lightgbm.Booster:
    """LambdaMART on these folds' queries (LIGHTGBM's settings)."""
    train = lightgbm.Dataset(np.concatenate([d.features for d in data]), np.concatenate([d.labels for d in data]),
                             group=np.concatenate([d.groups for d in data]), feature_name=list(FEATURES))
    return lightgbm.train(LIGHTGBM, train, num_boost_round=rounds)


def train_stage(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, genres: np.ndarray,
                years: np.ndarray, params: Params, blend: Blend, seed: int = 0,
                rating_scale: tuple[float, float] = parts.DEFAULT_RATING_SCALE,
                foldin_reg: float = parts.DEFAULT_FOLDIN_REG, settings: Settings = Settings(),
                on_progress: Callable[[str], None] | None = None) -> tuple[str | None, dict[str, Any]]:
    """The stage's LightGBM model text, or None when it did not beat the blend on the held-out fold, and
    the record of how it was chosen (manifest serving.rerank). users (N,) < n_users, items (N,) rows,
    ratings (N,): the training ratings; genres (I, G); years (I,) 0 = unknown."""
    folds, draws, rounds = settings.folds, settings.draws, settings.rounds
    if folds < 2:
        raise ValueError(f"the re-rank stage needs at least 2 folds (one judges), got {folds}")
    started = time.perf_counter()
    data = []
    for f in range(folds):
        data.append(fold_queries(users, items, ratings, n_users, genres, years, params, blend, seed, f, folds, draws,
                                 rating_scale, foldin_reg))
        if on_progress is not None:
            on_progress(f"re-rank stage: fold {f + 1}/{folds}, {len(data[-1].groups)} queries featured")
    featured = time.perf_counter()
    booster = fit_booster(data[1:], rounds)
    judged = data[0]
    blend_ndcg, blend_recall = ndcg_recall(judged.labels, judged.groups, judged.n_relevant)
    stage_ndcg, stage_recall = ndcg_recall(judged.labels, judged.groups, judged.n_relevant,
                                           np.asarray(booster.predict(judged.features, num_threads=1)))
    gain = stage_ndcg / blend_ndcg - 1 if blend_ndcg > 0 else 0.0
    kept = gain > MIN_GAIN
    # The judgement stays the one above; one more fold of queries only adds training data to what serves.
    served = fit_booster(data, rounds) if kept and settings.refit else booster
    trained_on = data if kept and settings.refit else data[1:]
    record = {
        "method": f"LambdaMART (LightGBM {lightgbm.__version__} lambdarank) over the blend's top {CANDIDATES}, "
                  f"trained on validation folds 2..{folds} of the training users ({draws} draws of 5 liked inputs "
                  "per user), judged on fold 1; served only if it beats the blend there"
                  + (f", then refitted on folds 1..{folds}" if settings.refit else ""),
        "candidates": CANDIDATES, "folds": folds, "draws": draws, "rounds": rounds, "features": list(FEATURES),
        "held_out_fold": {"queries": len(judged.groups), "blend_ndcg10": round(blend_ndcg, 4),
                          "stage_ndcg10": round(stage_ndcg, 4), "ndcg10_gain": round(gain, 4),
                          "blend_recall10": round(blend_recall, 4), "stage_recall10": round(stage_recall, 4)},
        "kept": kept, "refit": settings.refit,
        "trained_queries": int(sum(len(d.groups) for d in trained_on)),
        "seconds": {"features": round(featured - started, 2), "lightgbm": round(time.perf_counter() - featured, 2)},
    }
    if on_progress is not None:
        on_progress(f"re-rank stage: held-out fold NDCG@10 {blend_ndcg:.4f} (blend) -> {stage_ndcg:.4f} "
                    f"({100 * gain:+.2f}%): {'kept' if kept else 'not kept'}")
    return (served.model_to_string() if kept else None), record
