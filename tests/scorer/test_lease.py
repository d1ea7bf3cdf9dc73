"""Version leases: a swap waits for every lease granted to run out, and no lease is granted meanwhile."""
from __future__ import annotations

import asyncio
import time

import pytest

from services.scorer.lease import VersionLeases


async def test_swap_waits_until_the_last_lease_granted_has_run_out() -> None:
    leases = VersionLeases(0.3)
    assert leases.grant() == 0.3
    granted_at = time.monotonic()
    installed: list[float] = []
    waited = await leases.swap(lambda: installed.append(time.monotonic()))
    assert installed and installed[0] - granted_at >= 0.3
    assert 0.25 <= waited < 1.0


async def test_no_lease_is_granted_while_a_swap_waits_and_leases_resume_after() -> None:
    leases = VersionLeases(0.2)
    leases.grant()
    swap = asyncio.create_task(leases.swap(lambda: None))
    await asyncio.sleep(0.05)
    assert leases.grant() == 0.0  # a lease now could outlive the model it names
    await swap
    assert leases.grant() == 0.2


async def test_swap_is_immediate_without_leases() -> None:
    installed: list[bool] = []
    assert await VersionLeases(0.5).swap(lambda: installed.append(True)) < 0.05
    off = VersionLeases(0.0)
    assert off.grant() == 0.0
    assert await off.swap(lambda: installed.append(True)) < 0.05
    assert installed == [True, True]


async def test_a_later_grant_extends_the_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    leases = VersionLeases(1.0, clock=lambda: now[0])
    leases.grant()
    now[0] = 100.6
    leases.grant()  # runs out at 101.6, not 101.0
    sleeps: list[float] = []
    real_sleep = asyncio.sleep

    async def fake_sleep(seconds: float) -> None:  # advance the injected clock instead of waiting
        sleeps.append(seconds)
        now[0] += seconds
        await real_sleep(0)

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    await leases.swap(lambda: None)
    assert abs(sum(sleeps) - 1.0) < 1e-9
