"""`deadline(...)` caps every call and retry of the typed clients: against a real server whose handlers
sleep, and a closed port that fails each attempt with UNAVAILABLE."""
from __future__ import annotations

import asyncio

import grpc
import pytest

from scripts.stack import free_port
from services.client import CallError, RetryPolicy, ScorerClient, deadline
from services.client.deadline import capped, time_left
from tests.sleepy_scorer import sleepy_scorer

pytestmark = pytest.mark.integration  # gRPC servers and channels on loopback

# gRPC sends a deadline as a rounded-up timeout header: the server may see a few ms more than was set.
# A slower machine only ever shows less, so bounds on what a call was allowed do not depend on its speed.
ROUNDING = 0.05


async def test_a_call_gets_only_what_is_left_of_the_deadline() -> None:
    async with sleepy_scorer() as (address, servicer), ScorerClient(address, timeout=5.0) as scorer:
        servicer.frozen = True
        with deadline(0.6), pytest.raises(CallError) as failed:
            await scorer.recommend([1])
    assert failed.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
    [allowed] = servicer.allowed["Recommend"]  # no retry after a deadline
    assert 0 < allowed <= 0.6 + ROUNDING, allowed  # not the client's own 5 s


async def test_calls_in_sequence_share_one_deadline() -> None:
    async with sleepy_scorer(sleep=0.3) as (address, servicer), ScorerClient(address, timeout=5.0) as scorer:
        servicer.frozen = True  # each call takes 0.3 s: two fit in 0.8 s, the third gets the rest and fails
        with deadline(0.8):
            await scorer.model_info()
            await scorer.recommend([1])
            with pytest.raises(CallError) as third:
                await scorer.recommend([1])
            with pytest.raises(CallError) as fourth:  # nothing left: refused without being sent
                await scorer.recommend([1])
    assert third.value.code == fourth.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert fourth.value.attempts == 0 and servicer.calls == {"GetModelInfo": 1, "Recommend": 2}
    # Each call was allowed only what the earlier ones left: at most 0.8, 0.5 and 0.2 s.
    first, (second, third_allowed) = servicer.allowed["GetModelInfo"][0], servicer.allowed["Recommend"]
    assert first <= 0.8 + ROUNDING and second <= 0.5 + ROUNDING and third_allowed <= 0.2 + ROUNDING


async def test_retries_stop_at_the_deadline() -> None:
    patient = RetryPolicy(attempts=50, initial_backoff=0.1, max_backoff=0.1)
    async with ScorerClient(f"127.0.0.1:{free_port()}", timeout=10.0, retry=patient, seed=1) as scorer:
        with deadline(0.5), pytest.raises(CallError) as failed:
            await scorer.recommend([1])
    # 50 attempts 0.1 s apart would take 5 s: stopping early is the deadline's doing.
    assert failed.value.code == grpc.StatusCode.UNAVAILABLE and 1 < failed.value.attempts < 50


async def test_health_checks_respect_the_deadline() -> None:
    async with sleepy_scorer() as (address, _), ScorerClient(address) as scorer:
        assert await scorer.healthy()
        with deadline(0.05):
            await asyncio.sleep(0.06)
            assert not await scorer.healthy()  # spent: not even asked


async def test_the_deadline_is_scoped_and_the_earlier_one_wins() -> None:
    assert time_left() is None and capped(2.0) == 2.0
    with deadline(10.0):
        with deadline(0.5):
            assert 0.4 < capped(2.0) <= 0.5
        assert 9.0 < time_left() <= 10.0
        with deadline(20.0):
            assert time_left() <= 10.0  # an inner deadline cannot extend the outer one
    assert time_left() is None
    with pytest.raises(ValueError):
        with deadline(0):
            pass
