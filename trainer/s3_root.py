"""retrain on an s3:// artifact root: what the gate needs comes down into a local mirror, the run's results go up.

Down: LATEST, the manifest of the version it names (the gate refits that recipe; no arrays needed) and
retrain_history.jsonl. Up: the candidate version (data, then manifest; movierec.s3_artifacts.upload),
the history with the run's line appended, then LATEST if the gate promoted the candidate. One retrain
per root at a time is assumed (the AWS schedule's period is far above a run's minute): S3 has no lock.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from movierec.artifact import LATEST, MANIFEST_FILE, ArtifactError
from movierec.retrain_history import HISTORY_FILE
from movierec.s3_artifacts import S3Location, parse_s3_uri, upload


def s3_client() -> Any:
    """A boto3 S3 client from the usual sources (task role, AWS_* variables, AWS_ENDPOINT_URL_S3)."""
    try:
        import boto3  # optional extra: only s3:// roots need it
    except ImportError:
        raise ArtifactError("an s3:// --out needs boto3: pip install -r requirements-s3.txt") from None
    return boto3.client("s3")


def _location(uri: str) -> S3Location:
    s3 = parse_s3_uri(uri)
    if s3 is None:
        raise ArtifactError(f"{uri!r} is not an s3:// location")
    return s3


def _get(client: Any, s3: S3Location, *parts: str) -> bytes | None:
    try:
        return client.get_object(Bucket=s3.bucket, Key=s3.key(*parts))["Body"].read()
    except client.exceptions.NoSuchKey:
        return None
    except Exception as e:  # botocore's errors: endpoint down, no access, throttled
        raise ArtifactError(f"cannot read {s3}/{'/'.join(parts)}: {type(e).__name__}: {e}") from None


def pull(uri: str, local: Path, client: Any) -> str | None:
    """Mirrors LATEST, its version's manifest and the history of the root at uri into local; the version."""
    s3 = _location(uri)
    local.mkdir(parents=True, exist_ok=True)
    history = _get(client, s3, HISTORY_FILE)
    if history is not None:
        (local / HISTORY_FILE).write_bytes(history)
    latest = _get(client, s3, LATEST)
    if latest is None:
        return None
    version = latest.decode().strip()
    manifest = _get(client, s3, version, MANIFEST_FILE)
    if manifest is None:
        raise ArtifactError(f"{s3}/{LATEST} names {version!r}, which has no {MANIFEST_FILE}")
    (local / version).mkdir()
    (local / version / MANIFEST_FILE).write_bytes(manifest)
    (local / LATEST).write_bytes(latest)
    return version


def push(local: Path, uri: str, client: Any, version: str, promoted: bool) -> None:
    """Uploads the run's candidate version, the history, then (promoted) LATEST."""
    s3 = _location(uri)
    upload(local / version, uri, client, point_latest=False)
    try:
        client.upload_file(str(local / HISTORY_FILE), s3.bucket, s3.key(HISTORY_FILE))
        if promoted:
            client.put_object(Bucket=s3.bucket, Key=s3.key(LATEST), Body=(version + "\n").encode())
    except Exception as e:
        raise ArtifactError(f"cannot write to {s3}: {type(e).__name__}: {e}") from None
