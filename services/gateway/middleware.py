"""ASGI middleware of the gateway: security headers on every response, a JSON 413 for large bodies."""
from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
                await send({"type": "http.response.start", "status": 413, "headers": [
                    (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
