"""retrain on an s3:// artifact root: what the gate needs comes down into a local mirror, the run's results go up.

Down: LATEST, the manifest of the version it names (the gate refits that recipe; no arrays needed) and
retrain_history.jsonl. Up: the candidate version (data, then manifest; movierec.s3_artifacts.upload),
the history with the run's line appended, then LATEST if the gate promoted the candidate; then rejected
versions past the newest KEEP_REJECTED are deleted, as on a local root. One retrain per root at a time:
a lock object created with S3's conditional write (If-None-Match: *), so two runs never both take it.
"""
from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from movierec.artifact import LATEST, MANIFEST_FILE, ArtifactError, latest_version
from movierec.retrain_history import HISTORY_FILE, read_history
from movierec.s3_artifacts import S3Location, parse_s3_uri, upload
from trainer.retrain import LOCK_FILE, RetrainBusy, rejected_to_prune

# A run takes minutes; a lock this old was left by a task that died (S3 has no lease that expires by itself).
STALE_LOCK_SECONDS = 6 * 3600


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


def _error_code(e: Exception) -> str:
    return str(getattr(e, "response", {}).get("Error", {}).get("Code", ""))


@contextmanager
def locked(uri: str, client: Any, now: Any = time.time) -> Iterator[None]:
    """Holds the root's lock object for the block; RetrainBusy while another run holds a fresh one.

    A lock older than STALE_LOCK_SECONDS is taken over (its owner died without releasing it). Two runs
    that find the same stale lock at the same instant could both take it over: with one scheduled task
    per root that needs a dead task and two new ones within milliseconds, and is accepted.
    """
    s3 = _location(uri)
    key = s3.key(LOCK_FILE)
    body = json.dumps({"host": socket.gethostname(), "pid": os.getpid(), "since": now()}).encode()
    for attempt in range(2):
        try:
            client.put_object(Bucket=s3.bucket, Key=key, Body=body, IfNoneMatch="*")
            break
        except Exception as e:
            if _error_code(e) not in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                raise ArtifactError(f"cannot take the lock {s3}/{LOCK_FILE}: {type(e).__name__}: {e}") from None
        held = _get(client, s3, LOCK_FILE)
        try:
            owner = json.loads(held or b"{}")
            age = now() - float(owner["since"])
        except (ValueError, KeyError, TypeError):
            owner, age = {}, float("inf")  # unreadable: no live run wrote it
        if held is not None and (age < STALE_LOCK_SECONDS or attempt):
            raise RetrainBusy(f"another retrain holds {s3}/{LOCK_FILE} (host {owner.get('host')}, pid "
                              f"{owner.get('pid')}, {age:.0f} s ago)")
        client.delete_object(Bucket=s3.bucket, Key=key)  # stale (or released meanwhile): take it over
    else:
        raise RetrainBusy(f"{s3}/{LOCK_FILE} was taken by another retrain while this one took it over")
    try:
        yield
    finally:
        client.delete_object(Bucket=s3.bucket, Key=key)


def prune(local: Path, uri: str, client: Any) -> list[str]:
    """Deletes from the S3 root the versions rejected_to_prune names (by the mirror's history and LATEST)."""
    s3 = _location(uri)
    old = set(rejected_to_prune(read_history(local), latest_version(local)))
    if not old:
        return []
    top = s3.key("") + "/" if s3.prefix else ""
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=s3.bucket, Prefix=top, Delimiter="/")
    present = [p["Prefix"][len(top):].rstrip("/") for page in pages for p in page.get("CommonPrefixes", [])]
    gone = sorted(v for v in present if v in old)
    for version in gone:  # one listing of the root, then only the versions still there
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=s3.bucket, Prefix=s3.key(version) + "/"):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                client.delete_objects(Bucket=s3.bucket, Delete={"Objects": keys, "Quiet": True})
    return gone
