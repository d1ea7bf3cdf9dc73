"""Hot reload: watch an artifact root's LATEST and hand each new, verified version to the service."""
from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Generic, TypeVar

from movierec.artifact import ArtifactError, latest_version
from services.common.artifact_source import local_artifact_path, parse_s3_uri, s3_client, s3_latest_version

log = logging.getLogger(__name__)
# A version that failed to load is tried again after this long, not on every poll: a corrupt
# version stays refused cheaply, while one that failed on a passing S3 outage is picked up later.
RETRY_FAILED_SECONDS = 60.0
T = TypeVar("T")


class ArtifactWatcher(Generic[T]):
    """Polls `location`/LATEST every `interval` seconds; on a new version, builds it and swaps it in.

    `location` is the artifact root the service was started with: a local path, or an s3:// root,
    whose LATEST object is read on each poll (one small GET) and whose new version is downloaded
    and verified into the local cache (artifact_source) before it is built.

    `build(location)` loads and verifies the artifact and makes what the service serves (a model,
    an index); it runs in a worker thread, so requests keep being answered by the old one while
    the new one is built. `swap(new)` then replaces it in one assignment on the event loop, so
    each request sees either the old or the new one, never a mix, and none is dropped. `swap` may
    be a coroutine function (the scorer's waits for its version leases to run out first). A version
    that fails to load is logged and skipped for RETRY_FAILED_SECONDS (or until LATEST names
    another one); the old one keeps serving. A location that is a version directory (no LATEST) never changes.
    """

    def __init__(self, location: Path | str, current_version: str, build: Callable[[Path], tuple[str, T]],
                 swap: Callable[[T], Awaitable[None] | None], interval: float = 1.0) -> None:
        self.location = location
        self.enabled = interval > 0
        self._s3 = parse_s3_uri(location) is not None
        self._client = None  # one boto3 client for every poll (making one costs tens of ms)
        self._unreadable = False  # LATEST could not be read at the last poll (logged once per outage)
        self.version = current_version
        self._build = build  # returns (version it loaded, the thing to serve)
        self._swap = swap
        self.interval = interval
        self._failed: str | None = None
        self._failed_at = 0.0

    def _latest(self) -> str | None:
        if not self._s3:
            return latest_version(self.location)
        if self._client is None:
            self._client = s3_client()
        return s3_latest_version(self.location, self._client)

    def _fetch_and_build(self) -> tuple[str, T]:
        path = local_artifact_path(self.location, client=self._client) if self._s3 else Path(self.location)
        return self._build(path)

    async def check(self) -> bool:
        """One poll: True when a new version was swapped in."""
        if not self.enabled:
            return False
        try:
            latest = await asyncio.to_thread(self._latest) if self._s3 else self._latest()
        except ArtifactError as e:  # S3 unreachable: keep serving, say so once, try again next poll
            if not self._unreadable:
                log.warning("cannot read the artifact location's LATEST; still serving",
                            extra={"location": str(self.location), "serving": self.version, "error": str(e)})
            self._unreadable = True
            return False
        if self._unreadable:
            log.info("artifact location readable again", extra={"location": str(self.location)})
            self._unreadable = False
        if latest is None or latest == self.version or (
                latest == self._failed and time.monotonic() - self._failed_at < RETRY_FAILED_SECONDS):
            return False
        try:
            version, built = await asyncio.to_thread(self._fetch_and_build)
        except (ArtifactError, OSError, ValueError) as e:
            log.error("new artifact version cannot be loaded; still serving the old one",
                      extra={"version": latest, "serving": self.version, "error": str(e)})
            self._failed, self._failed_at = latest, time.monotonic()
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
