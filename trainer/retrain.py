"""`retrain`: a candidate from the base dataset plus the app's ratings, promoted only past the quality gate."""
from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from movierec.artifact import ArtifactError, latest_version, load_artifact, read_manifest, read_rerank_model, set_latest
from movierec.ranking import parts
from movierec.retrain_history import append_entry, read_history
from trainer import rerank_train
from trainer.app_data import seen_by, with_app_ratings
from trainer.dataset import Dataset
from trainer.gate import Figures, Recipe, Tolerance, Verdict, decide, figures, ranking_figures
from trainer.model import Params, default_params, params_from_manifest
from trainer.train import train_artifact
from trainer.tune_ranking import Blend

LOCK_FILE = ".retrain.lock"
# Rejected candidates kept on disk for inspection (their history lines stay forever); older ones are deleted,
# so a scheduled loop whose candidates keep failing the gate does not fill the disk.
KEEP_REJECTED = 3


class RetrainBusy(RuntimeError):
    """Another retrain holds the artifact root's lock."""


@dataclass(frozen=True)
class Outcome:
    """One run: the candidate's directory, whether it now serves, and the history line written."""

    path: Path
    promoted: bool
    reason: str
    entry: dict[str, Any]


@contextmanager
def root_lock(root: Path) -> Iterator[None]:
    """Holds an exclusive lock on root/LOCK_FILE (released when the process dies); RetrainBusy if taken."""
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RetrainBusy(f"another retrain is running on {root} (it holds {root / LOCK_FILE})") from None
        yield
    finally:
        os.close(fd)


def stage_of(serving: dict[str, Any], model_text: str | None) -> tuple[str, int] | None:
    """A model's re-rank stage as a gate Recipe takes it (model text, candidates); None when it has none."""
    candidates = serving.get("rerank", {}).get("candidates")
    return (model_text, int(candidates)) if model_text is not None and candidates else None


def serving_recipe(manifest: dict[str, Any], dataset: Dataset, offset: int,
                   rerank_text: str | None = None) -> Recipe:
    """How the serving artifact was made (its manifest, and its re-rank stage's model text when it has one and
    it is at hand), restricted to the ratings of dataset it saw (`app_data`)."""
    serving = manifest.get("serving", {})
    until = manifest.get("app_data", {}).get("until")
    return Recipe(params_from_manifest(manifest.get("params", {})), Blend.of_serving(serving),
                  (float(serving.get("rating_min", 1.0)), float(serving.get("rating_max", 5.0))),
                  float(serving.get("foldin_reg", parts.DEFAULT_FOLDIN_REG)), seen_by(dataset, offset, until),
                  stage_of(serving, rerank_text))


def serving_stage(root: Path, manifest: dict[str, Any] | None) -> str | None:
    """The serving model's re-rank model text, read once per run; None when nothing serves, it has no stage,
    or its file is not here (an S3 root's local mirror holds manifests only)."""
    if manifest is None:
        return None
    try:
        return read_rerank_model(root / manifest["version"])
    except ArtifactError:
        return None


def _serving(root: Path) -> tuple[dict[str, Any] | None, str]:
    """The manifest of the version LATEST names (only the manifest: an S3 root's mirror holds no more),
    or None and why there is none to compare with."""
    try:
        return read_manifest(root), ""
    except ArtifactError as e:
        if latest_version(root) is None:
            return None, "no model is serving yet"
        return None, f"the serving artifact cannot be read ({e})"


def rerank_plan(serving: dict[str, Any] | None,
                stage_text: str | None) -> tuple[bool, tuple[str, dict[str, Any]] | None]:
    """For a retrain that keeps the serving blend: whether to learn a re-rank stage, and the serving model's
    (model text, manifest record) to keep instead. Learning it costs most of retrain's time budget (~60 s on
    ML-100K), so the serving model's stage (stage_text: serving_stage) is kept, and none is learnt when it
    serves none; only when its file is not here (a root whose local mirror holds manifests only) is a new one
    learnt."""
    record = (serving or {}).get("serving", {}).get("rerank", {})
    if serving is None or not record.get("kept"):
        return False, None
    if stage_text is None:
        return True, None
    return False, (stage_text, {**record, "kept_from": serving["version"]})


RETRAIN_RANKING = ("serving", "tuned", "defaults", "off")


def ranking_plan(ranking: str, serving: dict[str, Any] | None) -> tuple[str, tuple[Blend, str] | None]:
    """train_artifact's ranking mode and kept blend for retrain's --ranking.

    "serving" keeps the serving model's blend (the search is most of a run's time, and its optimum is
    flat; the gate still scores the ranking): its graph is rebuilt on the new data with the same
    parameters. With no model serving it searches ("tuned"); a serving model without an item graph
    keeps none ("off"). The other values are train's modes.
    """
    if ranking not in RETRAIN_RANKING:
        raise ValueError(f"ranking must be one of {', '.join(RETRAIN_RANKING)}, got {ranking!r}")
    if ranking != "serving":
        return ranking, None
    if serving is None:
        return "tuned", None
    blend = Blend.of_serving(serving.get("serving", {}))
    if blend is None:
        return "off", None
    return "defaults", (blend, f"kept from the serving model {serving['version']} (retrain --ranking serving)")


