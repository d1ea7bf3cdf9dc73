"""Fault benchmark: `python -m bench.faults` runs each fault under load on a fresh stack and prints a report.

Faults: Redis stopped and restarted, scorer SIGKILLed and restarted, matcher SIGKILLed and
restarted, scorer frozen (SIGSTOP) then thawed. For each: requests sent, failures by kind and
the worst latency before / during / after, and the time to the first success after the restart.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time
from pathlib import Path

from bench.faults.load import Load, first_ok_after, summary
from bench.faults.scenarios import FaultReport, backend_kill, health, others_alive, redis_outage, running
from bench.faults.stack import started_stack
from scripts.stack import ROOT, Stack


async def scorer_freeze(stack: Stack, load: Load, before: float, during: float, after: float) -> FaultReport:
    """SIGSTOPs the scorer (hung, connections open) under load, then SIGCONTs it."""
    await asyncio.sleep(before)
    b1 = time.monotonic()
    proc = running(stack, "scorer")
    proc.popen.send_signal(signal.SIGSTOP)
    await asyncio.sleep(during)
    proc.popen.send_signal(signal.SIGCONT)
    a0 = time.monotonic()
    await asyncio.sleep(after)
    a1 = time.monotonic()
    return FaultReport("scorer frozen (SIGSTOP)", summary(load.finished_before(b1 - before, b1)),
                       summary(load.overlapping(b1, a0)), summary(load.between(a0, a1)),
                       first_ok_after(load.outcomes, a0),
                       {"health_after": health(stack)[1].get("status"), "others_alive": others_alive(stack, "")})


async def run_all(stack: Stack, concurrency: int, phases: tuple[float, float, float]) -> list[FaultReport]:
    scenarios = [
        lambda load: redis_outage(stack, load, *phases),
        lambda load: backend_kill(stack, "scorer", load, *phases),
        lambda load: backend_kill(stack, "matcher", load, *phases),
        lambda load: scorer_freeze(stack, load, *phases),
    ]
    reports = []
    for scenario in scenarios:
        load = Load(stack.gateway_url, concurrency=concurrency)
        runner = asyncio.create_task(load.run())
        try:
            reports.append(await scenario(load))
        finally:
            load.stop()
            await runner
        await asyncio.sleep(1.0)  # settle between faults
    return reports


def table(reports: list[FaultReport]) -> str:
    rows = ["| fault | phase | requests | ok | failures by kind | worst ms | worst / baseline worst |",
            "|---|---|---|---|---|---|---|"]
    for r in reports:
        base = max(float(r.before["worst_ms"]), 1e-3)
        for phase in ("before", "during", "after"):
            s = getattr(r, phase)
            fails = ", ".join(f"{k} {v}" for k, v in s["failures"].items()) or "none"
            rows.append(f"| {r.fault} | {phase} | {s['requests']} | {s['ok']} | {fails} | {s['worst_ms']} "
                        f"| {float(s['worst_ms']) / base:.2f} |")
    rows.append("")
    rows.append("| fault | first 200 after restart/thaw (s) | notes |")
    rows.append("|---|---|---|")
    for r in reports:
        rec = "n/a" if r.recovery_s is None else f"{r.recovery_s:.2f}"
        rows.append(f"| {r.fault} | {rec} | {json.dumps(r.notes)} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifact-dir", type=Path, help="artifact root (default: a tiny test artifact)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--phase-seconds", type=float, nargs=3, default=(3.0, 5.0, 5.0),
                        metavar=("BEFORE", "DURING", "AFTER"))
    parser.add_argument("--json", type=Path, help="also write the reports as JSON here")
    args = parser.parse_args()
    with started_stack(args.artifact_dir, "bench-faults-") as stack:
        artifact_dir = stack.artifact_dir
        reports = asyncio.run(run_all(stack, args.concurrency, tuple(args.phase_seconds)))
    print(f"# fault benchmark: artifact {artifact_dir}, concurrency {args.concurrency}, "
          f"phases {args.phase_seconds} s, run from {ROOT}\n")
    print(table(reports))
    if args.json:
        args.json.write_text(json.dumps([r.as_dict() for r in reports], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
