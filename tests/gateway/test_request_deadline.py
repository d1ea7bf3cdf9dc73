"""One deadline per HTTP request (GATEWAY_REQUEST_DEADLINE_SECONDS): with a scorer whose handlers sleep, a
request that makes several backend calls answers 503 JSON within its budget, not the sum of the
per-call timeouts."""
from __future__ import annotations

import pytest

from scripts.stack import Stack
from services.gateway.settings import GatewaySettings, SettingsError, load_settings
from tests.gateway.conftest import run_gateway
from tests.sleepy_scorer import sleepy_scorer

# gRPC sends a deadline as a rounded-up timeout header: the server may see a few ms more than was set.
# A slower machine only ever shows less, so these bounds do not depend on its speed.
ROUNDING = 0.05
BODY = {"movies": ["usual suspects"], "top_k": 3}  # the real matcher resolves it; the scorer stalls


async def test_a_stalled_scorer_costs_a_request_its_budget_not_the_sum_of_timeouts(
        backends: Stack, gateway_redis_url: str, flush_gateway_db: None) -> None:
    async with sleepy_scorer() as (scorer_address, scorer):
        def settings(budget: float) -> GatewaySettings:
            return GatewaySettings(matcher_address=backends.matcher_address, scorer_address=scorer_address,
                                   redis_url=gateway_redis_url, rpc_timeout_seconds=1.0,
                                   request_deadline_seconds=budget)

        # Without a binding budget the scorer call gets the full 1 s RPC timeout; with a 0.6 s budget it
        # gets what is left of the request's budget after the matcher: never more than 0.6 s. The deadline
        # each call carried is asserted, not wall time (which depends on the machine's speed and load).
        async with run_gateway(settings(10.0)) as unbounded, run_gateway(settings(0.6)) as bounded:
            scorer.frozen = True
            slow_reply = await unbounded.client.post("/recommend/titles", json=BODY)
            unbounded_allowed = scorer.allowed["Recommend"][-1]
            fast_reply = await bounded.client.post("/recommend/titles", json=BODY)
            bounded_allowed = scorer.allowed["Recommend"][-1]
    for reply in (slow_reply, fast_reply):
        assert reply.status_code == 503 and reply.headers["retry-after"]
        assert reply.json() == {"detail": "scorer is unavailable (no answer within the deadline); "
                                          "try again in a few seconds"}
    assert scorer.calls["Recommend"] == 2  # both requests got as far as the scorer
    assert 0 < unbounded_allowed <= 1.0 + ROUNDING, unbounded_allowed  # the per-call timeout binds
    assert 0 < bounded_allowed <= 0.6 + ROUNDING, bounded_allowed  # the request's budget binds, below the call timeout


async def test_a_single_call_still_ends_at_its_own_timeout(backends: Stack, gateway_redis_url: str,
                                                           flush_gateway_db: None) -> None:
    async with sleepy_scorer() as (scorer_address, scorer):
        settings = GatewaySettings(matcher_address=backends.matcher_address, scorer_address=scorer_address,
                                   redis_url=gateway_redis_url, rpc_timeout_seconds=0.5, request_deadline_seconds=5.0)
        async with run_gateway(settings) as gw:
            scorer.frozen = True
            reply = await gw.client.get("/model")
    allowed = scorer.allowed["GetModelInfo"][-1]
    assert reply.status_code == 503 and 0 < allowed <= 0.5 + ROUNDING, allowed  # min(timeout, budget) = timeout


def test_the_budget_setting_is_checked() -> None:
    assert load_settings().request_deadline_seconds == 2.0
    for bad in (0, -1, "soon", float("inf")):
        with pytest.raises(SettingsError, match="REQUEST_DEADLINE_SECONDS"):
            load_settings(request_deadline_seconds=bad)
