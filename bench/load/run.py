"""One catalog's benchmark: start the stack and the monolith, run every cell on both, profile, stop."""
from __future__ import annotations

import json
import os
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.load.probes import RedisCounters, cpu_seconds, hit_ratio, rss_bytes
from bench.load.profiling import read_collapsed, start_recording, summarize
from bench.load.workload import recommend_bodies, write_bodies
from bench.load.wrk import run_wrk
from movierec.artifact import load_artifact
from scripts.stack import Process, Stack, free_port, http_ok, spawn, wait_until

SERVICES = ("redis", "matcher", "scorer", "gateway")


@dataclass
class Plan:
    """What to measure for one catalog."""

    name: str
    artifact_dir: Path
    work_dir: Path
    connections: tuple[int, ...] = (1, 8, 32)
    monolith_connections: tuple[int, ...] = (1, 8, 32)
    seconds: int = 10
    monolith_seconds: int = 10
    cached_pool: int = 200  # distinct bodies repeated in cached runs
    unique_bodies: int = 40_000  # bodies of the uncached runs; more than a run can send
    gateway_workers: int = 1
    warmup_seconds: int = 3  # before the measured runs, per target
    repeats: int = 1  # runs of each cell, stack and monolith alternating; the report takes medians
    profile_seconds: int = 0  # 0: no profile
    profile_dir: Path | None = None
    seed: int = 8


@dataclass
class CatalogResult:
    name: str
    n_movies: int
    startup_s: dict[str, float] = field(default_factory=dict)
    rss_idle_mb: dict[str, float] = field(default_factory=dict)
    rss_loaded_mb: dict[str, float] = field(default_factory=dict)
    cells: list[dict] = field(default_factory=list)
    monolith_restarts: int = 0  # killed because abandoned requests would have run into the next run
    profiles: dict[str, str] = field(default_factory=dict)


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url + "/recommend/titles", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=120) as reply:
        return json.loads(reply.read())


