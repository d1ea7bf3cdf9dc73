"""`--download NAME` against a local HTTP server serving a generated zip (the real download code path)."""
from __future__ import annotations

import functools
import http.server
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from movierec.artifact import load_artifact
from tests.trainer.test_formats import write_csv, zip_folder
from trainer.download import download_release
from trainer.fetch import FetchError

pytestmark = pytest.mark.integration  # runs the trainer, pip or linters as processes, or local HTTP servers

REPO = Path(__file__).resolve().parents[2]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def grouplens(tmp_path, monkeypatch):
    """A GroupLens look-alike on 127.0.0.1 serving ml-latest-small.zip (generated) and a broken ml-1m.zip."""
    site = tmp_path / "site"
    site.mkdir()
    zip_folder(write_csv(tmp_path / "ml-latest-small"), "ml-latest-small").rename(site / "ml-latest-small.zip")
    (site / "ml-1m.zip").write_bytes(b"<html>not found</html>")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=site))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("MOVIEREC_GROUPLENS_URL", url)
    yield url
    server.shutdown()
    server.server_close()


def test_download_then_cached(grouplens, tmp_path):
    cache = tmp_path / "cache"
    path = download_release("ml-latest-small", cache)
    assert path == cache / "grouplens" / "ml-latest-small.zip" and path.stat().st_size > 0
    mtime = path.stat().st_mtime_ns
    assert download_release("ml-latest-small", cache).stat().st_mtime_ns == mtime  # not fetched again
    assert [p.name for p in path.parent.iterdir()] == ["ml-latest-small.zip"]  # no partial files left


@pytest.mark.parametrize("name, message", [("ml-1m", "did not return a zip"), ("ml-25m", "404"),
                                           ("ml-999", "unknown MovieLens release")])
def test_download_failures_are_clear_and_leave_nothing(grouplens, tmp_path, name, message):
    with pytest.raises(FetchError, match=message):
        download_release(name, tmp_path / "cache")
    assert not list((tmp_path / "cache").rglob("*.zip*"))


def test_cli_trains_from_a_downloaded_release(grouplens, tmp_path):
    env = {**os.environ, "MOVIEREC_CACHE": str(tmp_path / "cache")}
    out = tmp_path / "artifacts"
    done = subprocess.run([sys.executable, "-m", "trainer", "train", "--dataset", "ml-latest-small", "--download",
                           "--out", str(out), "--epochs", "3", "--factors", "2", "--ranking", "off"],
                          cwd=REPO, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    art = load_artifact(out)
    assert art.manifest["dataset"]["name"] == "ml-latest-small" and len(art.movies) == 7
    assert art.manifest["serving"]["rating_min"] == 0.5
    assert art.stats["totals"]["ratings"] == 7


def test_cli_names_a_release_without_download(tmp_path):
    done = subprocess.run([sys.executable, "-m", "trainer", "train", "--dataset", "ml-1m", "--out", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "--download" in done.stderr
