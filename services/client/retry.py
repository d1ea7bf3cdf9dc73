"""Retry policy of the typed client: UNAVAILABLE only, bounded attempts, full-jitter backoff, one deadline."""
from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import grpc

Reply = TypeVar("Reply")

# Only idempotent RPCs are retried (every Matcher and Scorer RPC; the Profiles ones its contract names),
# so a retry can never apply anything twice. Only UNAVAILABLE is retried: the call did not reach a
# servicer (server starting, stopping, or the connection dropped). DEADLINE_EXCEEDED means the budget is spent; INVALID_ARGUMENT and
# NOT_FOUND would only fail again.
RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE})


@dataclass(frozen=True)
class RetryPolicy:
    """At most `attempts` tries; before try n+1 a random pause in [0, min(max_backoff, initial * 2**n)]."""

    attempts: int = 3
    initial_backoff: float = 0.05
    max_backoff: float = 0.5

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.initial_backoff < 0 or self.max_backoff < self.initial_backoff:
            raise ValueError(f"bad retry policy {self}: attempts >= 1, 0 <= initial_backoff <= max_backoff")

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Seconds to wait before retry number `retry` (0-based): full jitter, so clients spread out."""
        return rng.uniform(0.0, min(self.max_backoff, self.initial_backoff * 2 ** retry))


NO_RETRY = RetryPolicy(attempts=1)


class AttemptsFailed(Exception):
    """The call failed for good: `error` is the last attempt's error, after `attempts` tries."""

    def __init__(self, error: grpc.aio.AioRpcError, attempts: int) -> None:
        super().__init__(f"{error.code().name} after {attempts} attempt(s): {error.details()}")
        self.error = error
        self.attempts = attempts


async def call_with_retries(rpc: Callable[..., Awaitable[Reply]], request: object, *, timeout: float,
                            metadata: tuple[tuple[str, str], ...], policy: RetryPolicy,
                            rng: random.Random) -> tuple[Reply, int]:
    """(reply, attempts used). Every attempt gets what is left of `timeout`; failing for good raises
    AttemptsFailed with the last error.

    A retry is only started when its pause leaves time for the attempt, so the whole call never
    takes (much) longer than `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    for attempt in range(policy.attempts):
        try:
            return await rpc(request, timeout=max(deadline - time.monotonic(), 0.001), metadata=metadata), attempt + 1
        except grpc.aio.AioRpcError as exc:
            pause = policy.backoff(attempt, rng)
            if (exc.code() not in RETRYABLE or attempt + 1 == policy.attempts
                    or time.monotonic() + pause >= deadline):
                raise AttemptsFailed(exc, attempt + 1) from None
            await asyncio.sleep(pause)
    raise AssertionError("unreachable: the last attempt returns or raises")
