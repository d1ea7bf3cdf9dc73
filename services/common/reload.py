"""Hot reload: watch an artifact root's LATEST and hand each new, verified version to the service."""
from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Generic, TypeVar

from services.common.artifact import ArtifactError, latest_version
from services.common.artifact_source import parse_s3_uri

log = logging.getLogger(__name__)
T = TypeVar("T")


class ArtifactWatcher(Generic[T]):
    """Polls `location`/LATEST every `interval` seconds; on a new version, builds it and swaps it in.

    `location` is the local artifact root the service was started with. s3:// locations are not
    watched yet (`enabled` is False): polling them through artifact_source would download and log
    on every poll; it needs a cheap LATEST read there first.

    `build(location)` loads and verifies the artifact and makes what the service serves (a model,
    an index); it runs in a worker thread, so requests keep being answered by the old one while
    the new one is built. `swap(new)` then replaces it in one assignment on the event loop, so
    each request sees either the old or the new one, never a mix, and none is dropped. `swap` may
    be a coroutine function (the scorer's waits for its version leases to run out first). A version
    that fails to load is logged once and skipped until LATEST names another one; the old one
    keeps serving. A location that is a version directory (no LATEST) never changes.
    """

    def __init__(self, location: Path | str, current_version: str, build: Callable[[Path], tuple[str, T]],
                 swap: Callable[[T], Awaitable[None] | None], interval: float = 1.0) -> None:
        self.location = location
        self.enabled = interval > 0 and parse_s3_uri(location) is None
        self.version = current_version
        self._build = build  # returns (version it loaded, the thing to serve)
        self._swap = swap
        self.interval = interval
        self._failed: str | None = None

    async def check(self) -> bool:
        """One poll: True when a new version was swapped in."""
        if not self.enabled:
            return False
        latest = latest_version(self.location)
        if latest is None or latest == self.version or latest == self._failed:
            return False
        try:
            version, built = await asyncio.to_thread(self._build, Path(self.location))
        except (ArtifactError, OSError, ValueError) as e:
            log.error("new artifact version cannot be loaded; still serving the old one",
                      extra={"version": latest, "serving": self.version, "error": str(e)})
            self._failed = latest
            return False
        if version == self.version:
            return False
        swapped = self._swap(built)
        if inspect.isawaitable(swapped):
            await swapped
        old, self.version = self.version, version
        log.info("artifact reloaded", extra={"old": old, "new": version})
        return True

    async def run(self) -> None:
        """Polls forever (cancel the task to stop); returns at once when not enabled."""
        while self.enabled:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:  # a watcher that dies silently would freeze the model; keep polling
                log.exception("artifact watcher error")
