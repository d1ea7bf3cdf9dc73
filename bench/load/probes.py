"""What the benchmark reads off the running processes: resident memory and Redis hit counters."""
from __future__ import annotations

import os
import time
from pathlib import Path

import redis

PROC = Path("/proc")


def _children(pid: int) -> list[int]:
    """Direct children of pid (uvicorn worker processes when GATEWAY_WORKERS > 1)."""
    found = []
    for task in (PROC / str(pid) / "task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def rss_bytes(pid: int, with_children: bool = True) -> int:
    """Resident set size of a process (plus its descendants), from /proc/<pid>/status VmRSS."""
    total = 0
    try:
        for line in (PROC / str(pid) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total = int(line.split()[1]) * 1024
                break
    except OSError:
        return 0
    if with_children:
        total += sum(rss_bytes(child) for child in _children(pid))
    return total


def cpu_seconds(pid: int, with_children: bool = True) -> float:
    """User + system CPU time a process (plus its live descendants) has used, from /proc/<pid>/stat."""
    try:
        fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    total = ticks / os.sysconf("SC_CLK_TCK")
    if with_children:
        total += sum(cpu_seconds(child) for child in _children(pid))
    return total


class RedisCounters:
    """keyspace hits/misses of the stack's private Redis, to prove a run was (un)cached."""

    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url)

    def counts(self) -> tuple[int, int]:
        stats = self._client.info("stats")
        return int(stats["keyspace_hits"]), int(stats["keyspace_misses"])

    def flush(self) -> None:
        """Empties the private benchmark Redis (never the machine's own: the Stack started this one)."""
        self._client.flushall()

    def close(self) -> None:
        self._client.close()


def hit_ratio(before: tuple[int, int], after: tuple[int, int]) -> float | None:
    """Share of cache lookups that hit between two counts() readings; None when there were none."""
    hits, misses = after[0] - before[0], after[1] - before[1]
    return hits / (hits + misses) if hits + misses else None


def cpu_task_ms(rounds: int = 3) -> float:
    """Milliseconds of one fixed pure-Python task (5M multiply-adds), best of `rounds`: how fast this
    machine runs Python right now. On the shared 2-core VM it varied by 20% within a minute, so a
    run's throughput is comparable to another's only together with this figure."""
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        total = 0
        for i in range(5_000_000):
            total += i * i
        best = min(best, time.process_time() - started)
    return round(1000 * best, 1)
