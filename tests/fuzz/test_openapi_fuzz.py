"""schemathesis against a real gateway process: no 5xx, every answer as the OpenAPI spec declares it.

A short run (a few hundred cases); `python -m bench.faults.openapi_fuzz` is the long one (>1,700).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from bench.faults.openapi_fuzz import run_schemathesis
from scripts.stack import Stack


def test_schemathesis_finds_no_failure(backends: Stack, redis_url: str, tmp_path: Path) -> None:
    stack = Stack(artifact_dir=Path("/nonexistent"), log_dir=tmp_path,
                  redis_port=int(redis_url.rsplit(":", 1)[1].split("/")[0]),
                  matcher_port=backends.matcher_port, scorer_port=backends.scorer_port,
                  profiles_port=backends.profiles_port, database_url=backends.profiles_database_url)
    proc = stack.start_service("gateway")
    try:
        done = run_schemathesis(stack.gateway_url, max_examples=12, seed=7, report=tmp_path / "report.ndjson")
    finally:
        proc.stop()
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", output)
    assert generated and int(generated[1]) == int(generated[2]) >= 200, output[-3000:]
    events = [json.loads(line) for line in (tmp_path / "report.ndjson").read_text().splitlines() if line.strip()]
    assert events  # the report was written (what CI keeps when this fails)
