"""Random search, k-fold splits and the side-by-side evaluation, on the small synthetic set."""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from movierec.artifact import load_artifact
from trainer.compare import compare, markdown
from trainer.evaluate import bias_only, kfold_splits, random_split
from trainer.sgd import TrainParams
from trainer.tune import search, table

pytestmark = pytest.mark.integration  # runs the trainer, pip or linters as processes, or local HTTP servers

REPO = Path(__file__).resolve().parents[2]
SMALL = TrainParams(factors=3, epochs=15, lr=0.02, reg=0.02)


def test_kfold_parts_are_disjoint_and_cover_everything():
    tests = []
    for train, test in kfold_splits(103, 5, seed=1):
        assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == 103
        tests.append(test)
    assert sorted(np.concatenate(tests).tolist()) == list(range(103))
    assert {len(t) for t in tests} <= {20, 21}


def test_search_keeps_the_base_as_a_candidate_and_sorts(synthetic):
    seen = []
    trials = search(synthetic, trials=4, seed=1, base=SMALL, on_trial=seen.append)
    assert len(trials) == len(seen) == 4
    assert [t.valid_rmse for t in trials] == sorted(t.valid_rmse for t in trials)
    assert seen[0].params.factors == SMALL.factors and seen[0].params.lr == SMALL.lr  # the base went first
    assert all(t.params.patience == 0 and t.params.epochs == t.epochs >= 1 for t in trials)
    assert table(trials).count("\n") == 5


def test_search_never_sees_the_test_part(synthetic):
    """Changing the test ratings of the seed-42 split cannot change the search's result."""
    _, test = random_split(synthetic.n_ratings, 0.2, 42)
    changed = replace(synthetic, rating=synthetic.rating.copy())
    changed.rating[test] = 6 - changed.rating[test]
    a, b = search(synthetic, trials=2, base=SMALL), search(changed, trials=2, base=SMALL)
    assert [t.valid_rmse for t in a] == [t.valid_rmse for t in b]


def test_compare_rows_are_ordered_and_the_model_beats_the_baselines(synthetic):
    rows = compare(synthetic, replace(SMALL, epochs=40), "80/20", with_surprise=False)
    names = [r.name for r in rows]
    assert names[0] == "global mean" and names[1].startswith("bias only")
    # the given SGD params replace SGD's row; BPMF runs with its own defaults and is marked as served
    assert names[3] == "SGD MF (3 f, 40 ep)" and names[4] == "BPMF (10 f x 100 samples, no implicit)"
    assert names[5].startswith("BPMF (10 f x 100 samples, implicit 0.5, 100 served) = served")
    assert rows[3].rmse[0] < rows[1].rmse[0] < rows[0].rmse[0] and rows[5].rmse[0] < rows[1].rmse[0]
    five = compare(synthetic, SMALL, "5-fold", with_surprise=False)
    assert all(len(r.rmse) == 5 for r in five) and "±" in markdown(five)


def test_bias_only_has_no_working_factors():
    assert bias_only(SMALL).factors == 1 and bias_only(SMALL).init_std == 0.0


def test_surprise_svd_row_beats_the_global_mean(synthetic):
    import surprise  # noqa: F401  (requirements-dev.txt installs it: this row must run, not skip)
    rows = compare(synthetic, SMALL, "80/20")
    assert rows[-1].name.startswith("surprise") and rows[-1].rmse[0] < rows[0].rmse[0]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trainer", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def test_cli_synth_tune_and_train_from_the_written_set(tmp_path):
    data = tmp_path / "syn"
    done = run("synth", "300x200x6000", "--out", str(data))
    assert done.returncode == 0, done.stderr
    assert (data / "ratings.csv").is_file() and (data / "movies.csv").is_file()
    out = tmp_path / "artifacts"
    done = run("tune", "--dataset", str(data), "--trials", "3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("| valid_rmse |")
    art = load_artifact(out)
    tuning = art.manifest["tuning"]
    assert tuning["best"]["valid_rmse"] == min(t["valid_rmse"] for t in tuning["top"])
    assert art.manifest["params"]["epochs"] == tuning["best"]["epochs"]
    assert art.stats["totals"]["ratings"] == 6000 and art.manifest["serving"]["rating_min"] == 0.5
    json.dumps(art.stats)


def test_cli_trains_a_synthetic_artifact_directly(tmp_path):
    done = run("train", "--dataset", "synthetic:200x100x3000", "--out", str(tmp_path), "--epochs", "5", "--no-eval")
    assert done.returncode == 0, done.stderr
    art = load_artifact(tmp_path)
    assert art.manifest["dataset"]["name"] == "synthetic:200x100x3000" and len(art.movies) == 100
    assert art.manifest["metrics"] == {"evaluated": False}


def test_cli_rejects_a_bad_synthetic_size(tmp_path):
    done = run("train", "--dataset", "synthetic:lots", "--out", str(tmp_path))
    assert done.returncode == 1 and "USERSxMOVIESxRATINGS" in done.stderr
