"""The retrain quality gate: the candidate against the serving model, same data, same splits, same protocols.

A served model cannot be scored on ratings it was trained on, so each side is scored as it was made:
its recipe (params, ranking blend and rating scale from its manifest) refitted on the training part
of one split of today's data, restricted for the serving model to the ratings it saw (the base set
plus the app ratings up to the time its manifest records). Both are then scored on the same test
part: the 80/20 RMSE split (seed 42, as `train` evaluates) and the held-out-user ranking protocol
(trainer/heldout.py, (NDCG@10 + Recall@10) / 2). An app person the serving model never saw is
predicted as evaluate_indices predicts any unseen user, so retraining gets credit for learning them.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from trainer.dataset import Dataset
from trainer.evaluate import Evaluation, clipped_predictions, mae, random_split, rmse
from trainer.model import Params, fit_model, warm_up_model
from trainer.tune_ranking import Blend, ValidationSplit

# Refitting one recipe with other seeds on the gate's ML-100K splits moves RMSE by 0.0007 and the
# ranking score by 0.0023 (`python -m bench.retrain --noise 4`). The tolerances are several times that,
# still below the 0.008 RMSE that separated BPMF from tuned SGD:
MAX_RMSE_INCREASE = 0.005  # ~7x the refit noise: a larger rise is a model that predicts worse
MAX_RANKING_DROP = 0.01  # ~4x the refit noise: a re-searched blend may land a little lower on these users
RANKING_SPLIT_SEEDS = (0, 1)  # held-out-user splits averaged: ~190 users each on ML-100K


@dataclass(frozen=True)
class Recipe:
    """How a model is made: MF params, ranking blend (None = MF + popularity fallback), scale, fold-in L2.

    trained (N,) bool marks the dataset's ratings this model may learn from (None = all).
    """

    params: Params
    blend: Blend | None
    rating_scale: tuple[float, float]
    foldin_reg: float
    trained: np.ndarray | None = None
    rerank: tuple[str, int] | None = None  # the re-rank stage: (LightGBM model text, candidates); None: none


@dataclass(frozen=True)
class Figures:
    """One side's scores on the gate's splits; ranking None when no held-out user qualifies."""

    rmse: float
    mae: float
    rmse_base: float
    rmse_app: float | None
    ndcg10: float | None
    recall10: float | None
    train_seconds: float

    @property
    def ranking(self) -> float | None:
        """(NDCG@10 + Recall@10) / 2, the score the ranking blend is chosen by."""
        return None if self.ndcg10 is None or self.recall10 is None else (self.ndcg10 + self.recall10) / 2

    def record(self) -> dict[str, Any]:
        return {k: (None if v is None else round(v, 5)) for k, v in asdict(self).items()} | {
            "ranking": None if self.ranking is None else round(self.ranking, 5)}


@dataclass(frozen=True)
class Verdict:
    promote: bool
    reason: str


@dataclass(frozen=True)
class Tolerance:
    """How much worse than the serving model a candidate may be and still be promoted."""

    max_rmse_increase: float = MAX_RMSE_INCREASE
    max_ranking_drop: float = MAX_RANKING_DROP

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")


def rmse_figures(dataset: Dataset, recipe: Recipe, app_rows: np.ndarray, split_seed: int = 42
                 ) -> tuple[Evaluation, float, float | None]:
    """The 80/20 RMSE protocol for one recipe: (Evaluation over the test part, RMSE on its base ratings,
    RMSE on its app ratings or None). app_rows (N,) bool marks the app's ratings."""
    train, test = random_split(dataset.n_ratings, 0.2, split_seed)
    if recipe.trained is not None:
        train = train[recipe.trained[train]]
    users, items = dataset.indices()
    warm_up_model(recipe.params)
    started = time.perf_counter()
    model = fit_model(users[train], items[train], dataset.rating[train], len(dataset.user_ids()),
                      len(dataset.movies), recipe.params)
    seconds = time.perf_counter() - started
    actual = dataset.rating[test]
    predicted = clipped_predictions(model, users[test], items[test], recipe.rating_scale)
    app = app_rows[test]
    base_rmse = rmse(predicted[~app], actual[~app])
    app_rmse = rmse(predicted[app], actual[app]) if app.any() else None
    baseline = np.full(len(test), model.global_mean, dtype=np.float32)
    evaluation = Evaluation(rmse(predicted, actual), mae(predicted, actual), rmse(baseline, actual), seconds, 0.2,
                            split_seed, len(train), len(test), *recipe.rating_scale)
    return evaluation, base_rmse, app_rmse


