"""`python -m trainer` as a user runs it: real subprocesses, real data for `train`."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.common.artifact import LATEST, load_artifact
from tests.artifact_factory import build_tiny_artifact

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trainer", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.mark.data
def test_train_beats_the_global_mean_then_if_missing_skips(tmp_path, ml100k_files):
    out = tmp_path / "artifacts"
    env = {**os.environ, "MOVIEREC_CACHE": str(ml100k_files.inter.parent.parent)}
    done = run("train", "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    art = load_artifact(out)
    metrics = art.manifest["metrics"]
    assert metrics["rmse"] < metrics["global_mean_rmse"]
    assert f"RMSE {metrics['rmse']:.4f}" in done.stdout and f"MAE {metrics['mae']:.4f}" in done.stdout
    assert art.manifest["dataset"]["name"] == "ml-100k"
    assert art.manifest["dataset"]["dropped_items"] == 1
    assert len(art.movies) == art.manifest["dataset"]["n_items"] == art.genre_matrix.shape[0]

    again = run("train", "--out", str(out), "--if-missing", env=env)
    assert again.returncode == 0 and art.version in again.stdout
    assert [p.name for p in out.iterdir() if p.name != LATEST] == [art.version]

    info = run("info", "--artifact", str(out))
    assert info.returncode == 0 and art.version in info.stdout and "ml-100k" in info.stdout


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
