"""A full Redis: the stack's bound and eviction policy, and the gateway serving on whatever the policy is."""
from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from scripts.stack import Stack
from tests.gateway.conftest import OpenGateway

pytestmark = pytest.mark.integration  # real processes and servers on loopback

ROOM_BYTES = 300_000  # what the test leaves above Redis's own start-up memory


def bodies(n: int, tag: str) -> list[dict]:
    """n recommend bodies that are all cached under different keys."""
    return [{"movies": ["toy story", f"{tag} no such film {i} " + "x" * 150], "top_k": 20} for i in range(n)]


async def squeeze(url: str, policy: str) -> aioredis.Redis:
    """Leaves Redis ROOM_BYTES of room under `policy`; the client to read its INFO with."""
    client = aioredis.Redis.from_url(url)
    used = (await client.info("memory"))["used_memory"]
    await client.config_set("maxmemory", used + ROOM_BYTES)
    await client.config_set("maxmemory-policy", policy)
    return client


async def test_the_stacks_redis_is_bounded_with_lru_eviction(private_redis: Stack) -> None:
    client = aioredis.Redis.from_url(private_redis.redis_url)
    try:
        config = await client.config_get("maxmemory*")
    finally:
        await client.aclose()
    assert int(config["maxmemory"]) == 256 * 1024 * 1024 and config["maxmemory-policy"] == "allkeys-lru"


async def test_a_full_redis_evicts_and_the_gateway_keeps_serving(open_gateway: OpenGateway,
                                                                 private_redis: Stack) -> None:
    client = await squeeze(private_redis.redis_url, "allkeys-lru")
    try:
        async with open_gateway(redis_url=private_redis.redis_url) as gw:
            codes = [(await gw.client.post("/recommend/titles", json=b)).status_code for b in bodies(400, "lru")]
            health = (await gw.client.get("/health")).json()
        stats = await client.info("stats")
        memory = await client.info("memory")
    finally:
        await client.aclose()
    assert codes == [200] * 400
    assert stats["evicted_keys"] > 0  # it filled up and made room
    assert memory["used_memory"] <= memory["maxmemory"]
    assert health["status"] == "ok"


async def test_a_full_redis_that_refuses_writes_costs_only_the_cache(open_gateway: OpenGateway,
                                                                    private_redis: Stack) -> None:
    client = await squeeze(private_redis.redis_url, "noeviction")
    try:
        async with open_gateway(redis_url=private_redis.redis_url) as gw:
            first = await gw.client.post("/recommend/titles", json=bodies(1, "kept")[0])
            codes = [(await gw.client.post("/recommend/titles", json=b)).status_code for b in bodies(400, "oom")]
            again = await gw.client.post("/recommend/titles", json=bodies(1, "kept")[0])
            health = (await gw.client.get("/health")).json()
    finally:
        await client.aclose()
    assert codes == [200] * 400
    assert first.json()["cached"] is False and again.json()["cached"] is True  # reads go on while writes fail
    assert health["status"] == "ok"  # full is not down
