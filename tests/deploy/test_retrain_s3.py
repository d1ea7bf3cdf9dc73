"""`python -m trainer retrain --out s3://...` (the AWS scheduled task's command) against moto's S3 on loopback:
the gate reads the serving manifest from S3, the candidate, the history and LATEST go up; the scorer's
history reader then finds the run there."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from movierec.artifact import LATEST
from movierec.retrain_history import HISTORY_FILE, append_entry
from scripts.stack import ROOT
from services.scorer.history import HistorySource
from testing.app_store import fill_store
from tests.deploy.conftest import BUCKET
from trainer import s3_root
from trainer.retrain import KEEP_REJECTED, LOCK_FILE, RetrainBusy

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
    assert f"models/{LOCK_FILE}" not in {o["Key"] for o in aws.list_objects_v2(Bucket=BUCKET)["Contents"]}

    aws.put_object(Bucket=BUCKET, Key=f"models/{LOCK_FILE}", Body=json.dumps({"since": time.time()}).encode())
    busy = trainer("retrain", "--out", uri, "--database-url", url, *SMALL)  # another run holds the root
    assert busy.returncode == 1 and "another retrain holds" in busy.stderr, busy.stderr[-3000:]
    assert text(aws, f"models/{LATEST}").strip() == v1 and len(text(aws, f"models/{HISTORY_FILE}").splitlines()) == 2
    assert f"models/{LOCK_FILE}" in {o["Key"] for o in aws.list_objects_v2(Bucket=BUCKET)["Contents"]}  # not its lock


def keys(client) -> set[str]:
    return {o["Key"] for o in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_the_s3_lock_is_exclusive_released_and_taken_over_only_when_stale(aws):
    uri, lock = f"s3://{BUCKET}/models", f"models/{LOCK_FILE}"
    with s3_root.locked(uri, aws):
        assert lock in keys(aws)
        with pytest.raises(RetrainBusy, match="another retrain holds"):
            with s3_root.locked(uri, aws):
                pass
        assert lock in keys(aws)  # the refused run left the holder's lock alone
    assert lock not in keys(aws)
    for left_behind in (json.dumps({"since": time.time() - s3_root.STALE_LOCK_SECONDS - 60}), "not json"):
        aws.put_object(Bucket=BUCKET, Key=lock, Body=left_behind.encode())  # a dead task's lock
        with s3_root.locked(uri, aws):
            assert json.loads(text(aws, lock))["pid"] == os.getpid()
        assert lock not in keys(aws)


def test_rejected_versions_past_the_newest_few_are_deleted_from_s3(aws, tmp_path):
    uri = f"s3://{BUCKET}/models"
    versions = [f"v{i}" for i in range(KEEP_REJECTED + 4)]
    outcomes = ["promoted", *["rejected"] * (KEEP_REJECTED + 2), "promoted"]
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for version, outcome in zip(versions, outcomes):
        append_entry(mirror, {"version": version, "outcome": outcome})
        for name in ("manifest.json", "model.npz"):
            aws.put_object(Bucket=BUCKET, Key=f"models/{version}/{name}", Body=b"x")
    aws.put_object(Bucket=BUCKET, Key="models-other/v1/model.npz", Body=b"x")  # a sibling root, untouched
    (mirror / LATEST).write_text(versions[-1] + "\n")
    assert s3_root.prune(mirror, uri, aws) == ["v1", "v2"]
    assert {k.split("/")[1] for k in keys(aws) if k.startswith("models/")} == {"v0", *versions[3:]}
    assert "models-other/v1/model.npz" in keys(aws)
    assert s3_root.prune(mirror, uri, aws) == []