def ranking_figures(dataset: Dataset, recipe: Recipe, seeds: tuple[int, ...] = RANKING_SPLIT_SEEDS
                    ) -> tuple[float, float] | None:
    """Mean NDCG@10 and Recall@10 of the recipe on held-out-user splits; None when no user qualifies."""
    users, items = dataset.indices()
    genres = dataset.genre_matrix().astype(np.float64)
    scores = []
    for seed in seeds:
        try:
            split = ValidationSplit(users, items, dataset.rating, len(dataset.user_ids()), genres, recipe.params,
                                    seed, recipe.rating_scale, recipe.foldin_reg, recipe.trained)
        except ValueError:  # no held-out user with enough liked movies (tiny sets)
            return None
        if recipe.blend is not None and recipe.rerank is not None:
            scores.append(staged_ndcg_recall(split, dataset, recipe.blend, recipe.rerank, recipe.rating_scale,
                                             recipe.foldin_reg))
        else:
            scores.append(split.ndcg_recall(recipe.blend))
    ndcg, recall = np.mean(scores, axis=0)
    return float(ndcg), float(recall)


def staged_ndcg_recall(split: ValidationSplit, dataset: Dataset, blend: Blend, rerank: tuple[str, int],
                       rating_scale: tuple[float, float], foldin_reg: float) -> tuple[float, float]:
    """NDCG@10 and Recall@10 on the split of what serves: the blend, then the re-rank stage over its best
    candidates, through the scorer's own Ranker built on the split's training users (so a stage kept over
    refitted factors is judged as it will serve)."""
    from movierec.ranking.lambdamart import LambdaMart  # lightgbm: only for a model with a stage
    from trainer.rerank_train import split_ranker

    years = dataset.years()
    ranker = split_ranker(split, dataset.genre_matrix(), years, blend, rating_scale, foldin_reg, LambdaMart(*rerank))
    k = split.judge.k
    top = np.empty((len(split.rows), k), dtype=np.int64)
    for q, (rows, stars) in enumerate(zip(split.rows, split.ratings, strict=True)):
        ranked = ranker.recommend(rows, stars.astype(np.float32), k, ranker.default_alpha, explain=False).rows
        top[q] = np.concatenate([ranked, np.full(k - len(ranked), rows[0])])  # a short list: inputs never hit
    ndcg, recall = split.judge.per_query(top)
    return float(ndcg.mean()), float(recall.mean())


def figures(dataset: Dataset, recipe: Recipe, app_rows: np.ndarray) -> tuple[Figures, Evaluation]:
    """Both protocols for one recipe: its Figures, and the RMSE Evaluation (the manifest's metrics)."""
    evaluation, base_rmse, app_rmse = rmse_figures(dataset, recipe, app_rows)
    ranked = ranking_figures(dataset, recipe)
    ndcg, recall = ranked if ranked is not None else (None, None)
    return Figures(evaluation.rmse, evaluation.mae, base_rmse, app_rmse, ndcg, recall,
                   evaluation.train_seconds), evaluation


def decide(candidate: Figures, serving: Figures | None, tolerance: Tolerance) -> Verdict:
    """Promote when the candidate is not worse than the serving model beyond the tolerance, on both protocols."""
    if serving is None:
        return Verdict(True, "no model is serving yet")
    problems = []
    if candidate.rmse > serving.rmse + tolerance.max_rmse_increase:
        problems.append(f"RMSE {candidate.rmse:.4f} is worse than the serving model's {serving.rmse:.4f} by "
                        f"{candidate.rmse - serving.rmse:.4f} (tolerance {tolerance.max_rmse_increase})")
    if candidate.ranking is not None and serving.ranking is not None and (
            candidate.ranking < serving.ranking - tolerance.max_ranking_drop):
        problems.append(f"(NDCG@10 + Recall@10) / 2 {candidate.ranking:.4f} is below the serving model's "
                        f"{serving.ranking:.4f} by {serving.ranking - candidate.ranking:.4f} "
                        f"(tolerance {tolerance.max_ranking_drop})")
    if problems:
        return Verdict(False, "; ".join(problems))
    ranking = ("" if candidate.ranking is None or serving.ranking is None else
               f", (NDCG@10 + Recall@10) / 2 {candidate.ranking:.4f} vs {serving.ranking:.4f}")
    return Verdict(True, f"not worse beyond the tolerance: RMSE {candidate.rmse:.4f} vs {serving.rmse:.4f}{ranking}")
