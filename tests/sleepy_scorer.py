"""A scorer whose handlers sleep once frozen: a real gRPC server on loopback that accepts calls and never
answers them in time (what a stalled scorer looks like to its clients), while its health service still
says SERVING."""
from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from movierec.v1 import scorer_pb2, scorer_pb2_grpc
from testing.servers import serving

VERSION = "v-sleepy"


class SleepyScorer(scorer_pb2_grpc.ScorerServicer):
    """Answers GetModelInfo and Recommend at once until `frozen`; then each call sleeps `sleep` seconds."""

    def __init__(self, sleep: float = 60.0) -> None:
        self.frozen = False
        self.sleep = sleep
        self.calls: Counter[str] = Counter()
        # Seconds each call had left when it arrived (its gRPC deadline): what the client allowed it.
        self.allowed: dict[str, list[float]] = {}

    async def _maybe_stall(self, method: str, context) -> None:
        self.calls[method] += 1
        remaining = context.time_remaining()
        self.allowed.setdefault(method, []).append(float("inf") if remaining is None else remaining)
        if self.frozen:
            await asyncio.sleep(self.sleep)

    async def GetModelInfo(self, request, context):  # noqa: N802 (gRPC method names)
        await self._maybe_stall("GetModelInfo", context)
        return scorer_pb2.ModelInfo(model_version=VERSION, default_alpha=0.5)

    async def Recommend(self, request, context):  # noqa: N802
        await self._maybe_stall("Recommend", context)
        return scorer_pb2.RecommendResponse(model_version=VERSION, alpha=0.5)


@asynccontextmanager
async def sleepy_scorer(sleep: float = 60.0) -> AsyncIterator[tuple[str, SleepyScorer]]:
    """(address, servicer) of a running SleepyScorer; stopped (sleeping calls cancelled) on exit."""
    servicer = SleepyScorer(sleep)
    async with serving(servicer, grace=0) as service:
        yield service.address, servicer
