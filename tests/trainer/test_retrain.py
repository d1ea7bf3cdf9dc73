"""retrain on an app-ratings frame: ids, scale, the gate's verdicts, LATEST, the history file, the lock."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone

import numpy as np
import pandas as pd
import pytest

from movierec.artifact import LATEST, latest_version, load_artifact
from movierec.retrain_history import HISTORY_FILE, append_entry, read_history
from services.scorer.model import HybridModel
from trainer.app_data import seen_by, with_app_ratings
from trainer.bpmf import BPMFParams
from trainer.gate import Figures, Tolerance, decide
from trainer.movielens import DataError
from trainer.retrain import LOCK_FILE, RetrainBusy, prune_rejected, ranking_plan, retrain, root_lock
from trainer.sgd import TrainParams
from trainer.synthetic import make_synthetic
from trainer.tune_ranking import DEFAULT_BLEND

OFFSET = 1_000_000_000  # movierec.store.APP_USER_ID_OFFSET
PARAMS = BPMFParams(factors=3, burn_in=5, samples=10, serve_factors=0, seed=2)
# A recipe that learns almost nothing: the gate must refuse it against PARAMS.
BAD = TrainParams(factors=2, epochs=1, lr=1e-4, reg=0.1, conf_scale=0.0, init_std=0.0, seed=1)


def when(minute: int) -> datetime:
    return datetime(2026, 12, 5, 12, minute, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def base():
    return make_synthetic(n_users=150, n_items=60, density=0.5, seed=3)


def app_frame(base, accounts: range, per_account: int = 15, seed: int = 0, t0: int = 1_700_000_000) -> pd.DataFrame:
    """Ratings of app accounts in half stars that follow the movies' mean ratings (so they are learnable)."""
    rng = np.random.default_rng(seed)
    means = {m.movie_id: m.mean_rating for m in base.movies}
    rows = []
    for a in accounts:
        shift = rng.normal(0, 0.5)
        for m in rng.choice(base.item_ids(), per_account, replace=False):
            r = np.clip(np.round(2 * (means[int(m)] + shift + rng.normal(0, 0.3))) / 2, 0.5, 5.0)
            rows.append((OFFSET + a, int(m), float(r), t0 + a))
    return pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"])


def test_app_people_join_as_users_above_the_offset_with_the_catalog_recounted(base):
    app = app_frame(base, range(1, 11))
    unknown = pd.DataFrame([(OFFSET + 1, 999_999, 4.0, 1_700_000_500)], columns=app.columns)
    combined, added = with_app_ratings(base, pd.concat([app, unknown]), OFFSET, "test store")
    assert combined.n_ratings == base.n_ratings + len(app)
    assert added.accounts == 10 and added.ratings == len(app) and added.dropped_unknown_movies == 1
    assert added.until == int(app["timestamp"].max())
    assert set(combined.user_ids()[combined.user_ids() >= OFFSET]) == set(app["user_id"])
    assert combined.rating_scale == (0.5, 5.0)  # half stars in: the five-star scale in half steps
    movie = app["movie_id"].iloc[0]
    row = int(np.flatnonzero(combined.item_ids() == movie)[0])
    assert combined.movies[row].n_ratings == base.movies[row].n_ratings + int((app["movie_id"] == movie).sum())
    mask = seen_by(combined, OFFSET, None)
    assert mask.sum() == base.n_ratings and not mask[combined.user_id >= OFFSET].any()
    assert seen_by(combined, OFFSET, int(app["timestamp"].min())).sum() == base.n_ratings + 15


@pytest.mark.parametrize("change, message", [
    (lambda f: f.assign(rating=f["rating"].where(f.index > 0, 4.25)), "half stars"),
    (lambda f: f.assign(rating=f["rating"].where(f.index > 0, 0.0)), "0.5-5"),
    (lambda f: f.assign(user_id=f["user_id"] - OFFSET), "offset"),
    (lambda f: f.drop(columns="timestamp"), "timestamp"),
    (lambda f: pd.concat([f, f.iloc[:1]]), "twice"),
])
def test_malformed_app_ratings_are_refused_with_what_is_wrong(base, change, message):
    with pytest.raises(DataError, match=message):
        with_app_ratings(base, change(app_frame(base, range(1, 3))), OFFSET, "test")


def test_a_base_user_id_at_the_offset_is_refused(base):
    clash = replace(base, user_id=base.user_id + OFFSET)
    with pytest.raises(DataError, match="collide"):
        with_app_ratings(clash, app_frame(base, range(1, 3)), OFFSET, "test")


def figures(rmse: float, ranking: float | None) -> Figures:
    return Figures(rmse, 0.7, rmse, None, ranking, ranking, 1.0)


@pytest.mark.parametrize("candidate, serving, promote, words", [
    (figures(0.900, 0.50), None, True, "no model"),
    (figures(0.904, 0.495), figures(0.900, 0.50), True, "not worse"),
    (figures(0.906, 0.50), figures(0.900, 0.50), False, "RMSE 0.9060 is worse"),
    (figures(0.890, 0.488), figures(0.900, 0.50), False, "below the serving model's 0.5000"),
    (figures(0.890, None), figures(0.900, None), True, "not worse"),
])
def test_gate_decisions(candidate, serving, promote, words):
    verdict = decide(candidate, serving, Tolerance(0.005, 0.01))
    assert verdict.promote is promote and words in verdict.reason


def test_tolerances_must_be_finite_and_not_negative():
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="max_rmse_increase"):
            Tolerance(max_rmse_increase=bad)


