"""The per-client rate limit as a real process: a sliding window in Redis, and X-Forwarded-For only from
the configured proxies."""
from __future__ import annotations

import time

import httpx
import pytest
import redis

from scripts.stack import Stack
from tests.faults.conftest import StartGateway

pytestmark = pytest.mark.integration  # real processes and servers on loopback

BODY = {"movies": ["toy story", "heat"], "top_k": 3}


@pytest.fixture
def redis_db(stack: Stack) -> str:
    """A Redis database emptied for each test, so counts left by other tests' gateways do not show."""
    url = stack.redis_url.rsplit("/", 1)[0] + "/5"
    with redis.Redis.from_url(url) as client:
        client.flushdb()
    return url


def post_all(url: str, n: int, headers: list[dict[str, str]] | None = None) -> list[httpx.Response]:
    with httpx.Client(base_url=url, timeout=10) as client:
        return [client.post("/recommend/titles", json=BODY, headers=(headers or [{}] * n)[i]) for i in range(n)]


def test_at_most_the_limit_in_any_minute_then_429_with_retry_after(start_gateway: StartGateway,
                                                                   redis_db: str) -> None:
    _, url = start_gateway(rate_limit_per_minute="5", redis_url=redis_db)
    started = time.monotonic()
    replies = post_all(url, 12)
    within_a_minute = time.monotonic() - started < 59  # a sliding window: no second burst at a minute boundary
    codes = [r.status_code for r in replies]
    if within_a_minute:
        assert codes == [200] * 5 + [429] * 7, codes
    refused = [r for r in replies if r.status_code == 429]
    assert refused and 1 <= int(refused[0].headers["retry-after"]) <= 60
    assert "rate limit" in refused[0].json()["detail"]
    assert httpx.get(url + "/health").status_code == 200  # health checks are never rate limited


def test_x_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(start_gateway: StartGateway,
                                                                       redis_db: str) -> None:
    _, url = start_gateway(rate_limit_per_minute="30", redis_url=redis_db)
    spoofed = [{"x-forwarded-for": f"203.0.113.{i}"} for i in range(40)]
    codes = [r.status_code for r in post_all(url, 40, spoofed)]
    assert codes.count(200) == 30 and codes.count(429) == 10, codes  # one client: the connection's peer


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(start_gateway: StartGateway,
                                                                        redis_db: str) -> None:
    _, url = start_gateway(rate_limit_per_minute="3", trusted_proxies="127.0.0.0/8, ::1", redis_url=redis_db)
    # What a load balancer sends: the client's claimed chain, then the address it saw. The rightmost
    # untrusted address is the client, so a forged first entry changes nothing.
    alice = [{"x-forwarded-for": f"198.51.100.{i}, 192.0.2.1"} for i in range(5)]
    bob = [{"x-forwarded-for": "192.0.2.2"}] * 5
    assert [r.status_code for r in post_all(url, 5, alice)] == [200] * 3 + [429] * 2
    assert [r.status_code for r in post_all(url, 5, bob)] == [200] * 3 + [429] * 2
