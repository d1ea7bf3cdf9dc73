"""Downloads an official MovieLens zip from GroupLens into the cache (`--download NAME`)."""
from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from trainer.fetch import FetchError, cache_dir

# $MOVIEREC_GROUPLENS_URL replaces this (a mirror, or the tests' local server).
GROUPLENS_URL = "https://files.grouplens.org/datasets/movielens"
RELEASES = ("ml-100k", "ml-1m", "ml-10m", "ml-latest-small", "ml-latest", "ml-20m", "ml-25m", "ml-32m")


def release_url(name: str) -> str:
    base = os.environ.get("MOVIEREC_GROUPLENS_URL", GROUPLENS_URL).rstrip("/")
    return f"{base}/{name}.zip"


def download_release(name: str, cache: Path | None = None, timeout: float = 60.0) -> Path:
    """<cache>/grouplens/<name>.zip, downloaded first unless a valid copy is already there."""
    if name not in RELEASES:
        raise FetchError(f"unknown MovieLens release {name!r}; choose one of {', '.join(RELEASES)}")
    folder = (cache_dir() if cache is None else Path(cache)) / "grouplens"
    target = folder / f"{name}.zip"
    if target.is_file() and zipfile.is_zipfile(target):
        return target
    folder.mkdir(parents=True, exist_ok=True)
    url = release_url(name)
    # Written under a temporary name and renamed once complete and checked, so an interrupted
    # download is never mistaken for the release.
    tmp = folder / f".{name}.zip.part-{os.getpid()}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply, open(tmp, "wb") as out:
            shutil.copyfileobj(reply, out, 1 << 20)
        if not zipfile.is_zipfile(tmp):
            raise FetchError(f"{url} did not return a zip file")
        with zipfile.ZipFile(tmp) as z:
            broken = z.testzip()
        if broken is not None:
            raise FetchError(f"{url}: member {broken} fails its CRC check (damaged download)")
        os.replace(tmp, target)
    except (urllib.error.URLError, OSError, zipfile.BadZipFile) as e:
        raise FetchError(f"downloading {url} failed: {e}") from None
    finally:
        tmp.unlink(missing_ok=True)
    return target
