"""Slow-client attack on a real gateway: `python -m bench.faults.slow_clients` holds stalled uploads and
half-sent headers open beside a normal load and measures what the normal clients get.

Phases of the same run: a baseline (load only), then the attack (load plus `--stalled` connections
that declared a 100-byte body and sent 10 bytes, and as many that sent half a request head, all
re-opened as soon as the gateway drops them), then after the attack. For each: requests, failures by
kind, median and worst latency. Also how long the gateway took to drop a stalled connection (its
GATEWAY_BODY_TIMEOUT_SECONDS / GATEWAY_HEADER_TIMEOUT_SECONDS, set here with --timeout).
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from bench.faults.load import Load, Outcome, summary
from bench.faults.stack import started_stack
from scripts.stack import ROOT

UPLOAD = (b"POST /recommend/titles HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
          b"Content-Length: 100\r\n\r\n" + b'{"movies":')
HALF_HEAD = b"POST /recommend/titles HTTP/1.1\r\nHost: gateway\r\nContent-"


async def stall(host: str, port: int, data: bytes, stop: asyncio.Event, held_for: list[float]) -> None:
    """Keeps one stalled connection open: sends `data`, waits for the gateway to drop it, reconnects."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        opened = time.monotonic()
        writer.write(data)
        read = asyncio.ensure_future(reader.read())  # returns once the gateway closes the connection
        stopped = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({read, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if read in done:
            held_for.append(time.monotonic() - opened)
        for task in (read, stopped):
            task.cancel()
        writer.close()


def phase(outcomes: list[Outcome], t0: float, t1: float) -> dict[str, object]:
    mine = [o for o in outcomes if t0 <= o.start < t1]
    ok = sorted(o.latency for o in mine if o.kind == "ok")
    return {**summary(mine), "median_ms": round(statistics.median(ok) * 1000, 1) if ok else None}


async def attack(url: str, stalled: int, seconds: float, concurrency: int) -> dict[str, object]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    load = Load(url, concurrency=concurrency)
    loader = asyncio.create_task(load.run())
    stop = asyncio.Event()
    held_for: list[float] = []
    t0 = time.monotonic()
    await asyncio.sleep(seconds)
    t1 = time.monotonic()
    attackers = [asyncio.create_task(stall(host, int(port), data, stop, held_for))
                 for data in (UPLOAD, HALF_HEAD) for _ in range(stalled)]
    await asyncio.sleep(seconds)
    t2 = time.monotonic()
    stop.set()
    await asyncio.gather(*attackers)
    t3 = time.monotonic()
    await asyncio.sleep(seconds)
    t4 = time.monotonic()
    load.stop()
    await loader
    return {"before": phase(load.outcomes, t0, t1), "attack": phase(load.outcomes, t1, t2),
            "after": phase(load.outcomes, t3, t4),
            "dropped": len(held_for), "held_median_s": round(statistics.median(held_for), 2) if held_for else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifact-dir", type=Path, help="artifact root (default: a tiny test artifact)")
    parser.add_argument("--stalled", type=int, default=64, help="stalled uploads, and as many half-sent heads")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each phase")
    parser.add_argument("--timeout", type=float, default=5.0, help="the gateway's header and body timeouts")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--code-root", type=Path, default=ROOT,
                        help="run the gateway from this checkout (e.g. `git archive` of an older commit)")
    args = parser.parse_args()
    with started_stack(args.artifact_dir, "bench-slow-clients-") as stack:
        timeout = str(args.timeout)
        proc, url = stack.extra_gateway("gateway-slow-clients", stack.log_dir, args.code_root.resolve(),
                                        max_in_flight="64", body_timeout_seconds=timeout,
                                        header_timeout_seconds=timeout)
        try:
            result = asyncio.run(attack(url, args.stalled, args.seconds, args.concurrency))
        finally:
            proc.stop()
    print(f"# slow clients, gateway from {args.code_root}: {args.stalled} stalled uploads + {args.stalled} "
          f"half-sent heads against GATEWAY_MAX_IN_FLIGHT=64, timeouts {args.timeout:g} s, "
          f"{args.concurrency} normal workers, {args.seconds:g} s phases "
          "(shared machine: compare phases within the run)\n")
    print("| phase | requests | ok | failures by kind | median ms | worst ms |")
    print("|---|---|---|---|---|---|")
    for name in ("before", "attack", "after"):
        s = result[name]
        fails = ", ".join(f"{k} {v}" for k, v in s["failures"].items()) or "none"  # type: ignore[union-attr]
        print(f"| {name} | {s['requests']} | {s['ok']} | {fails} | {s['median_ms']} | {s['worst_ms']} |")  # type: ignore[index]
    print(f"\nstalled connections dropped by the gateway: {result['dropped']}, "
          f"held open for a median {result['held_median_s']} s each")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
