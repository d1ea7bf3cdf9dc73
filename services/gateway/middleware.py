"""ASGI middleware of the gateway: security headers, body, concurrency and rate limits, HEAD, metrics."""
from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import Sequence

from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.metrics import ServiceMetrics

log = logging.getLogger(__name__)

# Paths that do work on the backends; health checks, /metrics and the page are never refused.
API_PREFIXES = ("/recommend", "/predict-rating", "/movies", "/model", "/dashboard/", "/auth/", "/me")

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


class HeadAsGet:
    """HEAD on any GET route answers exactly like GET (status, headers, Content-Length), without the body.

    FastAPI routes declared with GET do not match HEAD, although HTTP (and the `Allow` we send) says they do.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        # A copy: the server keeps reading its own scope, where the method is still HEAD.
        await self.app({**scope, "method": "GET"}, receive, send_without_body)


class ReadBodyFirst:
    """Reads an API request's whole body before the app (and the in-flight limit inside it) sees the request.

    A client that declares a body and sends it slowly then holds a connection, not one of the
    GATEWAY_MAX_IN_FLIGHT slots; past `timeout` seconds it gets 408 JSON and the connection is closed.
    A body growing past `max_bytes` (chunked, no Content-Length) is a 413 as soon as it does.
    """

    def __init__(self, app: ASGIApp, timeout: float, max_bytes: int) -> None:
        self.app = app
        self.timeout = timeout
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_api(scope):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return  # nobody to answer
                    chunks.append(message.get("body", b""))
                    size += len(chunks[-1])
                    if size > self.max_bytes:
                        body = b'{"detail":"request body too large (at most %d bytes)"}' % self.max_bytes
                        await send_json(send, 413, body, [(b"connection", b"close")])
                        return
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            body = b'{"detail":"request body not received within %g s"}' % self.timeout
            await send_json(send, 408, body, [(b"connection", b"close")])
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # what follows the body: a disconnect
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)


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
    """At most `per_minute` API requests per client address in any 60 s (a sliding window in Redis).

    Over the limit: 429 JSON with Retry-After (seconds until the oldest counted request is a minute
    old). The client address is the connection's peer, or what X-Forwarded-For says only when the
    peer is one of GATEWAY_TRUSTED_PROXIES (uvicorn rewrites scope["client"] then). Counting in Redis
    makes the limit hold across workers and gateway replicas; while Redis is down requests are let
    through (the service stays up; the cache layer already logs the outage).
    """

    WINDOW_SECONDS = 60.0

    def __init__(self, app: ASGIApp, per_minute: int, metrics: ServiceMetrics | None = None) -> None:
        self.app = app
        self.per_minute = per_minute
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = getattr(scope["app"].state, "gateway", None) if is_api(scope) else None
        if state is not None:
            client = (scope.get("client") or ("unknown",))[0]
            wait = await state.cache.window_hit(f"ratelimit:{client}", self.per_minute, self.WINDOW_SECONDS)
            if wait:
                retry_after = max(1, math.ceil(wait))
                if self.metrics:
                    self.metrics.rejected.labels("rate_limited").inc()
                body = b'{"detail":"rate limit: at most %d requests per minute; retry after %d s"}' % (
                    self.per_minute, retry_after)
                await send_json(send, 429, body, [(b"retry-after", str(retry_after).encode())])
                return
        await self.app(scope, receive, send)


# nginx's status for "client closed the request": counted apart from the 5xx a server error gives.
CLIENT_CLOSED = 499


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
        answered = False

        async def receive_recording() -> Message:
            nonlocal status
            message = await receive()
            if message["type"] == "http.disconnect" and not answered:
                status = CLIENT_CLOSED  # the client left before the answer: not a server error
            return message

        async def send_recording(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status, answered = message["status"], True
            await send(message)

        try:
            await self.app(scope, receive_recording, send_recording)
        finally:
            route = scope.get("route")
            label = getattr(route, "path", None) or ("api-unmatched" if is_api(scope) else "page")
            self.metrics.http_requests.labels(label, scope["method"], str(status)).inc()
            self.metrics.http_latency.labels(label, scope["method"]).observe(time.perf_counter() - start)
