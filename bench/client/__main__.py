"""`python -m bench.client`: Scorer.RecommendBatch against one Recommend per person, same process, same scorer.

A batch job has N people's liked lists. It can loop (one Recommend per person, awaited in turn),
fire the same calls concurrently, or send RecommendBatch calls of up to 100 people. Every mode
runs through the typed client against one real scorer process; the modes are interleaved over
several rounds and the median per mode is reported with its ratio to the sequential loop.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import numpy as np

from movierec.artifact import load_artifact
from movierec.v1 import scorer_pb2
from scripts.stack import ROOT, Stack
from services.client import ScorerClient, recommend_request

Mode = Callable[[ScorerClient, list[scorer_pb2.RecommendRequest]], Awaitable[int]]


def people(artifact_dir: Path, n: int, liked: int, top_k: int, seed: int) -> list[scorer_pb2.RecommendRequest]:
    """n requests of `liked` distinct catalog movies each (seeded), some with ratings."""
    item_ids = load_artifact(artifact_dir).arrays["item_ids"]
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        ids = rng.choice(item_ids, size=liked, replace=False).tolist()
        ratings = {m: float(r) for m, r in zip(ids, rng.choice([3.0, 4.0, 4.5, 5.0], size=liked)) if r != 5.0}
        out.append(recommend_request(ids, top_k=top_k, ratings=ratings))
    return out


async def sequential(scorer: ScorerClient, requests) -> int:
    for r in requests:
        await scorer.call("Recommend", scorer.stub.Recommend, r)
    return len(requests)


def concurrent(width: int) -> Mode:
    async def run(scorer: ScorerClient, requests) -> int:
        gate = asyncio.Semaphore(width)

        async def one(r):
            async with gate:
                await scorer.call("Recommend", scorer.stub.Recommend, r)

        await asyncio.gather(*(one(r) for r in requests))
        return len(requests)
    return run


def batched(size: int, width: int = 1) -> Mode:
    async def run(scorer: ScorerClient, requests) -> int:
        gate = asyncio.Semaphore(width)

        async def one(chunk):
            async with gate:
                reply = await scorer.recommend_batch(chunk)
                assert all(r.code == 0 for r in reply.results), [r.error for r in reply.results if r.code][:3]

        await asyncio.gather(*(one(requests[i:i + size]) for i in range(0, len(requests), size)))
        return len(requests)
    return run


async def measure(address: str, requests, modes: dict[str, Mode], rounds: int) -> dict[str, list[float]]:
    """people per second of every mode, `rounds` times, modes interleaved so load drifts hit all alike."""
    rates: dict[str, list[float]] = {name: [] for name in modes}
    async with ScorerClient(address, timeout=60.0) as scorer:
        await sequential(scorer, requests[:50])  # warm-up: connection, numpy paths
        for _ in range(rounds):
            for name, mode in modes.items():
                started = time.perf_counter()
                done = await mode(scorer, requests)
                rates[name].append(done / (time.perf_counter() - started))
    return rates


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.client", description=__doc__.splitlines()[0])
    parser.add_argument("--artifact-dir", type=Path, default=ROOT / "artifacts",
                        help="artifact root (default artifacts/)")
    parser.add_argument("--synthetic-62k", action="store_true",
                        help="use bench/load's 62,000-movie random artifact (built once into .cache/) instead")
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--liked", type=int, default=5, help="liked movies per person")
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.synthetic_62k:
        from bench.load.synthetic import build_synthetic_artifact
        args.artifact_dir = build_synthetic_artifact(ROOT / ".cache" / "bench-client-62k")
    requests = people(args.artifact_dir, args.people, args.liked, args.top_k, args.seed)
    modes: dict[str, Mode] = {
        "Recommend, one call per person, in turn (baseline)": sequential,
        "Recommend, 16 calls in flight": concurrent(16),
        "RecommendBatch of 100, in turn": batched(100),
        "RecommendBatch of 25, 4 in flight": batched(25, 4),
        "RecommendBatch of 100, 2 in flight": batched(100, 2),
    }
    with tempfile.TemporaryDirectory() as logs:
        stack = Stack(artifact_dir=args.artifact_dir.resolve(), log_dir=Path(logs))
        try:
            stack.start_service("scorer")
            rates = asyncio.run(measure(stack.scorer_address, requests, modes, args.rounds))
        finally:
            stack.stop()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    base = statistics.median(rates[next(iter(modes))])
    print(f"{args.artifact_dir.name}: commit {commit}, {platform.machine()}, "
          f"{args.people} people x {args.liked} liked, top_k {args.top_k}, "
          f"{args.rounds} rounds, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| mode | people/s (median) | min..max | vs one call per person |")
    print("|---|---|---|---|")
    for name, values in rates.items():
        med = statistics.median(values)
        print(f"| {name} | {med:,.0f} | {min(values):,.0f}..{max(values):,.0f} | {med / base:.2f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