def retrain(root: Path | str, base: Dataset, app: pd.DataFrame, offset: int, source: str,
            params: Params | None = None, ranking: str = "serving", tolerance: Tolerance | None = None,
            now: datetime | None = None, on_progress: Callable[[str], None] | None = None) -> Outcome:
    """Trains a candidate on base + app ratings into root, gates it against LATEST, records the run.

    app: the store's ratings (trainer.app_data.APP_COLUMNS, user_id = offset + account id). The
    candidate is always written; LATEST moves to it only when the gate passes and LATEST still names
    the model it was compared with. RetrainBusy when another retrain holds root's lock.
    """
    root = Path(root)
    params = params or default_params()
    tolerance = tolerance or Tolerance()
    say = on_progress or (lambda line: None)
    started = time.perf_counter()
    with root_lock(root):
        incumbent, why_none = _serving(root)
        mode, kept = ranking_plan(ranking, incumbent)
        dataset, added = with_app_ratings(base, app, offset, source)
        app_rows = dataset.user_id >= offset
        say(f"{dataset.name}: {dataset.n_ratings} ratings, {added.ratings} of them from {added.accounts} app accounts")
        candidate = Recipe(params, None, dataset.rating_scale, parts.DEFAULT_FOLDIN_REG)
        cand_figures, evaluation = figures(dataset, candidate, app_rows)
        say(f"candidate RMSE {cand_figures.rmse:.4f}; training it on all ratings")
        incumbent_stage = serving_stage(root, incumbent)
        learn_rerank, kept_rerank = rerank_plan(incumbent, incumbent_stage) if kept is not None else (True, None)
        path = train_artifact(root, params, dataset, now=now, ranking=mode, kept_blend=kept, on_progress=say,
                              rerank=rerank_train.Settings() if learn_rerank else None, kept_rerank=kept_rerank,
                              evaluation=evaluation,
                              extra={"app_data": added.manifest()}, promote=False)
        written = load_artifact(path)
        blend = Blend.of_serving(written.manifest["serving"])
        # The ranking as it will serve: the blend and, when the written model has one, its re-rank stage.
        ranked = ranking_figures(dataset, Recipe(params, blend, dataset.rating_scale, parts.DEFAULT_FOLDIN_REG,
                                                 rerank=stage_of(written.manifest["serving"], written.rerank_model)))
        cand_figures = Figures(**{**asdict(cand_figures), **dict(zip(("ndcg10", "recall10"), ranked or (None, None)))})
        serving_figures: Figures | None = None
        if incumbent is not None:
            say(f"scoring the serving model {incumbent['version']} the same way")
            serving_figures, _ = figures(dataset, serving_recipe(incumbent, dataset, offset, incumbent_stage),
                                         app_rows)
            verdict = decide(cand_figures, serving_figures, tolerance)
        else:
            verdict = Verdict(True, why_none)
        if verdict.promote:
            current = latest_version(root)
            if incumbent is not None and current != incumbent["version"]:
                verdict = Verdict(False, f"LATEST changed during the run (to {current}); compared with "
                                         f"{incumbent['version']}, so not promoted")
            else:
                set_latest(root, written.version)
        entry = {
            "time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "version": written.version, "outcome": "promoted" if verdict.promote else "rejected",
            "reason": verdict.reason, "candidate": cand_figures.record(),
            "serving": None if incumbent is None or serving_figures is None else {
                "version": incumbent["version"], **serving_figures.record()},
            "data": {"dataset": dataset.name, "ratings": dataset.n_ratings, "app_accounts": added.accounts,
                     "app_ratings": added.ratings, "dropped_unknown_movies": added.dropped_unknown_movies},
            "tolerance": asdict(tolerance), "seconds": round(time.perf_counter() - started, 2),
        }
        append_entry(root, entry)
        prune_rejected(root)
        return Outcome(path, verdict.promote, verdict.reason, entry)


def rejected_to_prune(history: list[dict[str, Any]], serving: str | None, keep: int = KEEP_REJECTED) -> list[str]:
    """All but the newest `keep` rejected versions of a root's history, never the one LATEST names (promoted
    ones are never listed: they are what a rollback points LATEST back at). Local and S3 roots share it."""
    rejected = [e["version"] for e in history if e["outcome"] == "rejected"]
    return [v for v in rejected[:max(len(rejected) - keep, 0)] if v != serving]


def prune_rejected(root: Path, keep: int = KEEP_REJECTED) -> list[str]:
    """Deletes the directories of rejected_to_prune's versions under root; the names deleted."""
    old = [v for v in rejected_to_prune(read_history(root), latest_version(root), keep) if (root / v).is_dir()]
    for version in old:
        shutil.rmtree(root / version)
    return old
