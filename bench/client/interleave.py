"""`python -m bench.client.interleave`: how long one Recommend waits while a RecommendBatch of 100 runs.

62,000-movie synthetic artifact (bench/load's), one scorer process; three trials, each: one call
alone, then a batch of 100 with one single call started 20 ms into it.
"""
from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from bench.client.__main__ import people
from bench.load.synthetic import build_synthetic_artifact
from scripts.stack import ROOT, Stack
from services.client import ScorerClient


async def trial(address: str, requests) -> str:
    liked = [int(requests[0].liked[0].movie_id)]
    async with ScorerClient(address, timeout=30) as scorer:
        await scorer.recommend_batch(requests[:5])  # warm-up
        started = time.perf_counter()
        await scorer.recommend(liked)
        alone = time.perf_counter() - started

        async def single_during() -> float:
            await asyncio.sleep(0.02)
            t = time.perf_counter()
            await scorer.recommend(liked)
            return time.perf_counter() - t

        started = time.perf_counter()
        _, during = await asyncio.gather(scorer.recommend_batch(requests), single_during())
        batch = time.perf_counter() - started
    return (f"one Recommend alone {alone * 1000:.1f} ms; RecommendBatch of {len(requests)} {batch * 1000:.0f} ms; "
            f"one Recommend during the batch {during * 1000:.1f} ms")


def main() -> int:
    artifact = build_synthetic_artifact(ROOT / ".cache" / "bench-client-62k")
    requests = people(artifact, 100, 5, 10, 7)
    with tempfile.TemporaryDirectory() as logs:
        stack = Stack(artifact_dir=artifact, log_dir=Path(logs))
        try:
            stack.start_service("scorer")
            for _ in range(3):
                print(asyncio.run(trial(stack.scorer_address, requests)))
        finally:
            stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
