"""s3:// artifact locations against moto's S3 server on loopback (no AWS): download once, verify, serve."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from movierec.artifact import LATEST, ArtifactError, load_artifact, sha256_file
from scripts.stack import ROOT, Stack, free_port, spawn
from services.common.artifact_source import local_artifact_path, parse_s3_uri
from services.scorer.settings import ScorerSettings
from testing.artifacts import build_tiny_artifact
from tests.deploy.conftest import AWS_ENV, BUCKET

pytestmark = pytest.mark.integration  # real processes and servers on loopback


def _load_uploader():
    spec = importlib.util.spec_from_file_location("upload_artifact", ROOT / "deploy" / "upload_artifact.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


uploader = _load_uploader()


def upload(client, root: Path, prefix: str) -> None:
    """What deploy/README.md tells people to run: deploy/upload_artifact.py."""
    uploader.upload(root, f"s3://{BUCKET}/{prefix}", client)


@pytest.fixture
def uploaded(aws, tmp_path):
    root = tmp_path / "local"
    build_tiny_artifact(root)
    upload(aws, root, "models")
    return root


def test_parse_s3_uri_accepts_the_path_folded_spelling():
    assert parse_s3_uri("/artifacts") is None and parse_s3_uri(Path("artifacts")) is None
    loc = parse_s3_uri("s3://my-bucket/models/")
    assert (loc.bucket, loc.prefix) == ("my-bucket", "models")
    # pydantic settings hold the location as a Path, which folds the double slash.
    settings = ScorerSettings(artifact_dir="s3://my-bucket/a/b")
    assert str(settings.artifact_dir) == "s3:/my-bucket/a/b"
    assert parse_s3_uri(settings.artifact_dir) == parse_s3_uri("s3://my-bucket/a/b")
    with pytest.raises(ArtifactError, match="not a valid s3://"):
        parse_s3_uri("s3://Bad_Bucket/x")


def test_local_path_is_returned_unchanged(tmp_path):
    assert local_artifact_path(tmp_path) == tmp_path


def test_root_uri_downloads_verifies_and_loads(uploaded, tmp_path):
    local = local_artifact_path(f"s3://{BUCKET}/models")
    assert local == tmp_path / "cache" and (local / LATEST).read_text().strip() == "v-test-1"
    art = load_artifact(local)
    assert art.version == "v-test-1"
    for name in ("model.npz", "genres.npz", "catalog.json", "manifest.json"):
        assert sha256_file(local / "v-test-1" / name) == sha256_file(uploaded / "v-test-1" / name)


def test_second_start_uses_the_cache_without_downloading_again(uploaded, aws):
    first = local_artifact_path(f"s3://{BUCKET}/models")
    # Only LATEST and the manifest stay in S3: a re-download would now fail.
    for name in ("model.npz", "genres.npz", "catalog.json"):
        aws.delete_object(Bucket=BUCKET, Key=f"models/v-test-1/{name}")
    again = local_artifact_path(f"s3://{BUCKET}/models")
    assert again == first and load_artifact(again).version == "v-test-1"


def test_version_uri_returns_the_version_directory(uploaded):
    local = local_artifact_path(f"s3://{BUCKET}/models/v-test-1/")
    assert local.name == "v-test-1" and load_artifact(local).version == "v-test-1"


def test_new_latest_is_fetched_next_time(uploaded, aws, tmp_path):
    local_artifact_path(f"s3://{BUCKET}/models")
    build_tiny_artifact(uploaded, version="v-test-2", seed=1)
    upload(aws, uploaded, "models")
    local = local_artifact_path(f"s3://{BUCKET}/models")
    assert load_artifact(local).version == "v-test-2"
    assert sorted(p.name for p in local.iterdir() if p.is_dir()) == ["v-test-1", "v-test-2"]


def test_corrupt_object_is_refused_and_nothing_half_written_is_kept(uploaded, aws, tmp_path):
    aws.put_object(Bucket=BUCKET, Key="models/v-test-1/model.npz", Body=b"not the model")
    with pytest.raises(ArtifactError, match="does not match its sha256"):
        local_artifact_path(f"s3://{BUCKET}/models")
    cache = tmp_path / "cache"
    assert not (cache / "v-test-1").exists() and not (cache / LATEST).exists()
    assert [p.name for p in cache.iterdir()] == []


def test_missing_location_names_what_is_missing(aws):
    with pytest.raises(ArtifactError, match=r"s3://movierec-artifacts-test/nothing/manifest.json does not exist"):
        local_artifact_path(f"s3://{BUCKET}/nothing")


def test_unreachable_endpoint_is_an_artifact_error(monkeypatch, tmp_path):
    for name, value in {**AWS_ENV, "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{free_port()}",
                        "AWS_MAX_ATTEMPTS": "1"}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ArtifactError, match="cannot read the artifact at s3://"):
        local_artifact_path(f"s3://{BUCKET}/models", cache_dir=tmp_path)


def test_without_boto3_the_error_says_how_to_install_it(tmp_path):
    code = ("import sys; sys.modules['boto3'] = None\n"
            "from services.common.artifact_source import local_artifact_path\n"
            f"local_artifact_path('s3://{BUCKET}/models', cache_dir={str(tmp_path)!r})")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "pip install -r requirements-s3.txt" in done.stderr


def test_services_serve_an_s3_artifact(uploaded, tmp_path):
    """The real matcher and scorer processes, configured with an s3:// location, turn SERVING."""
    stack = Stack(artifact_dir=f"s3://{BUCKET}/models", log_dir=tmp_path)
    try:
        stack.start_service("matcher", timeout=60)
        stack.start_service("scorer", timeout=60)
    finally:
        stack.stop()
    logs = (tmp_path / "scorer.log").read_text() + (tmp_path / "matcher.log").read_text()
    assert logs.count('"artifact downloaded"') + logs.count('"artifact already cached"') == 2, logs[-2000:]


