"""ASGI middleware of the gateway: security headers, body, concurrency and rate limits, metrics."""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Sequence

from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.metrics import ServiceMetrics

log = logging.getLogger(__name__)

# Paths that do work on the backends; health checks, /metrics and the page are never refused.
API_PREFIXES = ("/recommend", "/predict-rating", "/movies", "/model", "/dashboard/")

# The page loads only its own script and style; nothing may frame it.
CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP response, errors included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SECURITY_HEADERS
            await send(message)

        await self.app(scope, receive, send_with_headers)


class DeclaredBodyLimit:
    """Answers 413 JSON, before reading anything, when Content-Length declares more than `max_bytes`.

    The API router's max_body_size stops chunked bodies that grow past the limit while read
    (JSON 413 too), but answers a declared over-large body in plain text; this answers it first.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length", b"0")
            if length.isdigit() and int(length) > self.max_bytes:
                body = b'{"detail":"request body too large (at most %d bytes)"}' % self.max_bytes
                await send_json(send, 413, body, [(b"connection", b"close")])
                return
        await self.app(scope, receive, send)


async def send_json(send: Send, status: int, body: bytes, headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    """Sends a whole JSON answer without going through the app."""
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers]})
    await send({"type": "http.response.body", "body": body})


def is_api(scope: Scope) -> bool:
    return scope["type"] == "http" and scope["path"].startswith(API_PREFIXES)


class MethodNotAllowed:
    """405 JSON with the right `Allow` for an API path asked with a method it does not have.

    Without it such a request falls through to the page mounted at "/", whose 405 says
    `Allow: GET, HEAD` for, e.g., POST-only /recommend/titles.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._paths: list[tuple[re.Pattern[str], set[str]]] | None = None

    def _allowed(self, scope: Scope) -> set[str]:
        """Methods the OpenAPI spec lists for the path (the spec is what clients read)."""
        if self._paths is None:  # built on first use: the routes are complete by then
            self._paths = [(compile_path(path)[0], {m.upper() for m in ops} | ({"HEAD"} if "get" in ops else set()))
                           for path, ops in scope["app"].openapi()["paths"].items()]
        return set().union(*(methods for regex, methods in self._paths if regex.match(scope["path"])))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_api(scope):
            allowed = self._allowed(scope)
            if allowed and scope["method"] not in allowed:
                body = b'{"detail":"method not allowed; use %s"}' % ", ".join(sorted(allowed)).encode()
                await send_json(send, 405, body, [(b"allow", ", ".join(sorted(allowed)).encode())])
                return
        await self.app(scope, receive, send)


class ConcurrencyLimit:
    """Answers 503 JSON at once when `limit` API requests are already being answered.

    Bounds what a slow or frozen backend can pile up in the gateway (tasks, sockets, memory):
    the excess fails fast with Retry-After instead of queueing up to the deadline.
    One event loop per worker, so a plain counter is exact.
    """

    def __init__(self, app: ASGIApp, limit: int, metrics: ServiceMetrics | None = None) -> None:
        self.app = app
        self.limit = limit
        self.metrics = metrics
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_api(scope):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            if self.metrics:
                self.metrics.rejected.labels("overloaded").inc()
            body = b'{"detail":"the gateway is busy (%d requests in flight); try again in a second"}' % self.limit
            await send_json(send, 503, body, [(b"retry-after", b"1")])
            return
        self.in_flight += 1
        if self.metrics:
            self.metrics.http_in_flight.set(self.in_flight)
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
            if self.metrics:
                self.metrics.http_in_flight.set(self.in_flight)


class RateLimit:
    """At most `per_minute` API requests per client address per clock minute, counted in Redis.

    Over the limit: 429 JSON with Retry-After (seconds to the next minute). Counting in Redis
    makes the limit hold across workers and gateway replicas; while Redis is down requests are
    let through (the service stays up; the cache layer already logs the outage).
    """

    def __init__(self, app: ASGIApp, per_minute: int, metrics: ServiceMetrics | None = None) -> None:
        self.app = app
        self.per_minute = per_minute
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = getattr(scope["app"].state, "gateway", None) if is_api(scope) else None
        if state is not None:
            client = (scope.get("client") or ("unknown",))[0]
            now = time.time()
            minute = int(now // 60)
            count = await state.cache.count_hit(f"ratelimit:{client}:{minute}", ttl_seconds=120)
            if count is not None and count > self.per_minute:
                retry_after = max(1, int(60 - now % 60) + 1)
                if self.metrics:
                    self.metrics.rejected.labels("rate_limited").inc()
                body = b'{"detail":"rate limit: at most %d requests per minute; retry after %d s"}' % (
                    self.per_minute, retry_after)
                await send_json(send, 429, body, [(b"retry-after", str(retry_after).encode())])
                return
        await self.app(scope, receive, send)


class HttpMetrics:
    """Counts and times every HTTP answer by route template (not raw path: bounded label values)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # if the app raises before answering

        async def send_recording(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording)
        finally:
            route = scope.get("route")
            label = getattr(route, "path", None) or ("api-unmatched" if is_api(scope) else "page")
            self.metrics.http_requests.labels(label, scope["method"], str(status)).inc()
            self.metrics.http_latency.labels(label, scope["method"]).observe(time.perf_counter() - start)
