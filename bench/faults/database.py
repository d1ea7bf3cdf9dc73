"""The profiles store's PostgreSQL stopped and restarted under load: `python -m bench.faults.database`.

A stack (Redis, matcher, scorer, profiles, gateway) whose profiles store is a private PostgreSQL
(testing/postgres.py), under two closed-loop loads at once: account writes (PUT /me/ratings, cookie + CSRF)
and anonymous POST /recommend/titles. Each round stops PostgreSQL ("fast" shutdown), keeps it down for
--down seconds, starts it again on the same port and data directory, and measures: how long profiles
took to say NOT_SERVING, and from the restart (the server accepting connections) to the first successful
write, to profiles' gRPC health SERVING and to the gateway's /health "ok"; what the loads got meanwhile.
Profiles is never restarted. Median and worst over --rounds.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from bench.faults.load import AccountWrites, Load, first_ok_after, summary
from bench.faults.scenarios import health, running
from bench.profiles.__main__ import sign_up
from scripts.stack import Stack, grpc_serving
from testing.postgres import PostgresServer


async def _until(condition, timeout: float = 120.0, step: float = 0.02) -> float | None:
    """The monotonic time at which condition() (run in a thread) was first seen true; None after `timeout`."""
    give_up = time.monotonic() + timeout
    while time.monotonic() < give_up:
        if await asyncio.to_thread(condition):
            return time.monotonic()
        await asyncio.sleep(step)
    return None


def _since(t0: float, t: float | None) -> float | None:
    return None if t is None else round(t - t0, 2)


async def one_outage(stack: Stack, postgres: PostgresServer, writes: AccountWrites, reads: Load,
                     down: float) -> dict[str, object]:
    profiles = running(stack, "profiles")
    stopped = time.monotonic()
    halting = asyncio.create_task(asyncio.to_thread(postgres.halt))
    not_serving = await _until(lambda: not grpc_serving(stack.profiles_address))
    await halting
    await asyncio.sleep(max(0.0, down - (time.monotonic() - stopped)))
    health_down = await asyncio.to_thread(health, stack)
    await asyncio.to_thread(postgres.restart)
    restarted = time.monotonic()
    serving, first_write, health_ok = await asyncio.gather(
        _until(lambda: grpc_serving(stack.profiles_address)),
        _until(lambda: first_ok_after(writes.outcomes, restarted) is not None),
        _until(lambda: health(stack)[1].get("status") == "ok", step=0.05))
    write_s = first_ok_after(writes.outcomes, restarted)
    await asyncio.sleep(1.0)  # let the outage's last requests finish before summarising it
    return {
        "stop_to_not_serving_s": _since(stopped, not_serving),
        "restart_to_first_write_s": None if write_s is None else round(write_s, 2),
        "restart_to_serving_s": _since(restarted, serving),
        "restart_to_health_ok_s": _since(restarted, health_ok),
        "health_while_down": [health_down[0], health_down[1].get("status")],
        "writes_meanwhile": summary(writes.between(stopped, restarted + (write_s or 0))),
        "anonymous_meanwhile": summary(reads.between(stopped, restarted + (write_s or 0))),
        "profiles_restarted": running(stack, "profiles") is not profiles,
    }


async def run(stack: Stack, postgres: PostgresServer, rounds: int, down: float, concurrency: int,
              accounts: int) -> list[dict[str, object]]:
    tokens = await sign_up(stack.profiles_address, accounts)
    writes = AccountWrites(stack.gateway_url, concurrency=concurrency, tokens=tokens)
    reads = Load(stack.gateway_url, concurrency=concurrency)
    loaders = [asyncio.create_task(load.run()) for load in (writes, reads)]
    results = []
    try:
        await asyncio.sleep(3.0)  # warm: pools, channels, caches
        for _ in range(rounds):
            results.append(await one_outage(stack, postgres, writes, reads, down))
            print(json.dumps(results[-1]), flush=True)
            await asyncio.sleep(3.0)
    finally:
        for load in (writes, reads):
            load.stop()
        await asyncio.gather(*loaders)
    return results


def table(results: list[dict[str, object]]) -> str:
    rows = ["| from the restart of PostgreSQL to | median s | worst s |", "|---|---|---|"]
    for key, label in (("restart_to_first_write_s", "the first successful write (PUT /me/ratings 200)"),
                       ("restart_to_serving_s", "profiles' gRPC health SERVING"),
                       ("restart_to_health_ok_s", "the gateway's /health \"ok\""),
                       ("stop_to_not_serving_s", "(from the stop) profiles' health NOT_SERVING")):
        values = [float(r[key]) for r in results if r[key] is not None]  # type: ignore[arg-type]
        never = len(results) - len(values)
        rows.append(f"| {label} | {statistics.median(values):.2f} | {max(values):.2f}"
                    f"{f' ({never} never)' if never else ''} |" if values else f"| {label} | never | never |")
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifact-dir", type=Path, help="artifact root (default: a tiny test artifact)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--down", type=float, default=5.0, help="seconds PostgreSQL stays down each round")
    parser.add_argument("--concurrency", type=int, default=8, help="workers of each load (writes, anonymous)")
    parser.add_argument("--accounts", type=int, default=16)
    parser.add_argument("--json", type=Path, help="also write every round's measurements here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-db-outage-") as tmp:
        artifact_dir = args.artifact_dir
        if artifact_dir is None:
            from testing.artifacts import build_tiny_artifact
            artifact_dir = Path(tmp) / "artifacts"
            build_tiny_artifact(artifact_dir)
        postgres = PostgresServer().start()
        stack = Stack(artifact_dir=artifact_dir.resolve(), log_dir=Path(tmp),
                      database_url=postgres.new_database("outage"))
        try:
            stack.start_all()
            results = asyncio.run(run(stack, postgres, args.rounds, args.down, args.concurrency, args.accounts))
        finally:
            stack.stop()
            postgres.stop()
    print(f"\n# PostgreSQL stopped {args.down:g} s and restarted, {args.rounds} rounds, under {args.concurrency} "
          f"write + {args.concurrency} anonymous workers (profiles never restarted)\n")
    print(table(results))
    writes: dict[str, int] = {}
    anonymous: dict[str, int] = {}
    for r in results:
        for total, key in ((writes, "writes_meanwhile"), (anonymous, "anonymous_meanwhile")):
            for kind, n in dict(r[key]["failures"]).items():  # type: ignore[index]
                total[kind] = total.get(kind, 0) + n
    print(f"\nfailed writes while the store was down (all rounds, by kind): {writes or 'none'}")
    print(f"failed anonymous requests meanwhile: {anonymous or 'none'}")
    print(f"/health while down: {sorted({tuple(r['health_while_down']) for r in results})}")  # type: ignore[arg-type]
    print(f"profiles restarted: {any(r['profiles_restarted'] for r in results)}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
