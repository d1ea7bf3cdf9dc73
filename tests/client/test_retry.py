"""The typed client's retry policy against a real gRPC server that fails on purpose."""
from __future__ import annotations

import random
import time

import grpc
import pytest

from movierec.v1 import scorer_pb2, scorer_pb2_grpc
from scripts.stack import free_port
from services.client import CallError, RetryPolicy, ScorerClient
from services.common.request_id import current_request_id

pytestmark = pytest.mark.integration  # gRPC servers and channels on loopback


class FlakyScorer(scorer_pb2_grpc.ScorerServicer):
    """GetModelInfo fails with `code` for the first `failures` calls, then answers; records metadata."""

    def __init__(self, failures: int, code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE) -> None:
        self.failures = failures
        self.code = code
        self.calls: list[dict[str, str]] = []

    async def GetModelInfo(self, request, context):
        self.calls.append(dict(context.invocation_metadata()))
        if len(self.calls) <= self.failures:
            await context.abort(self.code, f"failure {len(self.calls)}")
        return scorer_pb2.ModelInfo(model_version="v-flaky")


@pytest.fixture
async def flaky():
    """`await flaky(failures, code)` -> (servicer, address) of a server on a free loopback port."""
    servers = []

    async def start(failures: int, code: grpc.StatusCode = grpc.StatusCode.UNAVAILABLE):
        servicer = FlakyScorer(failures, code)
        server = grpc.aio.server()
        scorer_pb2_grpc.add_ScorerServicer_to_server(servicer, server)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        servers.append(server)
        return servicer, f"127.0.0.1:{port}"

    yield start
    for server in servers:
        await server.stop(0)


def test_backoff_is_full_jitter_capped_and_growing() -> None:
    policy = RetryPolicy(attempts=5, initial_backoff=0.1, max_backoff=0.3)
    rng = random.Random(1)
    pauses = [[policy.backoff(n, rng) for _ in range(500)] for n in range(4)]
    assert all(0 <= p <= 0.1 for p in pauses[0]) and max(pauses[0]) > 0.09
    assert all(0 <= p <= 0.2 for p in pauses[1]) and max(pauses[1]) > 0.18
    assert all(0 <= p <= 0.3 for p in pauses[3]) and max(pauses[3]) > 0.27  # capped at max_backoff
    with pytest.raises(ValueError, match="attempts >= 1"):
        RetryPolicy(attempts=0)


async def test_unavailable_is_retried_until_it_answers(flaky) -> None:
    servicer, address = await flaky(failures=2)
    async with ScorerClient(address, retry=RetryPolicy(attempts=3, initial_backoff=0.01), seed=0) as scorer:
        info = await scorer.model_info(request_id="job-42")
    assert info.model_version == "v-flaky"
    assert [c["x-request-id"] for c in servicer.calls] == ["job-42"] * 3  # one id across the attempts


async def test_attempts_are_bounded(flaky) -> None:
    servicer, address = await flaky(failures=10)
    async with ScorerClient(address, retry=RetryPolicy(attempts=3, initial_backoff=0.01), seed=0) as scorer:
        with pytest.raises(CallError) as failed:
            await scorer.model_info()
    assert (failed.value.code, failed.value.attempts, len(servicer.calls)) == (grpc.StatusCode.UNAVAILABLE, 3, 3)
    assert "failure 3" in failed.value.details


@pytest.mark.parametrize("code", [grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
                                  grpc.StatusCode.INTERNAL])
async def test_other_codes_are_not_retried(flaky, code) -> None:
    servicer, address = await flaky(failures=1, code=code)
    async with ScorerClient(address, seed=0) as scorer:
        with pytest.raises(CallError) as failed:
            await scorer.model_info()
    assert (failed.value.code, failed.value.attempts, len(servicer.calls)) == (code, 1, 1)


async def test_retries_stay_within_the_deadline(flaky) -> None:
    servicer, address = await flaky(failures=100)
    slow_backoff = RetryPolicy(attempts=50, initial_backoff=0.2, max_backoff=0.2)
    async with ScorerClient(address, timeout=1.0, retry=slow_backoff, seed=3) as scorer:
        started = time.monotonic()
        with pytest.raises(CallError) as failed:
            await scorer.model_info()
        elapsed = time.monotonic() - started
    assert failed.value.code == grpc.StatusCode.UNAVAILABLE
    # It retried, and stopped when the next pause passed the deadline: without the deadline check the
    # 50 attempts and their 0.2 s pauses would take 10 s or more, whatever the machine's speed.
    assert 1 < len(servicer.calls) < 50
    assert elapsed < 5.0, f"took {elapsed:.2f}s against a 1 s deadline"


async def test_request_id_comes_from_the_context_or_is_made_up(flaky) -> None:
    servicer, address = await flaky(failures=0)
    async with ScorerClient(address) as scorer:
        token = current_request_id.set("from-context")
        try:
            await scorer.model_info()
        finally:
            current_request_id.reset(token)
        await scorer.model_info()
        await scorer.model_info()
    ids = [c["x-request-id"] for c in servicer.calls]
    assert ids[0] == "from-context"
    assert len(ids[1]) == 32 and len(ids[2]) == 32 and ids[1] != ids[2]  # fresh uuid4 hex per call


async def test_a_closed_port_is_unavailable_within_the_deadline() -> None:
    async with ScorerClient(f"127.0.0.1:{free_port()}", timeout=1.0, seed=0) as scorer:
        started = time.monotonic()
        with pytest.raises(CallError) as failed:
            await scorer.model_info()
        assert time.monotonic() - started < 2.0  # 1 s deadline, margin for a loaded machine
        assert not await scorer.healthy(timeout=0.3)
    assert failed.value.code == grpc.StatusCode.UNAVAILABLE and failed.value.service == "scorer"
