"""train_artifact end to end on synthetic data: a loadable artifact whose arrays line up with the ids."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timezone

import numpy as np
import pytest

from movierec.artifact import LATEST, load_artifact
from services.scorer.model import HybridModel
from trainer.evaluate import rmse
from trainer.sgd import TrainParams
from trainer.train import train_artifact, version_name
from trainer.tune_ranking import DEFAULT_BLEND, NEIGHBORS

PARAMS = TrainParams(factors=4, epochs=20, lr=0.02, reg=0.02, conf_scale=0.1, init_std=0.1, seed=1)
NOW = datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def trained(tmp_path_factory, synthetic):
    root = tmp_path_factory.mktemp("artifacts")
    # make_synthetic's users have too few liked movies for the blend search: the default blend, no search.
    return root, train_artifact(root, PARAMS, synthetic, now=NOW, ranking="defaults")


def test_artifact_loads_with_the_right_shapes(trained, synthetic):
    root, path = trained
    art = load_artifact(root)
    assert art.path == path and (root / LATEST).read_text().strip() == path.name
    n_users, n_items = len(synthetic.user_ids()), len(synthetic.movies)
    a = art.arrays
    assert a["user_factors"].shape == (n_users, PARAMS.factors)
    assert a["item_factors"].shape == (n_items, PARAMS.factors)
    assert a["user_bias"].shape == (n_users,) and a["item_bias"].shape == (n_items,)
    assert a["user_ids"].tolist() == sorted(set(synthetic.user_id.tolist()))
    assert a["item_ids"].tolist() == [m.movie_id for m in synthetic.movies]
    assert art.genre_names == synthetic.genre_names
    assert art.genre_matrix.shape == (n_items, len(synthetic.genre_names))
    for row, movie in zip(art.genre_matrix, art.movies):
        assert {art.genre_names[j] for j in np.flatnonzero(row)} == set(movie.genres)


def test_served_model_predicts_ratings_by_dataset_id(trained, synthetic):
    """Looking users and movies up by their dataset ids reproduces the ratings well: the rows line up."""
    art = load_artifact(trained[0])
    a = art.arrays
    u = np.searchsorted(a["user_ids"], synthetic.user_id)
    i = np.array([art.item_row(m) for m in synthetic.movie_id.tolist()])
    predicted = a["global_mean"] + a["user_bias"][u] + a["item_bias"][i] + np.einsum(
        "nk,nk->n", a["user_factors"][u], a["item_factors"][i])
    baseline = rmse(np.full(synthetic.n_ratings, a["global_mean"]), synthetic.rating)
    assert rmse(predicted, synthetic.rating) < 0.6 * baseline
    shuffled = np.random.default_rng(0).permutation(i)
    wrong = a["global_mean"] + a["user_bias"][u] + a["item_bias"][shuffled] + np.einsum(
        "nk,nk->n", a["user_factors"][u], a["item_factors"][shuffled])
    assert rmse(wrong, synthetic.rating) > rmse(predicted, synthetic.rating) + 0.2


def test_manifest_records_data_params_metrics_and_serving(trained, synthetic):
    m = load_artifact(trained[0]).manifest
    assert m["created_at"] == "2026-03-04T05:06:07Z"
    assert re.fullmatch(r"20260304T050607Z-[0-9a-f]{8}", m["version"])
    assert m["dataset"] == {
        "name": "synthetic", "source": synthetic.source, "sha256": synthetic.sha256,
        "n_users": len(synthetic.user_ids()), "n_items": len(synthetic.movies), "n_ratings": synthetic.n_ratings,
        "dropped_items": 0, "dropped_ratings": 0,
    }
    assert m["params"] == PARAMS.to_dict()
    metrics = m["metrics"]
    assert 0 < metrics["rmse"] < metrics["global_mean_rmse"]
    assert 0 < metrics["mae"] <= metrics["rmse"]
    assert metrics["train_seconds"] >= 0 and metrics["test_fraction"] == 0.2 and metrics["split_seed"] == 42
    assert metrics["n_train"] + metrics["n_test"] == synthetic.n_ratings
    serving = m["serving"]
    assert serving["default_alpha"] == DEFAULT_BLEND.alpha and serving["foldin_reg"] > 0
    assert (serving["rating_min"], serving["rating_max"]) == (1.0, 5.0)
    assert serving["weights"] == DEFAULT_BLEND.serving()["weights"] and serving["item_graph"]["method"] == "RP3beta"


def test_the_item_graph_is_in_the_artifact_and_the_scorer_serves_it(trained, synthetic):
    art = load_artifact(trained[0])
    n = len(synthetic.movies)
    rows, weights = art.arrays["neighbor_rows"], art.arrays["neighbor_weights"]
    assert rows.shape == weights.shape == (n, min(NEIGHBORS, n - 1))
    assert np.all(rows != np.arange(n)[:, None]) and np.all(np.diff(weights, axis=1) <= 0)
    model = HybridModel(art)
    assert model.neighbor_rows is not None and model.weights["graph"] == 1.0


def test_ranking_off_writes_mf_only_and_unknown_modes_fail_first(tmp_path, synthetic):
    art = load_artifact(train_artifact(tmp_path, PARAMS, synthetic, now=NOW, ranking="off", evaluate=False))
    assert "neighbor_rows" not in art.arrays and "weights" not in art.manifest["serving"]
    with pytest.raises(ValueError, match="ranking must be one of"):
        train_artifact(tmp_path / "x", PARAMS, synthetic, ranking="best")
    assert not (tmp_path / "x").exists()


def test_version_name_depends_on_data_and_params():
    base = version_name("a" * 64, PARAMS, NOW)
    assert base == version_name("a" * 64, PARAMS, NOW)
    assert base.startswith("20260304T050607Z-")
    assert version_name("b" * 64, PARAMS, NOW) != base
    assert version_name("a" * 64, replace(PARAMS, seed=2), NOW) != base


def test_a_second_training_becomes_latest(tmp_path, synthetic):
    first = train_artifact(tmp_path, PARAMS, synthetic, now=NOW, ranking="off")
    second = train_artifact(tmp_path, replace(PARAMS, epochs=5), synthetic, now=NOW, ranking="off")
    assert first != second and first.is_dir()
    assert load_artifact(tmp_path).path == second
