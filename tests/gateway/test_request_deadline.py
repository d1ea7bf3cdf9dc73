"""One deadline per HTTP request (GATEWAY_REQUEST_DEADLINE_SECONDS): with a scorer whose handlers sleep, a
request that makes several backend calls answers 503 JSON within its budget, not the sum of the
per-call timeouts."""
from __future__ import annotations

import time

import pytest

from scripts.stack import Stack
from services.gateway.settings import GatewaySettings, SettingsError, load_settings
from tests.gateway.conftest import run_gateway
from tests.sleepy_scorer import sleepy_scorer

SLACK = 0.4  # scheduling on a shared 2-core machine, the in-process HTTP client, the Redis cache write
BODY = {"movies": ["usual suspects"], "top_k": 3}  # the real matcher resolves it; the scorer stalls


async def timed_post(gw, path: str, body: dict) -> tuple[float, object]:
    started = time.monotonic()
    reply = await gw.client.post(path, json=body)
    return time.monotonic() - started, reply


async def test_a_stalled_scorer_costs_a_request_its_budget_not_the_sum_of_timeouts(
        backends: Stack, gateway_redis_url: str, flush_gateway_db: None) -> None:
    async with sleepy_scorer() as (scorer_address, scorer):
        def settings(budget: float) -> GatewaySettings:
            return GatewaySettings(matcher_address=backends.matcher_address, scorer_address=scorer_address,
                                   redis_url=gateway_redis_url, rpc_timeout_seconds=1.0,
                                   request_deadline_seconds=budget)

        # Without a binding budget: the version check (a quarter of the RPC timeout), the matcher, then
        # the scorer's full 1 s timeout: ~1.25 s. With a 0.6 s budget the scorer call gets what is left.
        async with run_gateway(settings(10.0)) as unbounded, run_gateway(settings(0.6)) as bounded:
            scorer.frozen = True
            slow, slow_reply = await timed_post(unbounded, "/recommend/titles", BODY)
            fast, fast_reply = await timed_post(bounded, "/recommend/titles", BODY)
    for reply in (slow_reply, fast_reply):
        assert reply.status_code == 503 and reply.headers["retry-after"]
        assert reply.json() == {"detail": "scorer is unavailable (no answer within the deadline); "
                                          "try again in a few seconds"}
    assert 1.2 <= slow <= 1.25 + SLACK, slow
    assert 0.55 <= fast <= 0.6 + SLACK, fast
    assert scorer.calls["Recommend"] == 2  # both requests got as far as the scorer


async def test_a_single_call_still_ends_at_its_own_timeout(backends: Stack, gateway_redis_url: str,
                                                           flush_gateway_db: None) -> None:
    async with sleepy_scorer() as (scorer_address, scorer):
        settings = GatewaySettings(matcher_address=backends.matcher_address, scorer_address=scorer_address,
                                   redis_url=gateway_redis_url, rpc_timeout_seconds=0.5, request_deadline_seconds=5.0)
        async with run_gateway(settings) as gw:
            scorer.frozen = True
            started = time.monotonic()
            reply = await gw.client.get("/model")
            took = time.monotonic() - started
    assert reply.status_code == 503 and 0.45 <= took <= 0.5 + SLACK, took  # min(timeout, budget) = timeout


def test_the_budget_setting_is_checked() -> None:
    assert load_settings().request_deadline_seconds == 2.0
    for bad in (0, -1, "soon", float("inf")):
        with pytest.raises(SettingsError, match="REQUEST_DEADLINE_SECONDS"):
            load_settings(request_deadline_seconds=bad)
