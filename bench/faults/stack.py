"""The stack a reliability benchmark runs against: a given artifact root, else a tiny test artifact."""
from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from scripts.stack import Stack


@contextlib.contextmanager
def started_stack(artifact_dir: Path | None, prefix: str) -> Iterator[Stack]:
    """Redis, matcher, scorer and gateway as processes on loopback, stopped on exit."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        if artifact_dir is None:
            from testing.artifacts import build_tiny_artifact
            artifact_dir = Path(tmp) / "artifacts"
            build_tiny_artifact(artifact_dir)
        stack = Stack(artifact_dir=artifact_dir.resolve(), log_dir=Path(tmp))
        try:
            yield stack.start_all()
        finally:
            stack.stop()
