"""Recovery of the supervised local stack: `python -m bench.faults.supervised` SIGKILLs each child in turn
under load and measures how long until the stack answers again, with scripts/supervisor.py restarting it.

For each kill: time to the supervisor's restart (its backoff), to the first 200 of a request that needed
the killed child (a fresh body, so not from the cache; for Redis any 200; for profiles an account write,
PUT /me/ratings, from a second load of account writes that runs beside the anonymous one), requests failed
meanwhile by kind (for profiles: the writes), and whether every other child stayed up. The stack runs on a
tiny test artifact unless --artifact-dir is given, its profiles store in a SQLite file (as under run.sh);
the loads are bench/faults/load.py's closed loops.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import threading
import time
from pathlib import Path

from bench.faults.load import AccountWrites, Load, first_ok_after, summary
from bench.faults.scenarios import running
from bench.faults.stack import started_stack
from bench.profiles.__main__ import sign_up
from scripts.stack import Stack
from scripts.supervisor import Supervisor

CHILDREN = ("matcher", "scorer", "redis", "profiles", "gateway")


def supervise(stack: Stack, stop: threading.Event, lines: list[str]) -> None:
    """What scripts.supervisor.main's loop does, on a thread beside the load."""
    supervisor = Supervisor(stack, say=lines.append)
    while not stop.is_set():
        verdict = supervisor.poll()
        if verdict:
            lines.append(verdict)
            return
        time.sleep(0.05)


async def kill_and_recover(stack: Stack, name: str, load: Load, timeout: float = 120.0) -> dict[str, object]:
    """SIGKILLs `name`, waits for the supervisor's restart and the first 200 that needed it."""
    old = running(stack, name)
    killed = time.monotonic()
    os.kill(old.popen.pid, signal.SIGKILL)
    give_up = killed + timeout
    while running_or_none(stack, name) in (None, old) and time.monotonic() < give_up:
        await asyncio.sleep(0.02)
    relaunched = time.monotonic()
    fresh_only = name != "redis"  # without Redis every answer is computed: any 200 counts; every write is fresh
    while first_ok_after(load.outcomes, relaunched, fresh_only) is None and time.monotonic() < give_up:
        await asyncio.sleep(0.02)
    recovered = first_ok_after(load.outcomes, relaunched, fresh_only)
    await asyncio.sleep(1.0)  # let the outage's last requests finish before summarising it
    outage = summary([o for o in load.outcomes if killed <= o.start < relaunched + (recovered or 0)])
    return {"child": name, "restart_s": round(relaunched - killed, 2),
            "first_needed_200_s": None if recovered is None else round(relaunched + recovered - killed, 2),
            "failed_meanwhile": outage["failures"], "ok_meanwhile": outage["ok"],
            "others_alive": all(p.alive() for p in stack.processes if p.name != name)}


def running_or_none(stack: Stack, name: str):
    try:
        return running(stack, name)
    except StopIteration:
        return None


async def run(stack: Stack, rounds: int, concurrency: int, writers: int) -> list[dict[str, object]]:
    load = Load(stack.gateway_url, concurrency=concurrency)
    writes = AccountWrites(stack.gateway_url, concurrency=writers, tokens=await sign_up(stack.profiles_address, 16))
    loaders = [asyncio.create_task(x.run()) for x in (load, writes)]
    results = []
    try:
        await asyncio.sleep(3.0)  # warm: caches, channels
        for _ in range(rounds):
            for name in CHILDREN:
                results.append(await kill_and_recover(stack, name, writes if name == "profiles" else load))
                await asyncio.sleep(2.0)
    finally:
        for x in (load, writes):
            x.stop()
        await asyncio.gather(*loaders)
    return results


def table(results: list[dict[str, object]]) -> str:
    rows = ["| child killed | kills | restart after (s, median) | first 200 that needed it (s, median / worst) "
            "| failed requests meanwhile (total by kind) | others stayed up |", "|---|---|---|---|---|---|"]
    for name in CHILDREN:
        mine = [r for r in results if r["child"] == name]
        firsts = [float(r["first_needed_200_s"]) for r in mine if r["first_needed_200_s"] is not None]
        failed: dict[str, int] = {}
        for r in mine:
            for kind, n in dict(r["failed_meanwhile"]).items():
                failed[kind] = failed.get(kind, 0) + n
        first = f"{statistics.median(firsts):.2f} / {max(firsts):.2f}" if firsts else "never"
        if len(firsts) < len(mine):
            first += f" ({len(mine) - len(firsts)} never)"
        rows.append(f"| {name} | {len(mine)} | {statistics.median(float(r['restart_s']) for r in mine):.2f} "
                    f"| {first} | {json.dumps(failed) if failed else 'none'} "
                    f"| {all(r['others_alive'] for r in mine)} |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifact-dir", type=Path, help="artifact root (default: a tiny test artifact)")
    parser.add_argument("--rounds", type=int, default=3, help="kills of each child")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--writers", type=int, default=4, help="workers of the account-write load")
    parser.add_argument("--json", type=Path, help="also write every kill's measurements here")
    args = parser.parse_args()
    lines: list[str] = []
    with started_stack(args.artifact_dir, "bench-supervised-") as stack:
        stop = threading.Event()
        thread = threading.Thread(target=supervise, args=(stack, stop, lines), daemon=True)
        thread.start()
        try:
            results = asyncio.run(run(stack, args.rounds, args.concurrency, args.writers))
        finally:
            stop.set()
            thread.join()
    print(f"# supervised stack: each child SIGKILLed {args.rounds}x under a {args.concurrency}-worker load "
          f"and {args.writers} account writers (shared machine: compare within a run)\n")
    print(table(results))
    print("\nsupervisor said:\n" + "\n".join(line.splitlines()[0] for line in lines))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
