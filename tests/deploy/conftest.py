"""S3 for the deploy tests: moto's S3 server on loopback (no AWS) and boto3 pointed at it."""
from __future__ import annotations

import sys
import time
import urllib.request

import boto3
import pytest

from scripts.stack import free_port, spawn

BUCKET = "movierec-artifacts-test"
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    """moto's S3 server as a process on a free loopback port."""
    port = free_port()
    log_dir = tmp_path_factory.mktemp("moto")
    proc = spawn("moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], {}, log_dir)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            break
        except OSError:
            assert proc.alive() and time.monotonic() < deadline, f"moto server did not start:\n{proc.log_tail()}"
            time.sleep(0.2)
    yield url
    proc.stop()


@pytest.fixture
def aws(s3_endpoint, monkeypatch, tmp_path):
    """boto3 pointed at moto through the standard variables the services read; a fresh bucket and cache."""
    for name, value in {**AWS_ENV, "AWS_ENDPOINT_URL_S3": s3_endpoint,
                        "MOVIEREC_ARTIFACT_CACHE": str(tmp_path / "cache")}.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3")
    client.create_bucket(Bucket=BUCKET)
    yield client
    for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=obj["Key"])
    client.delete_bucket(Bucket=BUCKET)
