"""Faults under load against real processes: Redis stopped, scorer and matcher killed and restarted."""
from __future__ import annotations

import asyncio

import pytest

from bench.faults.load import Load
from bench.faults.scenarios import FaultReport, backend_kill, redis_outage
from scripts.stack import Stack

pytestmark = pytest.mark.integration  # real processes and servers on loopback

DEADLINE_S = 2.0  # GATEWAY_RPC_TIMEOUT_SECONDS's default: no request may take much longer
# A hang is the load client's own timeout ("timeout" in failures); a request answered within twice the
# deadline past it was bounded by the deadline, however slow the machine.
SLACK_S = 2 * DEADLINE_S


async def _under_load(stack: Stack, scenario, *args) -> FaultReport:
    load = Load(stack.gateway_url, concurrency=6)
    runner = asyncio.create_task(load.run())
    try:
        report = await scenario(stack, *args, load, 1.0, 3.0, 3.0) if args else \
            await scenario(stack, load, 1.0, 3.0, 3.0)
    finally:
        load.stop()
        await runner
    print(report.as_dict())
    return report


def _no_hang(report: FaultReport) -> None:
    for phase in (report.before, report.during, report.after):
        assert phase["worst_ms"] < (DEADLINE_S + SLACK_S) * 1000, report
        assert "timeout" not in phase["failures"], report


async def test_redis_stopped_requests_succeed_uncached_and_caching_resumes(stack: Stack) -> None:
    report = await _under_load(stack, redis_outage)
    _no_hang(report)
    assert report.during["requests"] > 0 and report.during["failures"] == {}, report
    assert report.notes["health_during"] == "degraded" and report.notes["health_during_code"] == 200
    assert report.after["failures"] == {}, report
    assert report.notes["health_after"] == "ok"
    assert report.notes["cache_keys_after_restart"] > 0
    assert report.notes["others_alive"]


@pytest.mark.parametrize("name", ["scorer", "matcher"])
async def test_killed_backend_fails_fast_with_503_and_recovers(stack: Stack, name: str) -> None:
    report = await _under_load(stack, backend_kill, name)
    _no_hang(report)
    assert report.before["failures"] == {}, report
    assert report.during["requests"] > 0, report
    assert set(report.during["failures"]) <= {"http_503"}, report  # 503 JSON, nothing else
    assert report.notes["health_during_code"] == 503 and report.notes["health_during"] == "down"
    assert report.notes["others_alive"], report
    assert report.recovery_s is not None and report.recovery_s < 3.0, report
    # Ready again (200: "ok", or "degraded" if a Redis call was slow on a busy machine).
    assert report.notes["health_after_code"] == 200, report
