"""`python -m bench.load.ab --baseline COMMIT`: this tree's stack vs a baseline commit's, uncached, runs alternating.

Both stacks (Redis, matcher, scorer, gateway) run at once from the same artifact, the baseline's
services from a `git archive` of COMMIT; wrk drives one, then the other, round after round, so
both see the same background load on a shared machine. Prints each run, then medians and the
ratios B/A, which are the figures to quote. `--env-a/--env-b K=V` set environment variables of
one side only (e.g. `--baseline HEAD --env-b GATEWAY_WORKERS=3` compares a setting on the same code).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.load.__main__ import ml100k_artifact
from bench.load.probes import RedisCounters, cpu_seconds, cpu_task_ms
from bench.load.workload import recommend_bodies, write_bodies
from bench.load.wrk import run_wrk
from bench.matcher.cpu import export, tree_label
from movierec.artifact import load_catalog
from scripts.stack import ROOT, Process, Stack

SERVICES = ("redis", "matcher", "scorer", "gateway")


def _env(pairs: list[str]) -> dict[str, str]:
    return dict(pair.split("=", 1) for pair in pairs)


def start(code_root: Path, artifact: Path, log_dir: Path, env: dict[str, str]) -> tuple[Stack, dict[str, Process]]:
    """A stack whose services run from `code_root`, with `env` added to the environment they inherit."""
    log_dir.mkdir(parents=True, exist_ok=True)
    stack = Stack(artifact, log_dir, code_root=code_root)
    saved = dict(os.environ)
    os.environ.update(env)  # spawn() passes os.environ on
    try:
        processes = {"redis": stack.start_redis()}
        processes.update({name: stack.start_service(name) for name in SERVICES[1:]})
    except BaseException:
        stack.stop()
        raise
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return stack, processes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="commit of side A (side B is this working tree)")
    parser.add_argument("--rounds", type=int, default=6, help="runs of each side (default 6)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of one run (default 10)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--env-a", nargs="*", default=[], metavar="K=V")
    parser.add_argument("--env-b", nargs="*", default=[], metavar="K=V")
    parser.add_argument("--work-dir", type=Path, default=ROOT / ".cache" / "bench-load")
    parser.add_argument("--artifact", type=Path, help="artifact root to serve (default: bench/load's ML-100K one)")
    args = parser.parse_args(argv)

    artifact = args.artifact or ml100k_artifact(args.work_dir)
    speed = [cpu_task_ms()]
    common = {"GATEWAY_WORKERS": "2"}  # as bench/load runs it: one worker per core
    with tempfile.TemporaryDirectory(prefix="bench-ab-") as tmp:
        bodies = write_bodies(recommend_bodies(load_catalog(artifact)[1], 40_000, seed=8, unique=True),
                              Path(tmp) / "unique.jsonl")
        baseline = export(args.baseline, Path(tmp) / "baseline")
        sides = {f"A {args.baseline}": (baseline, {**common, **_env(args.env_a)}),
                 f"B {tree_label()}": (ROOT, {**common, **_env(args.env_b)})}
        running = {}
        try:
            for n, (label, (code, env)) in enumerate(sides.items()):
                running[label] = (*start(code, artifact, Path(tmp) / f"logs-{n}", env), env)
            for stack, _, _ in running.values():  # channels, connections, lazily imported code
                run_wrk(stack.gateway_url, bodies, args.connections, 3)
            runs: dict[str, list[dict]] = {label: [] for label in running}
            labels = list(running)
            for r in range(args.rounds):
                for label in labels if r % 2 == 0 else labels[::-1]:
                    stack, processes, env = running[label]
                    counters = RedisCounters(stack.redis_url)
                    counters.flush()  # uncached: no answer of an earlier run can be hit
                    counters.close()
                    time.sleep(1)
                    before = {name: cpu_seconds(p.popen.pid) for name, p in processes.items()}
                    load = run_wrk(stack.gateway_url, bodies, args.connections, args.seconds, timeout=60)
                    done = max(load.requests, 1)
                    cpu = {name: 1000 * (cpu_seconds(p.popen.pid) - before[name]) / done
                           for name, p in processes.items()}
                    runs[label].append({"rps": load.throughput, "p50": load.p50_ms, "p99": load.p99_ms,
                                        "cpu": sum(cpu.values()), "errors": load.error_count})
                    print(f"{label:24} {load.throughput:7.1f} req/s  "
                          f"p50 {load.p50_ms:6.2f}  p99 {load.p99_ms:6.2f} ms  "
                          f"errors {load.error_count}  CPU ms/request " +
                          " ".join(f"{k} {v:.2f}" for k, v in cpu.items()), flush=True)
        finally:
            for stack, _, _ in running.values():
                stack.stop()
    speed.append(cpu_task_ms())
    medians = {label: {k: statistics.median(run[k] for run in r) for k in ("rps", "p50", "p99", "cpu")}
               for label, r in runs.items()}
    print(f"\nmedians of {args.rounds} runs, {args.connections} connections, uncached "
          f"(fixed CPU task {speed[0]:.0f} ms before, {speed[1]:.0f} ms after):")
    for label, m in medians.items():
        print(f"{label:24} {m['rps']:7.1f} req/s  p50 {m['p50']:6.2f}  p99 {m['p99']:6.2f} ms  "
              f"CPU {m['cpu']:.2f} ms/request")
    a, b = medians.values()
    print(f"B/A: throughput {b['rps'] / a['rps']:.3f}x, p99 {b['p99'] / a['p99']:.3f}x, "
          f"CPU per request {b['cpu'] / a['cpu']:.3f}x")
    return 1 if any(run["errors"] for r in runs.values() for run in r) else 0


if __name__ == "__main__":
    sys.exit(main())
