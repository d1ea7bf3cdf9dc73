"""The model version the scorer currently serves, as the gateway last saw it (part of every cache key)."""
from __future__ import annotations

import asyncio
import logging
import time

from services.client import CallError, ScorerClient

log = logging.getLogger(__name__)
# Share of a version lease the gateway uses: counted from when it sent the request (before the scorer
# granted it), this margin also covers the two machines' clocks running at slightly different rates.
LEASE_SHARE = 0.9


class ModelVersion:
    """Last known model version and default alpha of the scorer.

    Updated from GetModelInfo (at start-up and then every `refresh_seconds` in the background,
    so a new model is noticed even while every answer comes from the cache) and from the
    model_version of each scorer reply. Requests never wait on the refresh: a slow scorer
    cannot push a request past its deadline here.
    """

    def __init__(self, scorer: ScorerClient, refresh_seconds: float) -> None:
        self._scorer = scorer
        self.refresh_seconds = refresh_seconds
        self.version = ""  # "" until the scorer has answered once
        self.default_alpha: float | None = None
        self._reachable = True
        self._running: asyncio.Task | None = None  # the version check in flight, if any
        self._queued: asyncio.Task | None = None  # the check that starts when it finishes
        self._leased_until = 0.0  # monotonic time until which `version` is promised not to change

    def observe(self, version: str) -> None:
        """Takes the version a scorer reply carried."""
        if version and version != self.version:
            log.info("model version changed", extra={"old": self.version or None, "new": version})
            self.version = version
            self._leased_until = 0.0  # the lease was on the old version (another scorer replica?)

    async def refresh(self) -> bool:
        """Asks the scorer once; keeps the last known values when it does not answer."""
        sent = time.monotonic()
        try:
            info = await self._scorer.model_info()
        except CallError as exc:
            if self._reachable:
                log.warning("cannot read model info; keeping the last known version",
                            extra={"code": exc.code.name, "version": self.version or None})
            self._reachable = False
            return False
        self._reachable = True
        self.observe(info.model_version)
        self.default_alpha = round(float(info.default_alpha), 4)
        if info.version_lease_ms and info.model_version == self.version:
            self._leased_until = max(self._leased_until, sent + LEASE_SHARE * info.version_lease_ms / 1000)
        return True

    async def confirmed(self, timeout: float) -> str:
        """The version the scorer serves right now (a GetModelInfo call that starts no earlier than
        this request, waited for at most `timeout` s), or "" when it does not answer in time, so
        that nothing cached is trusted.

        Asked before every cache read: after a hot reload the scorer swaps models without a
        restart, and an answer cached under the old version must not be served even once, which
        the background refresh alone cannot promise. While the scorer's lease on the version runs
        (services/scorer/lease.py: it swaps only once its leases are over) no check is needed.
        Concurrent requests share one check (see _shared_check), and the short timeout keeps a
        silent scorer from eating their deadline."""
        if self.version and time.monotonic() < self._leased_until:
            return self.version
        try:
            return await asyncio.wait_for(asyncio.shield(self._shared_check()), timeout)
        except asyncio.TimeoutError:
            return ""

    def _shared_check(self) -> asyncio.Task:
        """A version check that starts no earlier than now, shared by everyone asking meanwhile.

        A check already running may have started before a swap this request must see, so a request
        arriving during it waits for the next one, which starts when it ends; all such requests
        share that next check. At most two checks exist at a time, whatever the request rate."""
        if self._queued is not None:
            return self._queued  # has not asked the scorer yet: its answer is newer than this request
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(self._check())
            return self._running
        running = self._running

        async def after_running() -> str:
            await asyncio.wait({running})
            self._queued, self._running = None, asyncio.current_task()
            return await self._check()

        self._queued = asyncio.ensure_future(after_running())
        return self._queued

    async def _check(self) -> str:
        return self.version if await self.refresh() else ""

    async def run(self) -> None:
        """Refreshes forever (cancel to stop)."""
        while True:
            await asyncio.sleep(self.refresh_seconds)
            await self.refresh()
