"""Runs wrk (Debian package `wrk`) with bodies.lua against one URL and parses its summary."""
from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

LUA_SCRIPT = Path(__file__).with_name("bodies.lua")
RESULT_PREFIX = "BENCH_RESULT "
MAX_THREADS = 2  # wrk's own threads; the machine has two cores shared with the services


@dataclass(frozen=True)
class LoadResult:
    """One wrk run: completed requests, errors by kind, latency percentiles in milliseconds."""

    connections: int
    seconds: float
    requests: int
    errors: dict[str, int]
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    wraps: int  # times a thread reused its bodies from the start

    @property
    def throughput(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def to_dict(self) -> dict:
        return {"connections": self.connections, "seconds": round(self.seconds, 3), "requests": self.requests,
                "throughput": round(self.throughput, 2), "errors": self.errors, "p50_ms": self.p50_ms,
                "p95_ms": self.p95_ms, "p99_ms": self.p99_ms, "max_ms": self.max_ms, "wraps": self.wraps}


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk not found: the load benchmark needs it (Debian/Ubuntu: `apt-get install -y wrk`)")
    return found


def parse_output(stdout: str, connections: int) -> LoadResult:
    """The LoadResult from wrk's output (the BENCH_RESULT line bodies.lua prints in done())."""
    lines = [line for line in stdout.splitlines() if line.startswith(RESULT_PREFIX)]
    if not lines:
        raise RuntimeError(f"wrk printed no {RESULT_PREFIX.strip()} line:\n{stdout[-2000:]}")
    raw = json.loads(lines[-1][len(RESULT_PREFIX):])
    lat = raw["latency_us"]
    return LoadResult(connections=connections, seconds=raw["duration_us"] / 1e6, requests=raw["requests"],
                      errors=raw["errors"], p50_ms=lat["p50"] / 1000, p95_ms=lat["p95"] / 1000,
                      p99_ms=lat["p99"] / 1000, max_ms=lat["max"] / 1000, wraps=raw["wraps"])


def run_wrk(base_url: str, bodies_file: Path, connections: int, seconds: int, timeout: float = 30.0) -> LoadResult:
    """Drives <base_url> with the requests of `bodies_file` (bodies.lua's two line formats: a body for
    POST /recommend/titles, or a whole request) with `connections` open connections for `seconds`.

    Only loopback targets are accepted: this is a local benchmark.
    """
    host = urlsplit(base_url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"refusing to load-test {base_url}: only loopback targets are benchmarked")
    threads = max(1, min(MAX_THREADS, connections))
    args = [wrk_binary(), "-t", str(threads), "-c", str(connections), "-d", f"{int(seconds)}s",
            "--timeout", f"{timeout:g}s", "-s", str(LUA_SCRIPT), base_url, "--", str(bodies_file), str(threads)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=seconds + timeout + 30)
    if done.returncode != 0:
        raise RuntimeError(f"wrk exited with {done.returncode}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return parse_output(done.stdout, connections)
