"""ASGI middleware: each HTTP request runs under one request id, sent on to the matcher and scorer."""
from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.request_id import METADATA_KEY, current_request_id, install_log_filter, valid_or_new

_HEADER = METADATA_KEY.encode()


class RequestIdMiddleware:
    """Takes the request's `X-Request-ID` (or makes one), sets `current_request_id` while the request
    runs — the typed gRPC clients send it as `x-request-id` metadata — and echoes it in the response.

    Starlette builds middleware after logging is configured (both in `__main__` and in each
    worker's app factory), so the constructor also puts `request_id` on the gateway's own log lines.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        install_log_filter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = dict(scope["headers"]).get(_HEADER, b"").decode("latin-1")
        request_id = valid_or_new(received)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (_HEADER, request_id.encode())]
            await send(message)

        token = current_request_id.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(token)