@pytest.fixture(scope="module")
def runs(base, tmp_path_factory):
    """Three runs on one root: first (nothing serving), the same data again, then a bad recipe."""
    root = tmp_path_factory.mktemp("retrain")
    app = app_frame(base, range(1, 21))
    first = retrain(root, base, app, OFFSET, "test", PARAMS, "defaults", now=when(1))
    history_after_first = (root / HISTORY_FILE).read_text()
    same = retrain(root, base, app, OFFSET, "test", PARAMS, "serving", now=when(2))  # keeps first's blend
    bad = retrain(root, base, app, OFFSET, "test", BAD, "defaults", now=when(3))
    return root, app, first, same, bad, history_after_first


def test_first_run_promotes_and_app_people_get_predictions(runs):
    root, app, first, *_ = runs
    assert first.promoted and first.reason == "no model is serving yet"
    model = HybridModel(load_artifact(first.path))
    person = int(app["user_id"].iloc[0])
    assert 0.5 <= model.predict(person, int(app["movie_id"].iloc[0])) <= 5.0
    manifest = model.manifest
    assert manifest["app_data"]["accounts"] == 20 and manifest["app_data"]["until"] == int(app["timestamp"].max())
    assert manifest["serving"]["rating_min"] == 0.5 and manifest["metrics"]["rmse"] == first.entry["candidate"]["rmse"]


def test_same_data_and_recipe_score_the_same_on_the_same_splits(runs):
    """The serving model saw every rating (app_data.until), so both sides are the same fit on the same split."""
    _, _, first, same, *_ = runs
    assert same.promoted and same.entry["serving"]["version"] == first.entry["version"]
    kept, before = (load_artifact(o.path).manifest["serving"] for o in (same, first))
    assert kept["tuned_by"]["method"].startswith(f"kept from the serving model {first.entry['version']}")
    assert (kept["item_graph"], kept["weights"], kept["default_alpha"]) == (
        before["item_graph"], before["weights"], before["default_alpha"])
    candidate, serving = same.entry["candidate"], same.entry["serving"]
    for figure in ("rmse", "rmse_base", "rmse_app", "ndcg10", "recall10"):
        assert candidate[figure] == serving[figure], figure


def test_a_worse_candidate_is_written_but_not_served_and_the_reason_is_recorded(runs):
    root, _, _, same, bad, _ = runs
    assert not bad.promoted and "RMSE" in bad.reason and "worse than the serving model" in bad.reason
    assert latest_version(root) == same.entry["version"] != bad.entry["version"]
    assert load_artifact(bad.path).version == bad.entry["version"]  # kept, complete, not served
    assert bad.entry["candidate"]["rmse"] > bad.entry["serving"]["rmse"] + 0.005


def test_history_is_appended_one_line_per_run(runs):
    root, _, first, same, bad, history_after_first = runs
    text = (root / HISTORY_FILE).read_text()
    assert text.startswith(history_after_first)  # append-only
    entries = read_history(root)
    assert [e["version"] for e in entries] == [first.entry["version"], same.entry["version"], bad.entry["version"]]
    assert [e["outcome"] for e in entries] == ["promoted", "promoted", "rejected"]
    assert entries[-1] == json.loads(json.dumps(bad.entry))


def test_only_the_newest_rejected_versions_are_kept_on_disk(tmp_path):
    versions = ["v1", "v2", "v3", "v4", "v5", "v6"]
    outcomes = ["promoted", "rejected", "rejected", "promoted", "rejected", "rejected"]
    for version, outcome in zip(versions, outcomes):
        (tmp_path / version).mkdir()
        append_entry(tmp_path, {"version": version, "outcome": outcome})
    (tmp_path / LATEST).write_text("v4")
    assert prune_rejected(tmp_path, keep=2) == ["v2", "v3"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["v1", "v4", "v5", "v6"]
    assert [e["version"] for e in read_history(tmp_path)] == versions  # the record stays
    assert prune_rejected(tmp_path, keep=2) == []


def test_history_reader_skips_a_torn_line(tmp_path):
    (tmp_path / HISTORY_FILE).write_text('{"version": "a", "outcome": "promoted"}\n{"version": "b", "outc\n'
                                         '{"version": "c", "outcome": "maybe"}\n'
                                         '{"version": "d", "outcome": "rejected"}\n')
    assert [e["version"] for e in read_history(tmp_path)] == ["a", "d"]
    assert read_history(tmp_path / "nowhere") == []


def test_a_second_retrain_on_the_same_root_is_refused_while_one_runs(tmp_path, base):
    with root_lock(tmp_path):
        with pytest.raises(RetrainBusy, match=LOCK_FILE):
            retrain(tmp_path, base, app_frame(base, range(1, 3)), OFFSET, "test", PARAMS, "off")
    assert not (tmp_path / LATEST).exists()


def test_ranking_serving_keeps_what_serves_and_searches_when_nothing_does():
    assert ranking_plan("serving", None) == ("tuned", None)
    assert ranking_plan("serving", {"version": "v1", "serving": {"default_alpha": 0.9}}) == ("off", None)
    mode, (blend, origin) = ranking_plan("serving", {"version": "v1", "serving": DEFAULT_BLEND.serving()})
    assert mode == "defaults" and blend.key() == DEFAULT_BLEND.key() and "v1" in origin
    assert ranking_plan("tuned", None) == ("tuned", None)
    with pytest.raises(ValueError, match="ranking must be one of"):
        ranking_plan("best", None)
