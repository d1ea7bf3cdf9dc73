"""s3:// artifact roots: parsing a location, and uploading one version (then, if asked, LATEST) to it.

An S3 root mirrors the local layout (`LATEST`, `<version>/...`, `retrain_history.jsonl`). Shared by the
services' reader (services/common/artifact_source.py), deploy/upload_artifact.py and the trainer's
retrain. boto3 is an optional extra (requirements-s3.txt): callers pass a client.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from movierec.artifact import LATEST, MANIFEST_FILE, ArtifactError, load_artifact

# Settings hold the location as a Path, which folds "s3://b/k" into "s3:/b/k"; accept both spellings.
_S3_URI = re.compile(r"^s3:/{1,2}(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/(?P<prefix>.*))?$")


@dataclass(frozen=True)
class S3Location:
    bucket: str
    prefix: str  # no leading or trailing slash; "" is the bucket's top

    def key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


def parse_s3_uri(location: str | os.PathLike[str]) -> S3Location | None:
    """The bucket and prefix of an s3:// location, or None for a local path."""
    text = os.fspath(location)
    if not text.startswith("s3:"):
        return None
    match = _S3_URI.match(text)
    if not match:
        raise ArtifactError(f"{text!r} is not a valid s3://bucket/prefix artifact location")
    return S3Location(match["bucket"], (match["prefix"] or "").strip("/"))


def upload(local: Path, uri: str, client: Any, point_latest: bool = True) -> str:
    """Uploads the version at `local` (a root with LATEST or a version dir), verified first; returns its name.

    Data files go up first, the manifest after them, LATEST last (only with point_latest), so a reader
    sees the old version or the new one, never half of one. A version already there with a different
    manifest is refused (versions are immutable).
    """
    target = parse_s3_uri(uri)
    if target is None:
        raise ArtifactError(f"{uri!r} is not an s3:// URI")
    artifact = load_artifact(local)
    version = artifact.version
    manifest = (artifact.path / MANIFEST_FILE).read_bytes()
    manifest_key = target.key(version, MANIFEST_FILE)
    try:
        existing = client.get_object(Bucket=target.bucket, Key=manifest_key)["Body"].read()
    except client.exceptions.NoSuchKey:
        existing = None
    if existing is not None and existing != manifest:
        raise ArtifactError(f"s3://{target.bucket}/{manifest_key} exists with a different manifest; "
                            "versions are immutable, train a new one")
    for name in sorted(artifact.manifest["files"]):
        client.upload_file(str(artifact.path / name), target.bucket, target.key(version, name))
    client.put_object(Bucket=target.bucket, Key=manifest_key, Body=manifest)
    if point_latest:
        client.put_object(Bucket=target.bucket, Key=target.key(LATEST), Body=(version + "\n").encode())
    return version
