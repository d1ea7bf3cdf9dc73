"""Leases on the served model version, so gateways can trust their cache without asking every time.

A gateway may answer from its cache only under the model version the scorer serves at that moment.
Asking before every cache read costs an RPC per request. Instead a GetModelInfo reply carries a
lease: "this version, unchanged for the next `seconds`". A hot reload waits until every lease it
granted has run out before it swaps models, and grants none while it waits, so nothing cached
under the old version is trusted after the swap, and a gateway asks once per lease instead of once
per request. The swap is delayed by at most one lease. (Leases: Gray and Cheriton, SOSP 1989.)
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class VersionLeases:
    """Grants leases and holds swaps back until the leases granted have expired.

    Everything runs on the server's event loop, so grant() and the checks in swap() never interleave.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = max(0.0, seconds)
        self._clock = clock
        self._until = 0.0  # when the last lease granted runs out
        self._swapping = False

    def grant(self) -> float:
        """Length in seconds of a lease granted now; 0 (none) while a swap is waiting or leases are off."""
        if self._swapping or not self.seconds:
            return 0.0
        self._until = max(self._until, self._clock() + self.seconds)
        return self.seconds

    async def swap(self, install: Callable[[], None]) -> float:
        """Stops granting, waits for the granted leases to run out, then calls install(); the seconds waited."""
        self._swapping = True
        started = self._clock()
        try:
            while (left := self._until - self._clock()) > 0:
                await asyncio.sleep(left)
            install()
        finally:
            self._swapping = False
        return self._clock() - started
