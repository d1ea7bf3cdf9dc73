"""Evaluates on a held-out split, trains the served model on all ratings, tunes its ranking and writes the artifact."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from movierec.artifact import write_artifact
from movierec.ranking import parts
from trainer import rerank_train
from trainer.bpmf import Chain
from trainer.dataset import Dataset
from trainer.evaluate import Evaluation, evaluate_split
from trainer.model import Params, default_params, fit_model
from trainer.movielens import load_movielens
from trainer.stats import dataset_stats
from trainer.tune_ranking import RANKING_MODES, Blend, rank

DEFAULT_ALPHA = 0.7

# (stage, epoch, train_rmse); stage is "eval" for the split run and "final" for the served model.
EpochCallback = Callable[[str, int, float], None]


def version_name(dataset_sha256: str, params: Params, now: datetime) -> str:
    """YYYYMMDDTHHMMSSZ-<8 hex of sha256(data sha + params json)>."""
    key = dataset_sha256 + json.dumps(params.to_dict(), sort_keys=True)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def train_artifact(out_root: Path | str, params: Params | None = None, dataset: Dataset | None = None,
                   on_epoch: EpochCallback | None = None, now: datetime | None = None,
                   tuning: dict[str, Any] | None = None, evaluate: bool = True, ranking: str = "tuned",
                   on_progress: Callable[[str], None] | None = None, evaluation: Evaluation | None = None,
                   extra: dict[str, Any] | None = None, promote: bool = True,
                   kept_blend: tuple[Blend, str] | None = None, sizing: dict[str, Any] | None = None,
                   rerank: rerank_train.Settings | None = rerank_train.Settings(),
                   kept_rerank: tuple[str, dict[str, Any]] | None = None) -> Path:
    """Trains and writes one artifact version under out_root (LATEST then names it); returns its dir.

    params defaults to the default model's (trainer.model.DEFAULT_MODEL): TrainParams trains the SGD
    MF, BPMFParams the Gibbs-sampled one; both write the same arrays. dataset defaults to MovieLens
    100K (fetched into the cache if needed). tuning, when given, is stored as the manifest's `tuning`
    block (the search that chose params). evaluate=False skips
    the held-out run (metrics then only say so), halving the time on very large sets.

    ranking: "tuned" chooses the serving blend on validation users and adds the item graph
    (trainer.tune_ranking; about 80 s of CPU on ML-100K), "defaults" adds the graph with the default blend
    (no search), "off" writes MF only (the scorer then falls back to MF + popularity).
    on_progress receives a line per ranking stage. sizing (trainer.sizing's record of the
    size-dependent choices) is stored as the manifest's `sizing` block.

    `python -m trainer retrain` passes the evaluation its gate already ran on the same split (it is
    not run again), extra manifest blocks (`app_data`) and promote=False (LATEST left alone until
    the gate has compared the written version with the serving one), and with kept_blend = (blend,
    origin) the serving model's blend instead of a new search.

    rerank: with a ranking blend, also learn the re-rank stage on validation users with these settings
    (trainer/rerank_train.py; served only if it beats the blend there; not above rerank_train.MAX_RATINGS
    ratings; None: no stage);
    kept_rerank = (model text, its manifest record) keeps a stage learnt before instead (retrain).
    """
    if ranking not in RANKING_MODES:
        raise ValueError(f"ranking must be one of {', '.join(RANKING_MODES)}, got {ranking!r}")
    params = params or default_params()
    dataset = load_movielens() if dataset is None else dataset
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)

    def stage(name: str) -> Callable[[int, float], None] | None:
        return None if on_epoch is None else (lambda epoch, loss: on_epoch(name, epoch, loss))

    metrics: dict[str, Any] = {"evaluated": False}
    chain = Chain()  # the final BPMF fit starts where the evaluation fit's chain ended
    if evaluation is not None:
        metrics = evaluation.metrics()
    elif evaluate:
        metrics = evaluate_split(dataset, params, on_epoch=stage("eval"), chain=chain).metrics()
    users, items = dataset.indices()
    user_ids, item_ids = dataset.user_ids(), dataset.item_ids()
    model = fit_model(users, items, dataset.rating, len(user_ids), len(item_ids), params, stage("final"), chain)

    serving: dict[str, Any] = {"default_alpha": DEFAULT_ALPHA, "foldin_reg": parts.DEFAULT_FOLDIN_REG,
                               "rating_min": dataset.rating_scale[0], "rating_max": dataset.rating_scale[1]}
    graph: dict[str, np.ndarray] = {}
    rerank_model: str | None = None
    if ranking != "off":
        graph, blend = rank(dataset, params, ranking, parts.DEFAULT_FOLDIN_REG, on_progress, kept_blend)
        serving.update(blend)
        if kept_rerank is not None:
            rerank_model, serving["rerank"] = kept_rerank
        elif rerank is not None:
            rerank_model, serving["rerank"] = _rerank_stage(dataset, params, serving, rerank, on_progress)
    arrays: dict[str, np.ndarray] = {
        "global_mean": np.asarray(model.global_mean, dtype=np.float32),
        "user_ids": user_ids,
        "item_ids": item_ids,
        "user_factors": model.user_factors,
        "item_factors": model.item_factors,
        "user_bias": model.user_bias,
        "item_bias": model.item_bias,
        **graph,
    }
    manifest = {
        "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "dataset": {
            "name": dataset.name, "source": dataset.source, "sha256": dataset.sha256,
            "n_users": len(user_ids), "n_items": len(item_ids), "n_ratings": dataset.n_ratings,
            "dropped_items": dataset.dropped_items, "dropped_ratings": dataset.dropped_ratings,
        },
        "params": params.to_dict(),
        "metrics": metrics,
        "serving": serving,
    }
    if tuning is not None:
        manifest["tuning"] = tuning
    manifest.update(extra or {})
    if sizing is not None:
        manifest["sizing"] = sizing
    return write_artifact(out_root, version_name(dataset.sha256, params, now), arrays, dataset.genre_matrix(),
                          list(dataset.genre_names), list(dataset.movies), manifest, stats=dataset_stats(dataset),
                          promote=promote, rerank_model=rerank_model)


def _rerank_stage(dataset: Dataset, params: Params, serving: dict[str, Any], settings: rerank_train.Settings,
                  on_progress: Callable[[str], None] | None) -> tuple[str | None, dict[str, Any]]:
    """The re-rank stage's model text (None: not served) and its manifest record, for the blend in serving."""
    blend = Blend.of_serving(serving)
    if blend is None:
        return None, {"kept": False, "why": "no item graph"}
    if dataset.n_ratings > rerank_train.MAX_RATINGS:
        return None, {"kept": False, "why": f"not trained above {rerank_train.MAX_RATINGS:,} ratings"}
    users, items = dataset.indices()
    years = dataset.years()
    try:
        return rerank_train.train_stage(users, items, dataset.rating, len(dataset.user_ids()),
                                        dataset.genre_matrix().astype(np.float64), years, params, blend,
                                        rating_scale=dataset.rating_scale, settings=settings,
                                        on_progress=on_progress)
    except ValueError as e:  # too few users with enough liked movies for the validation folds
        return None, {"kept": False, "why": str(e)}
