"""Artifact location → local directory: a path as it is, an s3:// URI downloaded once and verified.

An S3 location mirrors the local layout: `s3://bucket/prefix` is either an artifact root (holding
`LATEST` and `<version>/...`) or one version directory (holding `manifest.json`). The version's
files are fetched into a local cache (default `$MOVIEREC_ARTIFACT_CACHE`, else
`<tmp>/movierec-artifacts`, so a read-only root filesystem with a writable /tmp works), each
checked against the manifest's sha256 before the directory is renamed into place. A version that
is already cached and verified is not downloaded again; versions are immutable, so its name is
enough to know it is the same.

boto3 is an optional extra (requirements-s3.txt): only S3 locations import it. The endpoint and
credentials come from boto3's usual sources (task role, AWS_* variables, AWS_ENDPOINT_URL_S3).
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from movierec.artifact import LATEST, MANIFEST_FILE, ArtifactError, sha256_file
from movierec.s3_artifacts import S3Location, parse_s3_uri  # noqa: F401 (re-exported: the services' import path)

log = logging.getLogger(__name__)

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def default_cache_dir() -> Path:
    return Path(os.environ.get("MOVIEREC_ARTIFACT_CACHE") or Path(tempfile.gettempdir()) / "movierec-artifacts")


def local_artifact_path(location: str | os.PathLike[str], cache_dir: Path | None = None,
                        client: Any = None) -> Path:
    """A local path unchanged; for s3://, the cached and verified local copy (a root with LATEST,
    or the version directory when the URI named a version directory).

    Raises ArtifactError (missing objects, no access, checksum mismatch, boto3 not installed).
    `client` is an S3 client to use instead of a new boto3 one.
    """
    s3 = parse_s3_uri(location)
    if s3 is None:
        return Path(location)
    client = client or _s3_client()
    cache_dir = Path(cache_dir or default_cache_dir())
    cache_dir.mkdir(parents=True, exist_ok=True)
    try:
        latest = _get_text(client, s3, s3.key(LATEST), required=False)
        if latest is None:  # not a root, so it must name one version directory
            return _fetch_version(client, s3, _manifest_text(client, s3), cache_dir)
        version = latest.strip()
        if not _SAFE_NAME.match(version):
            raise ArtifactError(f"{s3}/{LATEST} holds an invalid version name {version!r}")
        version_s3 = S3Location(s3.bucket, s3.key(version))
        _fetch_version(client, version_s3, _manifest_text(client, version_s3),
                       cache_dir)
    except ArtifactError:
        raise
    except Exception as e:  # botocore's errors (no credentials, endpoint down, throttled) end up here
        raise ArtifactError(f"cannot read the artifact at {s3}: {type(e).__name__}: {e}") from None
    latest_tmp = cache_dir / f".{LATEST}.tmp-{os.getpid()}"
    latest_tmp.write_text(version + "\n", encoding="utf-8")
    os.replace(latest_tmp, cache_dir / LATEST)
    return cache_dir


def s3_latest_version(location: str | os.PathLike[str], client: Any) -> str | None:
    """The version an s3:// artifact root's LATEST names now (one small GET, for hot reload polls);
    None when the location is one version directory, which never changes. Raises ArtifactError."""
    s3 = parse_s3_uri(location)
    if s3 is None:
        raise ArtifactError(f"{os.fspath(location)!r} is not an s3:// location")
    try:
        latest = _get_text(client, s3, s3.key(LATEST), required=False)
    except Exception as e:  # botocore's errors: endpoint down, no access, throttled
        raise ArtifactError(f"cannot read {s3}/{LATEST}: {type(e).__name__}: {e}") from None
    if latest is None:
        return None
    version = latest.strip()
    if not _SAFE_NAME.match(version):
        raise ArtifactError(f"{s3}/{LATEST} holds an invalid version name {version!r}")
    return version


def s3_text(location: str | os.PathLike[str], name: str, client: Any) -> str | None:
    """The text of the object `name` under an s3:// location, None when it does not exist; ArtifactError
    when S3 cannot be read."""
    s3 = parse_s3_uri(location)
    if s3 is None:
        raise ArtifactError(f"{os.fspath(location)!r} is not an s3:// location")
    try:
        return _get_text(client, s3, s3.key(name), required=False)
    except Exception as e:  # botocore's errors: endpoint down, no access, throttled
        raise ArtifactError(f"cannot read {s3}/{name}: {type(e).__name__}: {e}") from None


def s3_client() -> Any:
    """A boto3 S3 client from the usual sources (task role, AWS_* variables, AWS_ENDPOINT_URL_S3)."""
    return _s3_client()


def _s3_client() -> Any:
    try:
        import boto3  # optional extra: only S3 locations need it
    except ImportError:
        raise ArtifactError("s3:// artifact locations need boto3: pip install -r requirements-s3.txt") from None
    return boto3.client("s3")


def _get_text(client: Any, s3: S3Location, key: str, required: bool) -> str | None:
    try:
        body = client.get_object(Bucket=s3.bucket, Key=key)["Body"]
        return body.read().decode("utf-8")
    except client.exceptions.NoSuchKey:
        if required:
            raise ArtifactError(f"s3://{s3.bucket}/{key} does not exist (neither LATEST nor {MANIFEST_FILE} "
                                "is there; upload an artifact as deploy/README.md shows)") from None
        return None


def _manifest_text(client: Any, s3: S3Location) -> str:
    """The manifest.json under s3 (ArtifactError when it is missing)."""
    text = _get_text(client, s3, s3.key(MANIFEST_FILE), required=True)
    assert text is not None  # required: a missing object raised
    return text


def _fetch_version(client: Any, s3: S3Location, manifest_text: str, cache_dir: Path) -> Path:
    """Downloads one version's files next to its manifest unless that version is cached already."""
    try:
        manifest = json.loads(manifest_text)
        version, files = manifest["version"], manifest["files"]
    except (ValueError, KeyError, TypeError) as e:
        raise ArtifactError(f"{s3}/{MANIFEST_FILE} is not an artifact manifest: {e!r}") from None
    if not isinstance(version, str) or not _SAFE_NAME.match(version):
        raise ArtifactError(f"{s3}/{MANIFEST_FILE} has an invalid version {version!r}")
    final = cache_dir / version
    if final.is_dir() and _verified(final, files):
        log.info("artifact already cached", extra={"version": version, "path": str(final)})
        return final
    tmp = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=cache_dir))
    try:
        for name, entry in files.items():
            if not _SAFE_NAME.match(name) or not isinstance(entry, dict) or "sha256" not in entry:
                raise ArtifactError(f"{s3}/{MANIFEST_FILE}: bad file entry {name!r}")
            client.download_file(s3.bucket, s3.key(name), str(tmp / name))
            if sha256_file(tmp / name) != entry["sha256"]:
                raise ArtifactError(f"{s3}/{name} does not match its sha256 in the manifest (corrupt or edited)")
        (tmp / MANIFEST_FILE).write_text(manifest_text, encoding="utf-8")
        try:
            os.replace(tmp, final)
        except OSError:  # another process put the same version there first; use it if it is whole
            if not _verified(final, files):
                raise ArtifactError(f"{final} exists but does not match {s3}/{MANIFEST_FILE}; "
                                    "delete it and start again") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info("artifact downloaded", extra={"version": version, "source": str(s3), "path": str(final)})
    return final


def _verified(path: Path, files: dict[str, Any]) -> bool:
    try:
        return all(sha256_file(path / name) == entry["sha256"] for name, entry in files.items())
    except (OSError, KeyError, TypeError):
        return False
