"""bench/client runs end to end on the tiny artifact and prints one row per mode."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts.stack import ROOT


@pytest.mark.integration
def test_bench_client_prints_every_mode_with_a_ratio(tiny_artifact_root: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "bench.client", "--artifact-dir", str(tiny_artifact_root),
                           "--people", "30", "--liked", "3", "--rounds", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line for line in done.stdout.splitlines() if line.startswith("| Recommend")]
    assert len(rows) == 5 and rows[0].endswith("| 1.00× |")
    assert all(float(r.rsplit("|", 2)[-2].strip().rstrip("×")) > 0 for r in rows)
