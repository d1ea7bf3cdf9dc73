"""ResponseCache and its keys, against a real Redis that the tests also stop and pause."""
from __future__ import annotations

import asyncio
import logging
import signal
import time

import pytest
from prometheus_client import CollectorRegistry, Counter

from scripts.stack import Stack
from services.gateway.cache import ResponseCache, normalise_title, personal_digest, personal_key, recommend_key

pytestmark = pytest.mark.integration  # real processes and servers on loopback


def test_normalise_title() -> None:
    assert normalise_title("  The\tUsual   SUSPECTS \n") == "the usual suspects"


def test_key_ignores_case_and_spacing_but_not_order_or_parameters() -> None:
    key = recommend_key(["Toy Story", "Heat"], 10, 0.7, "v1")
    assert recommend_key(["  toy   STORY", "heat "], 10, 0.7, "v1") == key
    assert recommend_key(["Toy Story", "Heat"], 10, 0.70001, "v1") == key  # alpha rounded
    different = [
        recommend_key(["Heat", "Toy Story"], 10, 0.7, "v1"),
        recommend_key(["Toy Story", "Heat"], 11, 0.7, "v1"),
        recommend_key(["Toy Story", "Heat"], 10, 0.75, "v1"),
        recommend_key(["Toy Story", "Heat"], 10, None, "v1"),
        recommend_key(["Toy Story", "Heat"], 10, 0.7, "v2"),
        recommend_key(["Toy Story Heat"], 10, 0.7, "v1"),
    ]
    assert len({key, *different}) == len(different) + 1


def test_key_names_the_model_version() -> None:
    assert ":v-test-9:" in recommend_key(["x"], 1, None, "v-test-9")


async def test_set_get_and_ttl(redis_url: str) -> None:
    cache = ResponseCache(redis_url, ttl_seconds=30, timeout_seconds=0.5)
    key = recommend_key([f"ttl test {time.time_ns()}"], 3, None, "v1")
    try:
        assert await cache.get(key) is None
        value = {"recommendations": [{"movieId": 1, "title": "Toy Story", "score": 1.5}], "alpha": 0.7}
        assert await cache.set(key, value)
        assert await cache.get(key) == value
        ttl = await cache._redis.ttl(key)
        assert 0 < ttl <= 30
        assert await cache.ping()
        assert not cache.is_down
    finally:
        await cache._redis.delete(key)
        await cache.close()


async def test_unreadable_entry_is_a_miss(redis_url: str) -> None:
    cache = ResponseCache(redis_url, ttl_seconds=30, timeout_seconds=0.5)
    key = f"movierec:gateway:test:{time.time_ns()}"
    try:
        await cache._redis.set(key, b"\x80not json", ex=30)
        assert await cache.get(key) is None
        assert not cache.is_down  # a bad entry is not a Redis outage
    finally:
        await cache._redis.delete(key)
        await cache.close()


def test_personal_digest_changes_with_every_input() -> None:
    liked, excluded = [(1, 5.0), (50, 4.0)], [12]
    digest = personal_digest("v1", liked, excluded, 10, 0.0)
    assert personal_digest("v1", list(liked), list(excluded), 10, 0.0) == digest
    different = [
        personal_digest("v2", liked, excluded, 10, 0.0),
        personal_digest("v1", [(1, 4.5), (50, 4.0)], excluded, 10, 0.0),  # a rating changed
        personal_digest("v1", [(50, 4.0), (1, 5.0)], excluded, 10, 0.0),  # the most recent first changed
        personal_digest("v1", liked + [(7, 3.0)], excluded, 10, 0.0),
        personal_digest("v1", liked, [12, 13], 10, 0.0),  # a new mark
        personal_digest("v1", liked, excluded, 11, 0.0),
        personal_digest("v1", liked, excluded, 10, 0.3),
    ]
    assert len({digest, *different}) == len(different) + 1
    assert personal_key(7) != personal_key(8)


async def test_an_entry_for_other_inputs_is_a_miss(redis_url: str) -> None:
    lookups = Counter("lookups", "test", ["result"], registry=CollectorRegistry())
    cache = ResponseCache(redis_url, ttl_seconds=30, timeout_seconds=0.5, lookups=lookups)
    key = f"movierec:gateway:test:{time.time_ns()}"
    try:
        assert await cache.set(key, {"digest": "a", "answer": {"x": 1}}, ttl_seconds=5)
        assert 0 < await cache._redis.ttl(key) <= 5  # its own TTL, not the cache's 30 s
        assert await cache.get(key, "a") == {"digest": "a", "answer": {"x": 1}}
        assert await cache.get(key, "b") is None
        assert {s.labels["result"]: s.value for s in lookups.collect()[0].samples
                if s.name.endswith("_total")} == {"hit": 1.0, "miss": 1.0}
        assert await cache.delete(key) and await cache.get(key, "a") is None
    finally:
        await cache._redis.delete(key)
        await cache.close()


async def test_down_redis_costs_little_logs_once_and_recovers(private_redis: Stack, caplog) -> None:
    cache = ResponseCache(private_redis.redis_url, ttl_seconds=30, timeout_seconds=0.2, retry_seconds=0.3)
    try:
        assert await cache.set("k", {"a": 1})
        private_redis.stop()

        caplog.set_level(logging.INFO, logger="services.gateway.cache")
        for _ in range(20):
            assert await cache.get("k") is None
            assert not await cache.set("k", {"a": 2})
        assert cache.is_down and not await cache.ping()
        assert sum("redis unavailable" in r.getMessage() for r in caplog.records) == 1

        private_redis.start_redis()  # same port
        await asyncio.sleep(0.35)  # past the retry pause
        assert await cache.set("k", {"a": 3})
        assert await cache.get("k") == {"a": 3}
        assert not cache.is_down
        assert any("redis is back" in r.getMessage() for r in caplog.records)
    finally:
        await cache.close()


async def test_paused_redis_is_bounded_by_the_timeout(private_redis: Stack) -> None:
    cache = ResponseCache(private_redis.redis_url, ttl_seconds=30, timeout_seconds=0.2, retry_seconds=5)
    redis_proc = private_redis.processes[0].popen
    try:
        assert await cache.set("k", {"a": 1})
        redis_proc.send_signal(signal.SIGSTOP)  # accepts nothing, answers nothing: a "slow" Redis
        started = time.perf_counter()
        assert await cache.get("k") is None
        first = time.perf_counter() - started
        started = time.perf_counter()
        assert await cache.get("k") is None
        second = time.perf_counter() - started
        assert 0.15 < first < 0.6  # one timeout
        assert second < 0.05  # inside the retry pause: not tried at all
    finally:
        redis_proc.send_signal(signal.SIGCONT)
        await cache.close()


@pytest.mark.parametrize("url", ["redis://127.0.0.1:1/0", "redis://no-such-host.invalid:6379/0"])
async def test_unreachable_redis_never_raises(url: str) -> None:
    cache = ResponseCache(url, ttl_seconds=30, timeout_seconds=0.2)
    try:
        assert await cache.get("k") is None
        assert await cache.set("k", {"a": 1}) is False
        assert await cache.ping() is False
    finally:
        await cache.close()