def test_service_with_a_bad_s3_location_exits_2_with_a_clear_line(aws, tmp_path):
    proc = spawn("scorer", [sys.executable, "-m", "services.scorer"],
                 {"SCORER_ADDRESS": f"127.0.0.1:{free_port()}", "SCORER_ARTIFACT_DIR": f"s3://{BUCKET}/absent"},
                 tmp_path)
    assert proc.popen.wait(60) == 2
    assert "absent/manifest.json does not exist" in proc.log_tail()


def test_upload_script_publishes_a_version_and_refuses_to_change_one(aws, tmp_path, s3_endpoint):
    root = tmp_path / "local"
    build_tiny_artifact(root)
    done = subprocess.run([sys.executable, "deploy/upload_artifact.py", str(root), f"s3://{BUCKET}/models"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    keys = {o["Key"] for o in aws.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert keys == {"models/LATEST", *(f"models/v-test-1/{n}" for n in
                                       ("model.npz", "genres.npz", "catalog.json", "manifest.json"))}
    assert load_artifact(local_artifact_path(f"s3://{BUCKET}/models")).version == "v-test-1"
    other = tmp_path / "other"
    build_tiny_artifact(other, seed=7)  # same version name, different content
    with pytest.raises(ArtifactError, match="versions are immutable"):
        uploader.upload(other, f"s3://{BUCKET}/models", aws)


async def test_watcher_on_an_s3_root_swaps_in_a_new_upload_and_survives_an_outage(uploaded, aws, monkeypatch):
    """ArtifactWatcher polls LATEST in S3: a new upload is downloaded, verified and swapped in once;
    an unreachable endpoint keeps the old version serving until S3 answers again."""
    from services.common.reload import ArtifactWatcher

    def build(path):
        art = load_artifact(path)
        return art.version, art

    location = f"s3://{BUCKET}/models"
    served = []
    watcher = ArtifactWatcher(location, load_artifact(local_artifact_path(location)).version, build,
                              served.append, interval=0.01)
    assert watcher.enabled and await watcher.check() is False

    build_tiny_artifact(uploaded, version="v-test-2", seed=1)
    upload(aws, uploaded, "models")
    assert await watcher.check() is True
    assert [a.version for a in served] == ["v-test-2"] and await watcher.check() is False

    real_endpoint = watcher._client.meta.endpoint_url
    monkeypatch.setattr(watcher, "_client", boto3.client("s3", endpoint_url=f"http://127.0.0.1:{free_port()}",
                                                         config=Config(retries={"max_attempts": 1})))
    assert await watcher.check() is False and watcher.version == "v-test-2"  # logged, not raised
    monkeypatch.setattr(watcher, "_client", boto3.client("s3", endpoint_url=real_endpoint))
    build_tiny_artifact(uploaded, version="v-test-3", seed=2)
    upload(aws, uploaded, "models")
    assert await watcher.check() is True and watcher.version == "v-test-3"