def _start_monolith(artifact_dir: Path, log_dir: Path) -> tuple[Process, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = spawn("monolith", [sys.executable, "-m", "bench.load.monolith", "--artifact", str(artifact_dir),
                              "--port", str(port)], {}, log_dir)
    wait_until(proc, lambda: http_ok(url + "/health"), 180)
    return proc, url


def _rss_mb(processes: dict[str, Process]) -> dict[str, float]:
    return {name: round(rss_bytes(p.popen.pid) / 2**20, 1) for name, p in processes.items()}


def _settle(processes: dict[str, Process], names: tuple[str, ...], timeout: float) -> bool:
    """Waits until the named processes stop using CPU; False when they are still busy after `timeout`.

    When wrk stops it abandons requests in flight, and a server goes on computing them; the next
    run must not share the CPU with that leftover work.
    """
    deadline = time.monotonic() + timeout
    last = sum(cpu_seconds(processes[n].popen.pid) for n in names)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = sum(cpu_seconds(processes[n].popen.pid) for n in names)
        if now - last < 0.05:
            return True
        last = now
    return False


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_catalog(plan: Plan) -> CatalogResult:
    """Measures the stack and the monolith on one artifact; every process started here is stopped."""
    plan.work_dir.mkdir(parents=True, exist_ok=True)
    log_dir = plan.work_dir / "logs"
    log_dir.mkdir(exist_ok=True)
    movies = load_artifact(plan.artifact_dir).movies
    result = CatalogResult(plan.name, len(movies))
    cached_file = write_bodies(recommend_bodies(movies, plan.cached_pool, plan.seed, unique=False),
                               plan.work_dir / "cached.jsonl")
    cached_pool = [json.loads(line) for line in cached_file.read_text(encoding="utf-8").splitlines()]
    unique_file = write_bodies(recommend_bodies(movies, plan.unique_bodies, plan.seed + 1, unique=True),
                               plan.work_dir / "unique.jsonl")
    warm_file = write_bodies(recommend_bodies(movies, min(5_000, plan.unique_bodies), plan.seed + 2, unique=True),
                             plan.work_dir / "warm.jsonl")

    stack = Stack(plan.artifact_dir, log_dir)
    os.environ["GATEWAY_WORKERS"] = str(plan.gateway_workers)  # spawn() passes the environment on
    processes: dict[str, Process] = {}
    counters = None
    try:
        for name in SERVICES:
            started = time.monotonic()
            processes[name] = stack.start_redis() if name == "redis" else stack.start_service(name)
            result.startup_s[name] = round(time.monotonic() - started, 2)
        started = time.monotonic()
        processes["monolith"], monolith_url = _start_monolith(plan.artifact_dir, log_dir)
        result.startup_s["monolith"] = round(time.monotonic() - started, 2)
        _log(f"[{plan.name}] started in {result.startup_s} s")
        result.rss_idle_mb = _rss_mb(processes)
        counters = RedisCounters(stack.redis_url)

        sample = cached_pool[0]
        for label, url in (("stack", stack.gateway_url), ("monolith", monolith_url)):
            reply = _post(url, sample)
            if not reply["recommendations"] and not reply["missing_movies"]:
                raise RuntimeError(f"{label} answered {sample} with nothing: {reply}")
        targets = {"stack": stack.gateway_url, "monolith": monolith_url}

        def settle(target: str) -> None:
            if target == "stack" and not _settle(processes, SERVICES, 30):
                _log(f"[{plan.name}] the stack was still busy 30 s after the run")
            if target == "monolith" and not _settle(processes, ("monolith",), 3):
                processes["monolith"].popen.kill()
                processes["monolith"].popen.wait()
                processes["monolith"], targets["monolith"] = _start_monolith(plan.artifact_dir, log_dir)
                result.monolith_restarts += 1

        if plan.warmup_seconds:  # connections, channels, allocator, lazily imported code
            run_wrk(stack.gateway_url, warm_file, 8, plan.warmup_seconds)
            settle("stack")
            run_wrk(targets["monolith"], warm_file, 1, plan.warmup_seconds)
            settle("monolith")
        for connections in plan.connections:
            for mode, bodies in (("uncached", unique_file), ("cached", cached_file)):
                for target, repeat in [(t, r) for r in range(plan.repeats) for t in ("stack", "monolith")]:
                    url = targets[target]
                    if target == "monolith" and connections not in plan.monolith_connections:
                        continue
                    if target == "stack" and mode == "uncached":
                        counters.flush()
                    if target == "stack" and mode == "cached":
                        counters.flush()
                        for body in cached_pool:  # every pooled answer in Redis before the clock starts
                            _post(url, body)
                    before = counters.counts()
                    names = ("monolith",) if target == "monolith" else SERVICES
                    cpu_before = {n: cpu_seconds(processes[n].popen.pid) for n in names}
                    seconds = plan.seconds if target == "stack" else plan.monolith_seconds
                    load = run_wrk(url, bodies, connections, seconds, timeout=60)
                    cell = {"target": target, "mode": mode, "repeat": repeat, **load.to_dict()}
                    # CPU milliseconds each process spent per completed request: where the cost is.
                    done = max(load.requests, 1)
                    cell["cpu_ms_per_request"] = {
                        n: round(1000 * (cpu_seconds(processes[n].popen.pid) - cpu_before[n]) / done, 3) for n in names}
                    if target == "stack":
                        cell["cache_hit_ratio"] = hit_ratio(before, counters.counts())
                    result.cells.append(cell)
                    for name, mb in _rss_mb(processes).items():  # the most seen after any run
                        result.rss_loaded_mb[name] = max(mb, result.rss_loaded_mb.get(name, 0.0))
                    settle(target)
                    _log(f"[{plan.name}] {target:8} {mode:8} c={connections:<3} {load.throughput:9.1f} req/s  "
                         f"p50 {load.p50_ms:8.2f}  p95 {load.p95_ms:8.2f}  p99 {load.p99_ms:8.2f} ms  "
                         f"n={load.requests} errors={load.error_count} wraps={load.wraps} "
                         f"hits={cell.get('cache_hit_ratio')} cpu_ms/req={cell['cpu_ms_per_request']}")

        if plan.profile_seconds:
            result.profiles = _profile(plan, stack, processes, unique_file, counters)
    finally:
        if counters is not None:
            counters.close()
        if "monolith" in processes:
            processes["monolith"].stop()
        stack.stop()
    return result


def _profile(plan: Plan, stack: Stack, processes: dict[str, Process], bodies: Path,
             counters: RedisCounters) -> dict[str, str]:
    """py-spy on gateway, scorer and matcher during an uncached run at 8 connections."""
    out_dir = plan.profile_dir or plan.work_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    counters.flush()
    recorders = {name: (start_recording(processes[name].popen.pid, plan.profile_seconds,
                                        plan.work_dir / f"{name}.collapsed", subprocesses=plan.gateway_workers > 1),
                        plan.work_dir / f"{name}.collapsed")
                 for name in ("gateway", "scorer", "matcher")}
    time.sleep(0.5)  # py-spy attaches
    load = run_wrk(stack.gateway_url, bodies, 8, plan.profile_seconds)
    summaries = {}
    for name, (recorder, raw) in recorders.items():
        _, err = recorder.communicate(timeout=plan.profile_seconds + 60)
        head = (f"{plan.name}: {name} under uncached load, 8 connections, {plan.profile_seconds} s "
                f"({load.throughput:.0f} req/s, p99 {load.p99_ms:.1f} ms while profiled)\n")
        text = head + (summarize(read_collapsed(raw)) if raw.exists() else f"py-spy failed: {err[-1000:]}\n")
        (out_dir / f"{plan.name}-{name}.txt").write_text(text, encoding="utf-8")
        summaries[name] = text
    return summaries
