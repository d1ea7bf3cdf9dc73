"""Caching of /recommend/titles end to end: hits, the model version in the key, Redis down or slow."""
from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from scripts.stack import Stack
from services.gateway.cache import recommend_key
from testing.artifacts import build_tiny_artifact
from tests.gateway.conftest import OpenGateway

BODY = {"movies": ["Toy Story", "Heat"], "top_k": 4, "alpha": 0.5}


def without_cached(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "cached"}


async def test_repeat_is_a_cache_hit(open_gateway: OpenGateway, gateway_redis_url: str) -> None:
    async with open_gateway(cache_ttl_seconds=120) as gw:
        first = (await gw.client.post("/recommend/titles", json=BODY)).json()
        second = (await gw.client.post("/recommend/titles", json=BODY)).json()
        spelled = (await gw.client.post("/recommend/titles", json={**BODY, "movies": ["  toy   STORY", "heat"]})).json()
        other_k = (await gw.client.post("/recommend/titles", json={**BODY, "top_k": 3})).json()
        other_alpha = (await gw.client.post("/recommend/titles", json={**BODY, "alpha": 0.6})).json()
        default_alpha = (await gw.client.post("/recommend/titles", json={**BODY, "alpha": None})).json()
    assert [first["cached"], second["cached"], spelled["cached"]] == [False, True, True]
    assert without_cached(second) == without_cached(first)
    assert [other_k["cached"], other_alpha["cached"], default_alpha["cached"]] == [False, False, False]
    assert len(other_k["recommendations"]) == 3

    client = aioredis.Redis.from_url(gateway_redis_url)
    try:
        keys = await client.keys("*")
        assert len(keys) == 4  # BODY, other top_k, other alpha, default alpha
        assert all(first["model_version"].encode() in k for k in keys)
        ttls = [await client.ttl(k) for k in keys]
        assert all(0 < t <= 120 for t in ttls), ttls
    finally:
        await client.aclose()


async def test_cache_hit_echoes_the_queries_as_this_request_spelled_them(open_gateway: OpenGateway) -> None:
    async with open_gateway() as gw:
        first = (await gw.client.post("/recommend/titles", json={"movies": ["Toy Story", "qwertyuiop zxcvb"]})).json()
        second = (await gw.client.post("/recommend/titles",
                                       json={"movies": ["toy   STORY", "QWERTYUIOP zxcvb"]})).json()
    assert (first["cached"], second["cached"]) == (False, True)
    assert [r["query"] for r in second["resolved"]] == ["toy   STORY"]
    assert second["missing_movies"] == ["QWERTYUIOP zxcvb"] and list(second["suggestions"]) == ["QWERTYUIOP zxcvb"]
    assert second["recommendations"] == first["recommendations"]
    assert second["input_movies"] == first["input_movies"] == ["Toy Story"]


async def test_foreign_cache_entry_is_recomputed(open_gateway: OpenGateway, gateway_redis_url: str) -> None:
    async with open_gateway() as gw:
        key = recommend_key(BODY["movies"], BODY["top_k"], BODY["alpha"], gw.state.model.version)
        await gw.state.cache.set(key, {"recommendations": "not the stored shape"})
        reply = await gw.client.post("/recommend/titles", json=BODY)
    assert reply.status_code == 200 and reply.json()["cached"] is False
    assert reply.json()["recommendations"]


async def test_nothing_resolved_is_cached_too(open_gateway: OpenGateway) -> None:
    body = {"movies": ["qwertyuiop zxcvb"]}
    async with open_gateway() as gw:
        replies = [(await gw.client.post("/recommend/titles", json=body)).json() for _ in range(2)]
    assert [r["cached"] for r in replies] == [False, True]
    assert replies[1]["missing_movies"] == ["qwertyuiop zxcvb"]


@pytest.fixture
def second_model_scorer(tmp_path: Path) -> Stack:
    """A scorer serving another model version (same catalog, other factors)."""
    root = tmp_path / "artifacts"
    build_tiny_artifact(root, version="v-test-2", seed=7)
    stack = Stack(artifact_dir=root, log_dir=tmp_path)
    stack.start_service("scorer")
    yield stack
    stack.stop()


