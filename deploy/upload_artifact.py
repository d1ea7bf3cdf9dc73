"""Uploads a verified artifact version to s3://bucket/prefix, then points prefix/LATEST at it.

    python deploy/upload_artifact.py artifacts s3://<bucket>/models            # the local LATEST
    python deploy/upload_artifact.py artifacts/<version> s3://<bucket>/models  # one version

The artifact is loaded and checksum-verified first; the version's files go up before LATEST, so a
service starting meanwhile sees the old version or the new one, never half of one. Versions are
immutable: a version already in S3 with a different manifest is refused. Needs boto3
(requirements-s3.txt) and the usual AWS credentials.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere

from movierec.artifact import LATEST, MANIFEST_FILE, ArtifactError, load_artifact  # noqa: E402
from services.common.artifact_source import parse_s3_uri  # noqa: E402


def upload(local: Path, uri: str, client=None) -> str:
    """Uploads the version at `local` (a root with LATEST or a version dir); returns its name."""
    target = parse_s3_uri(uri)
    if target is None:
        raise ArtifactError(f"{uri!r} is not an s3:// URI")
    artifact = load_artifact(local)
    if client is None:
        import boto3
        client = boto3.client("s3")
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
    names = sorted(artifact.manifest["files"])
    for name in names:  # data first, manifest after it, LATEST last
        client.upload_file(str(artifact.path / name), target.bucket, target.key(version, name))
    client.put_object(Bucket=target.bucket, Key=manifest_key, Body=manifest)
    client.put_object(Bucket=target.bucket, Key=target.key(LATEST), Body=(version + "\n").encode())
    return version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifact", type=Path, help="artifact root (with LATEST) or a version directory")
    parser.add_argument("uri", help="s3://bucket/prefix the services read (their *_ARTIFACT_DIR)")
    args = parser.parse_args(argv)
    try:
        version = upload(args.artifact, args.uri)
    except ArtifactError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"uploaded {version} to {args.uri.rstrip('/')}/{version}/ and pointed {LATEST} at it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
