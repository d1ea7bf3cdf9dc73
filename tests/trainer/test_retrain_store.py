"""`python -m trainer retrain` end to end: a real store (SQLite file, PostgreSQL) with ratings -> retrain ->
the promoted model predicts for the app's people; a deleted account's ratings are never used."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from movierec.artifact import latest_version, load_artifact
from movierec.retrain_history import read_history
from movierec.store import APP_USER_ID_OFFSET
from services.scorer.model import HybridModel, UnknownIdError
from testing.app_store import fill_store

pytestmark = pytest.mark.integration  # runs the trainer as a process, on SQLite and a private PostgreSQL

REPO = Path(__file__).resolve().parents[2]
DATASET = "synthetic:300x100x12000"
SMALL = ["--dataset", DATASET, "--ranking", "defaults", "--factors", "3", "--samples", "10", "--burn-in", "5"]


def trainer(*args: str, database_url: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PROFILES_DATABASE_URL"}
    if database_url is not None:
        env["PROFILES_DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", "trainer", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=600, env=env)


def test_store_ratings_reach_a_promoted_model_and_deleted_accounts_do_not(store_url, tmp_path):
    accounts = fill_store(store_url, range(1, 101), delete_last=True)
    out = tmp_path / "artifacts"
    first = trainer("train", "--out", str(out), *SMALL)
    assert first.returncode == 0, first.stderr[-2000:]
    served = latest_version(out)

    done = trainer("retrain", "--out", str(out), *SMALL, database_url=store_url)
    assert done.returncode == 0, done.stderr[-2000:]
    (entry,) = read_history(out)
    assert entry["outcome"] == "promoted", done.stdout
    assert done.stdout.startswith(f"promoted {entry['version']}") and entry["serving"]["version"] == served
    assert latest_version(out) == entry["version"] and entry["data"]["app_accounts"] == len(accounts) - 1
    assert "password" not in load_artifact(out).manifest["dataset"]["source"]

    model = HybridModel(load_artifact(out))
    for account in accounts[:-1]:
        assert 0.5 <= model.predict(APP_USER_ID_OFFSET + account, 1) <= 5.0
    with pytest.raises(UnknownIdError):
        model.predict(APP_USER_ID_OFFSET + accounts[-1], 1)
    assert model.manifest["app_data"]["ratings"] == 20 * (len(accounts) - 1)


def test_an_unreadable_store_is_one_clear_error(tmp_path):
    done = trainer("retrain", "--out", str(tmp_path / "a"), *SMALL,
                   database_url=f"sqlite:///{tmp_path / 'missing' / 'profiles.sqlite3'}")
    assert done.returncode == 1 and "cannot read the app's ratings" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "a" / "LATEST").exists()


def test_bad_gate_settings_are_refused(tmp_path):
    done = trainer("retrain", "--out", str(tmp_path), "--max-rmse-increase", "-1", database_url="sqlite:///x")
    assert done.returncode == 2 and "max_rmse_increase must be" in done.stderr


def test_retrain_reads_the_store_the_profiles_service_writes_by_default():
    from services.profiles.settings import DEFAULT_DATABASE_URL
    from trainer import retrain_cli

    assert retrain_cli.DEFAULT_DATABASE_URL == DEFAULT_DATABASE_URL
    assert retrain_cli.DATABASE_URL_ENV == "PROFILES_DATABASE_URL"


def test_the_password_from_its_own_variable_goes_into_the_url(monkeypatch):
    from trainer import retrain_cli

    monkeypatch.setenv("PROFILES_DATABASE_URL", "postgresql://movierec@db.internal:5432/movierec?sslmode=require")
    monkeypatch.setenv("PROFILES_DATABASE_PASSWORD", "p@ss/w:rd")
    url = retrain_cli.database_url(None)
    assert url.startswith("postgresql+psycopg://movierec:p%40ss%2Fw%3Ard@db.internal:5432/movierec")
    assert "sslmode=require" in url and retrain_cli.redacted(url).startswith("postgresql+psycopg://movierec:***@")
    assert "p%40ss" not in retrain_cli.redacted(url) and "p%40ss" not in retrain_cli.redacted(url + "?bad=%")
    monkeypatch.delenv("PROFILES_DATABASE_PASSWORD")
    assert retrain_cli.database_url("sqlite:///x.sqlite3") == "sqlite:///x.sqlite3"