async def test_new_model_never_gets_an_old_answer(open_gateway: OpenGateway, second_model_scorer: Stack,
                                                  tiny_artifact_root: Path) -> None:
    old_version = (tiny_artifact_root / "LATEST").read_text().strip()
    async with open_gateway() as gw:
        old = (await gw.client.post("/recommend/titles", json=BODY)).json()
    assert (old["model_version"], old["cached"]) == (old_version, False)

    # Same Redis, same request, but the scorer now serves v-test-2.
    async with open_gateway(scorer_address=second_model_scorer.scorer_address) as gw:
        assert gw.state.model.version == "v-test-2"  # learnt at start-up from GetModelInfo
        new = (await gw.client.post("/recommend/titles", json=BODY)).json()
        again = (await gw.client.post("/recommend/titles", json=BODY)).json()
    assert (new["model_version"], new["cached"]) == ("v-test-2", False)
    assert (again["model_version"], again["cached"]) == ("v-test-2", True)
    assert [r["score"] for r in new["recommendations"]] != [r["score"] for r in old["recommendations"]]

    async with open_gateway() as gw:  # back on the old model: its entry is still good
        back = (await gw.client.post("/recommend/titles", json=BODY)).json()
    assert (back["model_version"], back["cached"]) == (old_version, True)
    assert without_cached(back) == without_cached(old)


async def test_model_swap_behind_the_address_is_noticed(open_gateway: OpenGateway, tmp_path: Path) -> None:
    """A scorer restarted on a new model (same address) while the gateway serves from its cache."""
    root = tmp_path / "artifacts"
    build_tiny_artifact(root, version="v-swap-1")
    scorer = Stack(artifact_dir=root, log_dir=tmp_path)
    scorer.start_service("scorer")
    try:
        async with open_gateway(scorer_address=scorer.scorer_address, model_refresh_seconds=0.2) as gw:
            assert (await gw.client.post("/recommend/titles", json=BODY)).json()["model_version"] == "v-swap-1"
            assert (await gw.client.post("/recommend/titles", json=BODY)).json()["cached"] is True

            build_tiny_artifact(root, version="v-swap-2", seed=3)  # LATEST now names v-swap-2
            scorer.stop()
            scorer.start_service("scorer")  # same port, new model
            deadline = time.monotonic() + 10
            while gw.state.model.version != "v-swap-2" and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            reply = (await gw.client.post("/recommend/titles", json=BODY)).json()
            assert (reply["model_version"], reply["cached"]) == ("v-swap-2", False)
    finally:
        scorer.stop()


async def test_redis_down_is_degraded_not_failed_and_recovers(open_gateway: OpenGateway,
                                                              private_redis: Stack) -> None:
    async with open_gateway(redis_url=private_redis.redis_url, redis_retry_seconds=0.3) as gw:
        assert (await gw.client.post("/recommend/titles", json=BODY)).json()["cached"] is False
        assert (await gw.client.post("/recommend/titles", json=BODY)).json()["cached"] is True

        private_redis.stop()
        for _ in range(3):
            reply = await gw.client.post("/recommend/titles", json=BODY)
            assert gw.state.cache.is_down  # after the first failure the cache is skipped, not waited on
            assert reply.status_code == 200 and reply.json()["cached"] is False
            assert reply.json()["recommendations"]
        health = await gw.client.get("/health")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        assert health.json()["dependencies"] == {"matcher": "ok", "scorer": "ok", "redis": "down"}

        private_redis.start_redis()  # empty, same port
        await asyncio.sleep(0.4)
        assert (await gw.client.get("/health")).json()["status"] == "ok"
        assert (await gw.client.post("/recommend/titles", json=BODY)).json()["cached"] is False
        assert (await gw.client.post("/recommend/titles", json=BODY)).json()["cached"] is True


async def test_slow_redis_costs_one_timeout(open_gateway: OpenGateway, private_redis: Stack) -> None:
    redis_proc = private_redis.processes[0].popen
    async with open_gateway(redis_url=private_redis.redis_url, redis_timeout_seconds=0.2,
                            redis_retry_seconds=30) as gw:
        await gw.client.post("/recommend/titles", json=BODY)
        redis_proc.send_signal(signal.SIGSTOP)
        try:
            timings = []
            for _ in range(3):
                started = time.perf_counter()
                reply = await gw.client.post("/recommend/titles", json=BODY)
                timings.append(time.perf_counter() - started)
                assert reply.status_code == 200 and reply.json()["cached"] is False
            assert timings[0] < 0.6 and max(timings[1:]) < 0.15, timings
            health = await gw.client.get("/health")
            assert (health.status_code, health.json()["status"]) == (200, "degraded")
        finally:
            redis_proc.send_signal(signal.SIGCONT)
