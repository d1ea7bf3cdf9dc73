"""ASGI middleware: each HTTP request runs under one request id (sent on to the matcher and scorer) and one deadline."""
from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.client.deadline import deadline
from services.common.request_id import METADATA_KEY, current_request_id, install_log_filter, valid_or_new

_HEADER = METADATA_KEY.encode()


class RequestIdMiddleware:
    """Takes the request's `X-Request-ID` (or makes one), sets `current_request_id` while the request
    runs — the typed gRPC clients send it as `x-request-id` metadata — and echoes it in the response.

    Starlette builds middleware after logging is configured (both in `__main__` and in each
    worker's app factory), so the constructor also puts `request_id` on the gateway's own log lines.

    It also opens the request's deadline (services/client/deadline.py): `deadline_seconds`, else the
    running gateway's GATEWAY_REQUEST_DEADLINE_SECONDS. Being outermost, the budget starts when the
    request arrives, so time spent queued behind other middleware counts too.
    """

    def __init__(self, app: ASGIApp, deadline_seconds: float | None = None) -> None:
        self.app = app
        self.deadline_seconds = deadline_seconds
        install_log_filter()

    def _budget(self, scope: Scope) -> float | None:
        if self.deadline_seconds is not None:
            return self.deadline_seconds
        state = getattr(scope["app"].state, "gateway", None) if "app" in scope else None  # None before start-up
        return state.settings.request_deadline_seconds if state is not None else None

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
        budget = self._budget(scope)
        try:
            if budget is None:
                await self.app(scope, receive, send_with_id)
            else:
                with deadline(budget):
                    await self.app(scope, receive, send_with_id)
        finally:
            current_request_id.reset(token)
