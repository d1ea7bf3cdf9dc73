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

from movierec.artifact import LATEST, ArtifactError  # noqa: E402
from movierec.s3_artifacts import upload as upload_version  # noqa: E402


def upload(local: Path, uri: str, client=None) -> str:
    """Uploads the version at `local` (a root with LATEST or a version dir) and points LATEST at it."""
    if client is None:
        import boto3
        client = boto3.client("s3")
    return upload_version(local, uri, client)




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
