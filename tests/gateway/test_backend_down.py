"""A backend that refuses or never answers: 503 JSON naming it, within the deadline; health says down."""
from __future__ import annotations

import time

import pytest

from services.gateway.settings import GatewaySettings
from tests.gateway.conftest import closed_address, run_gateway

TIMEOUT = 0.5


@pytest.fixture
def down_settings(gateway_redis_url: str) -> GatewaySettings:
    return GatewaySettings(matcher_address=closed_address(), scorer_address=closed_address(),
                           redis_url=gateway_redis_url, rpc_timeout_seconds=TIMEOUT)


def assert_503(reply, service: str) -> None:
    assert reply.status_code == 503, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    detail = reply.json()["detail"]
    assert detail.startswith(f"{service} is unavailable (") and detail.endswith("try again in a few seconds")
    assert int(reply.headers["retry-after"]) > 0


@pytest.mark.parametrize(("method", "url", "body", "service"), [
    ("POST", "/recommend/titles", {"movies": ["Toy Story"]}, "matcher"),
    ("GET", "/movies/search?q=toy", None, "matcher"),
    ("POST", "/predict-rating", {"user_id": 1, "movie_id": 1}, "scorer"),
    ("GET", "/movies/1/similar", None, "scorer"),
    ("GET", "/model", None, "scorer"),
])
async def test_refused_connection_is_503_at_once(down_settings, method, url, body, service) -> None:
    async with run_gateway(down_settings) as gw:
        reply = await gw.client.request(method, url, json=body)
        assert_503(reply, service)
        assert "cannot connect" in reply.json()["detail"]  # refused at once, not a wait for the deadline


async def test_health_is_503_down_when_backends_are(down_settings) -> None:
    async with run_gateway(down_settings) as gw:
        reply = await gw.client.get("/health")
        assert reply.status_code == 503
        assert reply.json() == {"status": "down", "model_version": None,
                                "dependencies": {"matcher": "down", "scorer": "down", "redis": "ok"}}
        assert (await gw.client.get("/health/live")).status_code == 200


async def test_silent_backend_is_503_at_the_deadline(black_hole: str, gateway_redis_url: str) -> None:
    settings = GatewaySettings(matcher_address=black_hole, scorer_address=black_hole,
                               redis_url=gateway_redis_url, rpc_timeout_seconds=TIMEOUT)
    async with run_gateway(settings) as gw:
        for url, body, service in (("/recommend/titles", {"movies": ["Heat"]}, "matcher"),
                                   ("/predict-rating", {"user_id": 1, "movie_id": 1}, "scorer")):
            started = time.perf_counter()
            reply = await gw.client.post(url, json=body)
            elapsed = time.perf_counter() - started
            assert_503(reply, service)
            assert elapsed < 10 * TIMEOUT, elapsed  # bounded by the deadline: the black hole never answers
        health = await gw.client.get("/health")
        assert health.status_code == 503


async def test_scorer_down_after_matcher_answered(backends, gateway_redis_url: str) -> None:
    settings = GatewaySettings(matcher_address=backends.matcher_address, scorer_address=closed_address(),
                               redis_url=gateway_redis_url, rpc_timeout_seconds=TIMEOUT)
    async with run_gateway(settings) as gw:
        assert_503(await gw.client.post("/recommend/titles", json={"movies": ["Toy Story"]}), "scorer")
        health = await gw.client.get("/health")
        assert health.status_code == 503
        assert health.json()["dependencies"] == {"matcher": "ok", "scorer": "down", "redis": "ok"}
