"""ModelVersion.confirmed against a real scorer: concurrent requests share checks, none older than they are."""
from __future__ import annotations

import asyncio

from scripts.stack import Stack
from services.client import ScorerClient
from services.gateway.model_version import ModelVersion


class CountingVersion(ModelVersion):
    """Counts the GetModelInfo calls made (each still goes to the real scorer)."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.started: list[float] = []

    async def refresh(self) -> bool:
        self.started.append(asyncio.get_running_loop().time())
        return await super().refresh()


async def test_concurrent_requests_share_at_most_two_checks(backends: Stack) -> None:
    scorer = ScorerClient(backends.scorer_address, timeout=2.0)
    try:
        version = CountingVersion(scorer, 60.0)
        answers = await asyncio.gather(*(version.confirmed(2.0) for _ in range(50)))
        assert set(answers) == {"v-test-1"}
        assert 1 <= len(version.started) <= 2  # not one GetModelInfo per request
    finally:
        await scorer.close()


async def test_a_request_arriving_during_a_check_waits_for_a_newer_one(backends: Stack) -> None:
    scorer = ScorerClient(backends.scorer_address, timeout=2.0)
    try:
        version = CountingVersion(scorer, 60.0)
        first = asyncio.ensure_future(version.confirmed(2.0))
        await asyncio.sleep(0)  # the first check is now in flight
        arrived = asyncio.get_running_loop().time()
        assert await version.confirmed(2.0) == "v-test-1"
        assert await first == "v-test-1"
        assert len(version.started) == 2 and version.started[1] >= arrived
    finally:
        await scorer.close()


async def test_no_check_while_the_scorers_version_lease_runs(backends: Stack) -> None:
    scorer = ScorerClient(backends.scorer_address, timeout=2.0)
    try:
        info = await scorer.model_info()
        assert info.version_lease_ms > 0  # the scorer's default SCORER_VERSION_LEASE_SECONDS
        version = CountingVersion(scorer, 60.0)
        assert await version.confirmed(2.0) == "v-test-1"  # asks, and gets a lease
        for _ in range(20):
            assert await version.confirmed(2.0) == "v-test-1"
        assert len(version.started) == 1
        await asyncio.sleep(info.version_lease_ms / 1000)  # the lease has run out: ask again
        assert await version.confirmed(2.0) == "v-test-1"
        assert len(version.started) == 2
    finally:
        await scorer.close()
