"""A closed-loop HTTP load of the gateway that records every request's outcome and latency."""
from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx

# Titles of the tiny test artifact and of MovieLens; several bodies so some answers come from the
# scorer rather than the cache.
TITLES = ["toy story", "heat", "star wars", "jurassic park", "godfather", "goldeneye", "lion king"]


@dataclass(frozen=True)
class Outcome:
    """One request: when it started (monotonic s), how long it took (s), and how it ended."""

    start: float
    latency: float
    kind: str  # "ok", "http_503", "http_<status>", "bad_body", "timeout", "connect_error", ...
    fresh: bool = False  # its body was never sent before, so its answer cannot come from the cache


@dataclass
class Load:
    """Outcomes of requests sent by `concurrency` workers until stopped."""

    url: str
    concurrency: int = 8
    client_timeout: float = 10.0
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    def bodies(self) -> Iterator[tuple[dict[str, object], bool]]:
        """(request body, fresh); every other one has a unique unknown title, so its key was never cached."""
        combos = itertools.cycle([[a, b] for a in TITLES for b in TITLES if a != b])
        for n in itertools.count():
            movies = next(combos)
            yield {"movies": movies + [f"no such film {n}"] if n % 2 else movies, "top_k": 3 + n % 3}, n % 2 == 1

    async def _worker(self, client: httpx.AsyncClient, bodies: Iterator[tuple[dict[str, object], bool]]) -> None:
        while not self._stop.is_set():
            start = time.monotonic()
            body, fresh = next(bodies)
            try:
                reply = await client.post(self.url + "/recommend/titles", json=body)
                kind = "ok" if reply.status_code == 200 else f"http_{reply.status_code}"
                if reply.headers.get("content-type", "").split(";")[0] != "application/json":
                    kind = "bad_body"  # every answer, errors included, must be JSON
            except httpx.TimeoutException:
                kind = "timeout"
            except httpx.TransportError as exc:
                kind = type(exc).__name__
            self.outcomes.append(Outcome(start, time.monotonic() - start, kind, fresh))

    async def run(self) -> None:
        """Sends requests until stop() is called."""
        limits = httpx.Limits(max_connections=self.concurrency)
        async with httpx.AsyncClient(timeout=self.client_timeout, limits=limits) as client:
            bodies = self.bodies()
            await asyncio.gather(*(self._worker(client, bodies) for _ in range(self.concurrency)))

    def stop(self) -> None:
        self._stop.set()

    def between(self, t0: float, t1: float) -> list[Outcome]:
        """Requests that started in [t0, t1)."""
        return [o for o in self.outcomes if t0 <= o.start < t1]

    def finished_before(self, t0: float, t1: float) -> list[Outcome]:
        """Requests that started at t0 or later and were answered before t1."""
        return [o for o in self.outcomes if t0 <= o.start and o.start + o.latency < t1]

    def overlapping(self, t0: float, t1: float) -> list[Outcome]:
        """Requests in flight at some moment of [t0, t1): started before t1, answered at t0 or later."""
        return [o for o in self.outcomes if o.start < t1 and o.start + o.latency >= t0]


@dataclass
class AccountWrites(Load):
    """Like Load, but each request is an account write: PUT /me/ratings/{id} with the session cookie and CSRF
    header of one of `tokens` (a different movie each time, so every one is a fresh write)."""

    tokens: list[str] = field(default_factory=list)
    _count: Iterator[int] = field(default_factory=itertools.count)

    async def _worker(self, client: httpx.AsyncClient, bodies: Iterator[tuple[dict[str, object], bool]]) -> None:
        while not self._stop.is_set():
            n = next(self._count)
            token = self.tokens[n % len(self.tokens)]
            start = time.monotonic()
            try:
                reply = await client.put(f"{self.url}/me/ratings/{1 + n % 100_000}", json={"rating": 0.5 + n % 10 / 2},
                                         headers={"x-csrf-token": "bench-csrf",
                                                  "cookie": f"movierec_session={token}; movierec_csrf=bench-csrf"})
                kind = "ok" if reply.status_code == 200 else f"http_{reply.status_code}"
                if reply.headers.get("content-type", "").split(";")[0] != "application/json":
                    kind = "bad_body"
            except httpx.TimeoutException:
                kind = "timeout"
            except httpx.TransportError as exc:
                kind = type(exc).__name__
            self.outcomes.append(Outcome(start, time.monotonic() - start, kind, fresh=True))


def summary(outcomes: list[Outcome]) -> dict[str, object]:
    """requests, failures by kind and the worst latency (ms) of a set of outcomes."""
    kinds = Counter(o.kind for o in outcomes)
    return {"requests": len(outcomes), "ok": kinds.pop("ok", 0), "failures": dict(sorted(kinds.items())),
            "worst_ms": round(max((o.latency for o in outcomes), default=0.0) * 1000, 1)}


def first_ok_after(outcomes: list[Outcome], t: float, fresh_only: bool = False) -> float | None:
    """Seconds from t to the start of the first successful request (of a fresh body) that started after t."""
    starts = [o.start for o in outcomes if o.kind == "ok" and o.start >= t and (o.fresh or not fresh_only)]
    return min(starts) - t if starts else None
