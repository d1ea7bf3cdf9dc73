"""Health that follows the database: a periodic `SELECT 1` turns gRPC health NOT_SERVING while the store is
unreachable, and SERVING again once it answers."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)


class DatabaseProbe:
    """`run()` probes `engine` every `interval` s; `on_change(ok)` is awaited whenever the verdict changes.

    The probe has an engine of its own (one connection, checked at checkout), so a pool busy with requests cannot
    make it time out, and one thread: a probe still stuck in a dead connection counts as a failure, and no second one
    is started beside it."""

    def __init__(self, engine: Engine, interval: float, timeout: float,
                 on_change: Callable[[bool], Awaitable[None]]) -> None:
        self.engine = engine
        self.interval = interval
        self.timeout = timeout
        self.on_change = on_change
        self.healthy = True  # what health said when the probe started (SERVING: the store was just reached)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="profiles-db-probe")
        self._pending: Future[None] | None = None

    def _select_one(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    async def check(self) -> bool:
        """One probe: True when the database answered within the timeout."""
        if self._pending is not None and not self._pending.done():
            return False  # the previous probe is still waiting on the database
        self._pending = self._thread.submit(self._select_one)
        try:
            await asyncio.wait_for(asyncio.wrap_future(self._pending), self.timeout)
            return True
        except (SQLAlchemyError, OSError, asyncio.TimeoutError) as e:
            if self.healthy:
                log.warning("database probe failed", extra={"error": str(getattr(e, "orig", e))[:300]})
            return False

    async def run(self) -> None:
        """Probes until cancelled."""
        try:
            while True:
                await asyncio.sleep(self.interval)
                ok = await self.check()
                if ok != self.healthy:
                    self.healthy = ok
                    log.warning("database reachable again: health SERVING" if ok
                                else "database unreachable: health NOT_SERVING")
                    await self.on_change(ok)
        finally:
            self._thread.shutdown(wait=False, cancel_futures=True)
