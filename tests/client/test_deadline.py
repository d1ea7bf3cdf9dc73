"""`deadline(...)` caps every call and retry of the typed clients: against a real server whose handlers
sleep, and a closed port that fails each attempt with UNAVAILABLE."""
from __future__ import annotations

import asyncio
import time

import grpc
import pytest

from scripts.stack import free_port
from services.client import CallError, RetryPolicy, ScorerClient, deadline
from services.client.deadline import capped, time_left
from tests.sleepy_scorer import sleepy_scorer

pytestmark = pytest.mark.integration  # gRPC servers and channels on loopback

SLACK = 0.35  # scheduling on a shared 2-core machine


async def test_a_call_gets_only_what_is_left_of_the_deadline() -> None:
    async with sleepy_scorer() as (address, servicer), ScorerClient(address, timeout=5.0) as scorer:
        servicer.frozen = True
        started = time.monotonic()
        with deadline(0.6), pytest.raises(CallError) as failed:
            await scorer.recommend([1])
        took = time.monotonic() - started
    assert failed.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert 0.55 <= took <= 0.6 + SLACK, took  # not the client's own 5 s


async def test_calls_in_sequence_share_one_deadline() -> None:
    async with sleepy_scorer(sleep=0.3) as (address, servicer), ScorerClient(address, timeout=5.0) as scorer:
        servicer.frozen = True  # each call takes 0.3 s: two fit in 0.8 s, the third gets the rest and fails
        started = time.monotonic()
        with deadline(0.8):
            await scorer.model_info()
            await scorer.recommend([1])
            with pytest.raises(CallError) as third:
                await scorer.recommend([1])
            with pytest.raises(CallError) as fourth:  # nothing left: refused without being sent
                await scorer.recommend([1])
        took = time.monotonic() - started
    assert third.value.code == fourth.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
    assert fourth.value.attempts == 0 and servicer.calls == {"GetModelInfo": 1, "Recommend": 2}
    assert 0.75 <= took <= 0.8 + SLACK, took


async def test_retries_stop_at_the_deadline() -> None:
    patient = RetryPolicy(attempts=50, initial_backoff=0.1, max_backoff=0.1)
    async with ScorerClient(f"127.0.0.1:{free_port()}", timeout=10.0, retry=patient, seed=1) as scorer:
        started = time.monotonic()
        with deadline(0.5), pytest.raises(CallError) as failed:
            await scorer.recommend([1])
        took = time.monotonic() - started
    assert failed.value.code == grpc.StatusCode.UNAVAILABLE and 1 < failed.value.attempts < 50
    assert took <= 0.5 + SLACK, took


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
