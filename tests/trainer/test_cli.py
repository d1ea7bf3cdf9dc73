"""`python -m trainer` as a user runs it: real subprocesses, real data for `train`."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from movierec.artifact import LATEST, load_artifact
from testing.artifacts import build_tiny_artifact
from trainer.tune_ranking import NEIGHBORS

pytestmark = pytest.mark.integration  # runs the trainer, pip or linters as processes, or local HTTP servers

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trainer", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.mark.data
def test_default_train_writes_the_tuned_servable_artifact_then_if_missing_skips(ml100k_artifact_root):
    """ml100k_artifact_root is `python -m trainer train --out DIR` with no other option (tests/conftest.py)."""
    out = ml100k_artifact_root
    art = load_artifact(out)
    metrics, serving = art.manifest["metrics"], art.manifest["serving"]
    assert metrics["rmse"] < metrics["global_mean_rmse"]
    assert art.manifest["dataset"]["name"] == "ml-100k"
    assert art.manifest["dataset"]["dropped_items"] == 1
    assert len(art.movies) == art.manifest["dataset"]["n_items"] == art.genre_matrix.shape[0]
    # The ranking blend was chosen by the validation search and the graph is in the same artifact.
    assert art.arrays["neighbor_rows"].shape == (len(art.movies), NEIGHBORS)
    assert "grid search" in serving["tuned_by"]["method"] and 0.3 < serving["validation_ndcg_recall10"] < 1
    assert 0 < serving["default_alpha"] <= 1 and serving["weights"]["graph"] == 1.0
    # ML-100K is small: the size-dependent choices keep the defaults, implicit feedback on.
    sizing = art.manifest["sizing"]
    assert sizing["ranking"] == "tuned" and sizing["implicit_feedback"] is True and sizing["reasons"] == []
    assert sizing["params"] == art.manifest["params"]

    again = run("train", "--out", str(out), "--if-missing")
    assert again.returncode == 0 and art.version in again.stdout and "nothing to do" in again.stdout
    assert [p.name for p in out.iterdir() if p.name != LATEST] == [art.version]

    info = run("info", "--artifact", str(out))
    assert info.returncode == 0 and art.version in info.stdout and "ml-100k" in info.stdout


SMALL = ("--dataset", "synthetic:300x100x12000", "--no-eval", "--model", "sgd", "--epochs", "3")


def test_if_missing_trains_a_ranked_artifact_over_an_mf_only_one(tmp_path):
    out = tmp_path / "artifacts"
    first = run("train", "--out", str(out), "--ranking", "off", *SMALL)
    assert first.returncode == 0, first.stderr
    mf_only = load_artifact(out)
    assert "neighbor_rows" not in mf_only.arrays and "no ranking blend" in first.stdout

    skip = run("train", "--out", str(out), "--if-missing", "--ranking", "off", *SMALL)
    assert skip.returncode == 0 and "nothing to do" in skip.stdout

    ranked = run("train", "--out", str(out), "--if-missing", *SMALL)
    assert ranked.returncode == 0, ranked.stderr
    assert "has no ranking blend" in ranked.stderr and "validation split 4: " in ranked.stderr
    art = load_artifact(out)
    assert art.version != mf_only.version and "neighbor_rows" in art.arrays
    assert "grid search" in art.manifest["serving"]["tuned_by"]["method"]


def test_info_summarises_an_artifact(tmp_path):
    path = build_tiny_artifact(tmp_path)
    done = run("info", "--artifact", str(tmp_path))
    assert done.returncode == 0
    assert path.name in done.stdout and "tiny-test" in done.stdout and "foldin_reg=0.1" in done.stdout


def test_errors_are_one_line_not_tracebacks(tmp_path):
    missing = run("info", "--artifact", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and missing.stderr.startswith("error: no artifact at")
    bad = run("train", "--out", str(tmp_path), "--epochs", "-1")
    assert bad.returncode == 2 and "epochs=-1" in bad.stderr
    for done in (missing, bad):
        assert "Traceback" not in done.stderr


def test_train_explains_its_sizing_and_reports_peak_memory(tmp_path):
    done = run("train", "--out", str(tmp_path), "--dataset", "synthetic:300x100x12000", "--burn-in", "2",
               "--samples", "3", "--ranking", "off")
    assert done.returncode == 0, done.stderr
    sizing_lines = [line for line in done.stderr.splitlines() if line.startswith("sizing: ")]
    assert len(sizing_lines) == 1 and "12,000 ratings" in sizing_lines[0]
    assert "peak memory" in done.stderr and "loading data:" in done.stderr
    assert "train 100% (served): 5/5 sweeps/epochs" in done.stderr and "ETA 0 s" in done.stderr  # no terminal
    manifest = load_artifact(tmp_path).manifest
    assert manifest["sizing"]["params"]["samples"] == 3 and manifest["params"]["burn_in"] == 2
    assert manifest["sizing"]["ranking"] == "off"
    info = run("info", "--artifact", str(tmp_path))
    assert info.returncode == 0 and "sizing       the defaults as they are" in info.stdout


def test_evaluate_reads_a_csv_release_directory(tmp_path):
    """ml-latest-small's layout (ratings.csv + movies.csv, half stars), here written by `synth`."""
    data = tmp_path / "small"
    assert run("synth", "200x150x5000", "--out", str(data)).returncode == 0
    assert (data / "ratings.csv").exists() and (data / "movies.csv").exists()
    done = run("evaluate", "--dataset", str(data), "--splits", "80/20", "--no-surprise", "--samples", "5",
               "--burn-in", "3")
    assert done.returncode == 0, done.stderr
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ") for line in done.stdout.splitlines()
            if line.startswith("| ") and "---" not in line}
    served = next(name for name in rows if name.endswith("= served default") or "implicit 0.5" in name)
    assert float(rows[served][1]) < float(rows["global mean"][1])
    assert "BPMF (10 f x 5 samples, no implicit)" in rows
