"""Redis cache of JSON responses that turns itself off while Redis is down or slow, and back on."""
from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import orjson
import redis.asyncio as aioredis
from prometheus_client import Counter
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import OutOfMemoryError, RedisError

log = logging.getLogger(__name__)

KEY_PREFIX = "movierec:gateway"
ALPHA_DECIMALS = 3  # alphas closer than this share a cache entry (and are applied rounded)
ENTRY_FORMAT = 3  # bump when the stored answer's shape changes, so old entries are never read (3: drivers)
_SKIPPED = object()

# A sorted set of hit times per client: drop the hits older than the window, then admit and record
# this one if fewer than the limit remain, else answer how long until the oldest leaves the window.
_WINDOW_SCRIPT = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
  return '0'
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return tostring(tonumber(oldest[2]) + window - now)
"""


def normalise_title(title: str) -> str:
    """Lower-cased, whitespace-collapsed title: "  The  Matrix " -> "the matrix"."""
    return " ".join(title.split()).lower()


def recommend_key(titles: Sequence[str], top_k: int, alpha: float | None, model_version: str,
                  options: dict[str, Any] | None = None) -> str:
    """Cache key of a /recommend/titles request under one model version.

    Titles keep their order (the matcher's answer lists them in order); an absent alpha means
    the model default, which belongs to the model version and so needs no value of its own.
    `options` (ratings, filters, exclusions; JSON values) enter the key only when there are any.
    """
    request = {
        "format": ENTRY_FORMAT,
        "titles": [normalise_title(t) for t in titles],
        "top_k": int(top_k),
        "alpha": None if alpha is None else round(float(alpha), ALPHA_DECIMALS),
    }
    if options:
        request["options"] = options
    digest = hashlib.sha256(json.dumps(request, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f"{KEY_PREFIX}:recommend:{model_version}:{digest}"


def personal_key(account_id: int) -> str:
    """Cache key of an account's last /me/recommendations answer: one entry per account, so deleting the
    account can delete it, and a changed profile overwrites it instead of adding to it."""
    return f"{KEY_PREFIX}:personal:{int(account_id)}"


def personal_digest(model_version: str, liked: Sequence[tuple[int, float]], excluded: Sequence[int], top_k: int,
                    diversity: float) -> str:
    """What a personal answer was computed from: the model version, the ratings folded in (in order), the
    excluded movies and the options. Any rating or mark changes it, so a cached answer is only ever the
    one the scorer would give again."""
    request = {"format": ENTRY_FORMAT, "model": model_version, "liked": [[int(m), float(r)] for m, r in liked],
               "excluded": [int(m) for m in excluded], "top_k": int(top_k), "diversity": float(diversity)}
    return hashlib.sha256(orjson.dumps(request)).hexdigest()


class ResponseCache:
    """get/set of JSON objects with a TTL; never raises because of Redis.

    Every Redis operation is bounded by `timeout_seconds`. The first failure is logged once and
    the cache is skipped for `retry_seconds`; the next operation after that tries Redis again,
    so caching resumes by itself when Redis is back.
    """

    def __init__(self, url: str, ttl_seconds: int, timeout_seconds: float, retry_seconds: float = 3.0,
                 lookups: Counter | None = None) -> None:
        self.lookups = lookups  # Prometheus counter labelled hit / miss / unavailable
        self.ttl_seconds = ttl_seconds
        self.timeout_seconds = timeout_seconds
        self.retry_seconds = retry_seconds
        # No client-side retries: a down Redis must cost at most one timeout, not several backoffs.
        self._redis = aioredis.Redis.from_url(
            url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds,
            retry=Retry(NoBackoff(), 0), retry_on_timeout=False,
        )
        self._window_script = self._redis.register_script(_WINDOW_SCRIPT)
        self._down = False
        self._retry_at = 0.0
        self._full_logged_until = 0.0

    @property
    def is_down(self) -> bool:
        """True after a failure until an operation succeeds again."""
        return self._down

    async def _run(self, op: Callable[[], Awaitable[Any]]) -> Any:
        if self._down and time.monotonic() < self._retry_at:
            return _SKIPPED
        try:
            result = await asyncio.wait_for(op(), self.timeout_seconds)
        except OutOfMemoryError:
            # Full under a no-eviction policy: this write is lost, Redis itself is fine (reads go on).
            if time.monotonic() >= self._full_logged_until:  # once per retry period, not once per write
                log.warning("redis is full (maxmemory reached, no eviction policy); answers are not cached")
                self._full_logged_until = time.monotonic() + self.retry_seconds
            return _SKIPPED
        except (RedisError, OSError, asyncio.TimeoutError) as exc:
            if not self._down:
                log.warning("redis unavailable; serving without cache",
                            extra={"error": f"{type(exc).__name__}: {exc}", "retry_seconds": self.retry_seconds})
            self._down = True
            self._retry_at = time.monotonic() + self.retry_seconds
            return _SKIPPED
        if self._down:
            log.info("redis is back; caching resumed")
            self._down = False
        return result

    async def get(self, key: str, digest: str | None = None) -> dict[str, Any] | None:
        """The cached object, or None on a miss, an unreadable entry or Redis trouble. With `digest`, an
        entry stored for other inputs (its "digest" differs: personal_digest) is a miss too."""
        raw = await self._run(lambda: self._redis.get(key))
        value = None
        if raw is not _SKIPPED and raw is not None:
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError:
                log.warning("unreadable cache entry ignored", extra={"key": key})
            if not isinstance(value, dict) or (digest is not None and value.get("digest") != digest):
                value = None
        if self.lookups is not None:
            self.lookups.labels("unavailable" if raw is _SKIPPED else "miss" if value is None else "hit").inc()
        return value

    async def set(self, key: str, value: dict[str, Any], ttl_seconds: int | None = None) -> bool:
        """Stores value for ttl_seconds (the cache's own when None); False when Redis could not take it."""
        data = orjson.dumps(value)
        ttl = ttl_seconds or self.ttl_seconds
        return await self._run(lambda: self._redis.set(key, data, ex=ttl)) is not _SKIPPED

    async def delete(self, key: str) -> bool:
        """Removes an entry; False when Redis could not be asked."""
        return await self._run(lambda: self._redis.delete(key)) is not _SKIPPED

    async def window_hit(self, name: str, limit: int, window_seconds: float) -> float | None:
        """Records a hit on the sliding window `name` unless it already holds `limit` hits of the last
        `window_seconds`: 0.0 when recorded, else the seconds until the oldest of them leaves the window;
        None while Redis is down. Atomic (one script), so it holds across workers and replicas."""
        key = f"{KEY_PREFIX}:{name}"
        now = time.time()
        member = f"{now:.6f}:{secrets.token_hex(4)}"  # two hits in the same microsecond stay two members
        result = await self._run(lambda: self._window_script(keys=[key], args=[now, window_seconds, limit, member]))
        return None if result is _SKIPPED else float(result)

    async def ping(self) -> bool:
        """True when Redis answers now (skipped, so False, inside the retry pause)."""
        return await self._run(self._redis.ping) is not _SKIPPED

    async def close(self) -> None:
        await self._redis.aclose()
