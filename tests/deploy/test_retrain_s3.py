"""`python -m trainer retrain --out s3://...` (the AWS scheduled task's command) against moto's S3 on loopback:
the gate reads the serving manifest from S3, the candidate, the history and LATEST go up; the scorer's
history reader then finds the run there."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from movierec.artifact import LATEST
from movierec.retrain_history import HISTORY_FILE
from scripts.stack import ROOT
from services.scorer.history import HistorySource
from testing.app_store import fill_store
from tests.deploy.conftest import BUCKET

pytestmark = pytest.mark.integration  # the trainer as a process, moto's S3 server on loopback

DATA = ["--dataset", "synthetic:300x100x12000", "--ranking", "defaults", "--factors", "3"]
SMALL = [*DATA, "--samples", "10", "--burn-in", "5"]


def trainer(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PROFILES_DATABASE_PASSWORD"}
    return subprocess.run([sys.executable, "-m", "trainer", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=600, env=env)


def text(client, key: str) -> str:
    return client.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()


def test_retrain_into_an_s3_root_promotes_and_records_the_run_there(aws, tmp_path):
    uri = f"s3://{BUCKET}/models"
    url = f"sqlite:///{tmp_path / 'profiles.sqlite3'}"
    fill_store(url, range(1, 101), accounts=4)

    first = trainer("retrain", "--out", uri, "--database-url", url, *SMALL)  # nothing serving: promoted
    assert first.returncode == 0, first.stderr[-3000:]
    v1 = text(aws, f"models/{LATEST}").strip()
    assert first.stdout.startswith(f"promoted {v1}: no model is serving yet")
    keys = {o["Key"] for o in aws.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert {f"models/{v1}/manifest.json", f"models/{v1}/model.npz", f"models/{HISTORY_FILE}"} <= keys

    second = trainer("retrain", "--out", uri, "--database-url", url, *DATA, "--model", "sgd", "--epochs", "1",
                     "--lr", "0.0001")  # a recipe that learns almost nothing: refused against v1
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stdout.startswith("rejected ") and text(aws, f"models/{LATEST}").strip() == v1
    lines = [json.loads(line) for line in text(aws, f"models/{HISTORY_FILE}").splitlines()]
    assert [(e["outcome"], e["serving"] and e["serving"]["version"]) for e in lines] == [
        ("promoted", None), ("rejected", v1)]
    v2 = lines[1]["version"]
    assert f"models/{v2}/manifest.json" in {o["Key"] for o in aws.list_objects_v2(Bucket=BUCKET)["Contents"]}

    assert [e["version"] for e in HistorySource(uri).read()] == [v1, v2]  # what the scorer serves the dashboard
