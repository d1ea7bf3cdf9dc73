"""Fault scenarios against a running stack under load: Redis stopped, a backend killed, then restarted."""
from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import redis

from bench.faults.load import Load, first_ok_after, summary
from scripts.stack import Process, Stack


@dataclass
class FaultReport:
    """What one fault did to the traffic: before / during / after summaries and the recovery time."""

    fault: str
    before: dict[str, object]
    during: dict[str, object]
    after: dict[str, object]
    recovery_s: float | None  # from the restarted process being ready to the first 200 after it
    notes: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return self.__dict__.copy()


def health(stack: Stack) -> tuple[int, dict]:
    """GET /health: (status code, body)."""
    try:
        with urllib.request.urlopen(stack.gateway_url + "/health", timeout=5) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def running(stack: Stack, name: str) -> Process:
    return next(p for p in reversed(stack.processes) if p.name == name and p.alive())


def others_alive(stack: Stack, name: str) -> bool:
    """Every process other than `name` that the stack started is still running."""
    names = {p.name for p in stack.processes if p.name != name}
    return all(any(p.alive() for p in stack.processes if p.name == n) for n in names)


async def _phase(seconds: float) -> tuple[float, float]:
    t0 = time.monotonic()
    await asyncio.sleep(seconds)
    return t0, time.monotonic()


async def _health_until_ok(stack: Stack, timeout: float) -> tuple[int, dict]:
    """Polls /health until its status is "ok" (or timeout); the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        answer = await asyncio.to_thread(health, stack)
        if answer[1].get("status") == "ok" or time.monotonic() > deadline:
            return answer
        await asyncio.sleep(0.1)


async def redis_outage(stack: Stack, load: Load, before: float, during: float, after: float) -> FaultReport:
    """Stops Redis under load, checks /health says degraded, restarts it and waits for caching to resume."""
    b0, b1 = await _phase(before)
    await asyncio.to_thread(running(stack, "redis").stop)
    await asyncio.sleep(during / 2)
    health_during = await asyncio.to_thread(health, stack)
    await asyncio.sleep(during / 2)
    await asyncio.to_thread(stack.start_redis)  # same port: the gateway's URL does not change
    a0 = time.monotonic()
    health_after = await _health_until_ok(stack, timeout=10.0)
    resumed_s = time.monotonic() - a0
    await asyncio.sleep(max(0.0, after - resumed_s))
    a1 = time.monotonic()
    with redis.Redis.from_url(stack.redis_url) as client:
        keys_after = client.dbsize()  # the new Redis started empty: keys mean caching resumed
    return FaultReport(
        "redis stopped", summary(load.finished_before(b0, b1)), summary(load.overlapping(b1, a0)),
        summary(load.between(a0, a1)), None,
        {"health_during": health_during[1].get("status"), "health_during_code": health_during[0],
         "health_after": health_after[1].get("status"), "cache_keys_after_restart": keys_after,
         "health_ok_after_restart_s": round(resumed_s, 2),
         "others_alive": others_alive(stack, "redis")})


async def backend_kill(stack: Stack, name: str, load: Load, before: float, during: float,
                       after: float) -> FaultReport:
    """SIGKILLs the matcher or scorer under load, restarts it on the same port, measures recovery."""
    b0, b1 = await _phase(before)
    proc = running(stack, name)
    proc.popen.kill()
    await asyncio.to_thread(proc.popen.wait)
    await asyncio.sleep(during)
    health_during = await asyncio.to_thread(health, stack)
    restart0 = time.monotonic()
    await asyncio.to_thread(stack.start_service, name)  # returns once its health check says SERVING
    a0 = time.monotonic()
    await asyncio.sleep(after)
    a1 = time.monotonic()
    health_after = await asyncio.to_thread(health, stack)
    return FaultReport(
        f"{name} killed (SIGKILL)", summary(load.finished_before(b0, b1)), summary(load.overlapping(b1, a0)),
        summary(load.between(a0, a1)), first_ok_after(load.outcomes, a0),
        {"health_during": health_during[1].get("status"), "health_during_code": health_during[0],
         "health_after": health_after[1].get("status"), "health_after_code": health_after[0],
         "restart_to_serving_s": round(a0 - restart0, 2),
         "others_alive": others_alive(stack, name)})
