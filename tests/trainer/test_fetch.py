"""Fetching: cache hits, RECORD checks on extraction, and clear failures when pip cannot download."""
from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from trainer.fetch import EXTRACT_DIR, MEMBER_DIR, RECORD, WHEEL_NAME, FetchError, cache_dir, fetch_movielens

pytestmark = pytest.mark.integration  # runs the trainer, pip or linters as processes, or local HTTP servers

REPO = Path(__file__).resolve().parents[2]
INTER = b"user_id:token\titem_id:token\trating:float\ttimestamp:float\n1\t1\t4\t881250949\n"
ITEM = b"item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n1\tToy Story\t1995\tComedy\n"


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def write_wheel(path: Path, inter: bytes = INTER, item: bytes = ITEM, recorded_item: bytes | None = None) -> None:
    """A wheel-shaped zip holding the two members and a RECORD (optionally lying about .item)."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(MEMBER_DIR + "ml-100k.inter", inter)
        z.writestr(MEMBER_DIR + "ml-100k.item", item)
        lines = [record_line(MEMBER_DIR + "ml-100k.inter", inter),
                 record_line(MEMBER_DIR + "ml-100k.item", item if recorded_item is None else recorded_item),
                 f"{RECORD},,"]
        z.writestr(RECORD, "\n".join(lines) + "\n")


def no_index_env(cache: Path) -> dict[str, str]:
    """pip with every index switched off: a download that fails at once, without the network."""
    return {**os.environ, "MOVIEREC_CACHE": str(cache), "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": ""}


def test_cache_dir_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("MOVIEREC_CACHE", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c"
    monkeypatch.delenv("MOVIEREC_CACHE")
    assert cache_dir() == Path.home() / ".cache" / "movierec"


def test_cached_wheel_is_extracted_without_download(tmp_path, monkeypatch):
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # a download attempt would fail the test
    write_wheel(tmp_path / WHEEL_NAME)
    files = fetch_movielens(tmp_path)
    assert files.inter == tmp_path / EXTRACT_DIR / "ml-100k.inter"
    assert files.inter.read_bytes() == INTER and files.item.read_bytes() == ITEM
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([EXTRACT_DIR, WHEEL_NAME])


def test_extracted_files_are_reused(tmp_path):
    write_wheel(tmp_path / WHEEL_NAME)
    first = fetch_movielens(tmp_path)
    (tmp_path / WHEEL_NAME).unlink()  # with the files extracted, the wheel is no longer needed
    assert fetch_movielens(tmp_path) == first


def test_member_not_matching_record_is_rejected(tmp_path):
    write_wheel(tmp_path / WHEEL_NAME, recorded_item=b"something else")
    with pytest.raises(FetchError, match="RECORD"):
        fetch_movielens(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [WHEEL_NAME]  # nothing half-extracted left behind


def test_wheel_without_the_data_is_rejected(tmp_path):
    with zipfile.ZipFile(tmp_path / WHEEL_NAME, "w") as z:
        z.writestr(RECORD, "")
    with pytest.raises(FetchError, match="lacks the MovieLens files"):
        fetch_movielens(tmp_path)


def test_corrupt_cached_wheel_is_downloaded_again(tmp_path, monkeypatch):
    (tmp_path / WHEEL_NAME).write_bytes(b"not a zip")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    with pytest.raises(FetchError, match="pip failed"):
        fetch_movielens(tmp_path)
    assert not (tmp_path / WHEEL_NAME).exists()


def test_cli_fetch_reports_download_failure_without_traceback(tmp_path):
    done = subprocess.run([sys.executable, "-m", "trainer", "fetch"], cwd=REPO, env=no_index_env(tmp_path),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.startswith("error: downloading recbole==1.2.1 with pip failed")
    assert "Traceback" not in done.stderr


@pytest.mark.data
def test_real_wheel_members_are_extracted(ml100k_files):
    assert ml100k_files.inter.stat().st_size > 1_000_000
    assert ml100k_files.item.read_text(encoding="utf-8").startswith("item_id:token\tmovie_title:token_seq")
