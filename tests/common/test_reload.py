"""ArtifactWatcher on real artifact roots: swaps in a new version once, keeps the old one on a bad version."""
from __future__ import annotations

from pathlib import Path

from movierec.artifact import load_artifact
from services.common.reload import ArtifactWatcher
from testing.artifacts import build_tiny_artifact


def _build(location: Path):
    art = load_artifact(location)
    return art.version, art


async def test_new_version_is_swapped_in_once_and_a_corrupt_one_is_skipped(tmp_path: Path) -> None:
    build_tiny_artifact(tmp_path, version="v1")
    served = []
    watcher = ArtifactWatcher(tmp_path, "v1", _build, served.append, interval=0.01)
    assert await watcher.check() is False and served == []

    build_tiny_artifact(tmp_path, version="v2", seed=2)
    assert await watcher.check() is True
    assert [a.version for a in served] == ["v2"] and watcher.version == "v2"
    assert await watcher.check() is False  # nothing new

    bad = build_tiny_artifact(tmp_path, version="v3", seed=3)
    (bad / "model.npz").write_bytes(b"not an npz")
    assert await watcher.check() is False and watcher.version == "v2" and len(served) == 1
    assert await watcher.check() is False  # the bad version is not retried on every poll

    build_tiny_artifact(tmp_path, version="v4", seed=4)
    assert await watcher.check() is True and watcher.version == "v4"


async def test_a_version_directory_never_changes(tmp_path: Path) -> None:
    version_dir = build_tiny_artifact(tmp_path, version="v1")
    watcher = ArtifactWatcher(version_dir, "v1", _build, lambda new: None)
    build_tiny_artifact(tmp_path, version="v2")
    assert await watcher.check() is False
