"""The gateway's HTTP/1.1 connection protocol: uvicorn's httptools one, with the request head bounded.

uvicorn bounds neither the time a client may take to send a request's line and headers, nor their
size or number: one connection could hold a task and a growing buffer for as long as it liked. Here:

- the head must be complete within `header_timeout` seconds of the connection opening or of the
  request's first byte (a slow-header client gets 408 JSON; a connection that never sent a byte is closed);
- at most `max_header_bytes` of request line and headers (431 JSON, checked while they arrive, so a
  64 MB header is refused after its first kilobytes) and at most `max_headers` header lines (431 JSON);
- a request the parser cannot read is a 400 JSON (uvicorn answers it in plain text).

The body's own time limit is ASGI middleware (middleware.ReadBodyFirst), which can answer through the app.
"""
from __future__ import annotations

import asyncio
import functools
import json
from dataclasses import dataclass
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from services.gateway.middleware import SECURITY_HEADERS


@dataclass(frozen=True)
class HeadLimits:
    """Bounds on one request's line and headers (GATEWAY_HEADER_TIMEOUT_SECONDS, ..._MAX_HEADER_BYTES, ...)."""

    header_timeout: float
    max_header_bytes: int
    max_headers: int


class _Refused(Exception):
    """Raised in a parser callback to stop parsing; the answer is in BoundedHttpToolsProtocol.refusal."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with HeadLimits; one instance per connection, like its parent."""

    def __init__(self, config: Config, server_state: ServerState, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None, *, limits: HeadLimits) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits = limits
        self.refusal: tuple[int, str] | None = None
        self._head_timer: asyncio.TimerHandle | None = None
        self._awaiting_head = True  # between requests, or inside a head
        self._head_begun = False  # a byte of the current request has arrived
        self._head_bytes = 0

    # -- timing -------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()  # also ends a connection that never sends anything

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.limits.header_timeout, self._on_head_timeout)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _on_head_timeout(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self._head_begun:
            self.refuse(408, f"request headers not received within {self.limits.header_timeout:g} s")
        else:
            self.transport.close()

    # -- parser callbacks ---------------------------------------------------------------------
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_begun = True
        self._arm_head_timer()  # the next request on a kept-alive connection gets the same bound

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(self.headers) >= self.limits.max_headers:
            self.refusal = (431, f"too many request headers (at most {self.limits.max_headers})")
            raise _Refused
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        size = len(self.url) + sum(len(n) + len(v) + 4 for n, v in self.headers)
        if size > self.limits.max_header_bytes:
            self.refusal = self._too_large()
            raise _Refused
        self._cancel_head_timer()
        self._awaiting_head = False
        self._head_begun = False
        self._head_bytes = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._awaiting_head = True
        super().on_message_complete()

    def _too_large(self) -> tuple[int, str]:
        return 431, f"request line and headers too large (at most {self.limits.max_header_bytes} bytes)"

    # -- input --------------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self._awaiting_head:
            self._head_bytes += len(data)
        super().data_received(data)  # a parser error (ours included) ends in send_400_response
        # Still inside the same head: everything counted since it began is head, so stop it growing now.
        if self._awaiting_head and self._head_bytes > self.limits.max_header_bytes \
                and not self.transport.is_closing():
            self.refuse(*self._too_large())

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request its parser refused: JSON, with our status when we refused it."""
        self.refuse(*(self.refusal or (400, "invalid HTTP request")))

    def refuse(self, status: int, detail: str) -> None:
        """Answers JSON {"detail": ...} with `status` and closes the connection."""
        self._cancel_head_timer()
        body = json.dumps({"detail": detail}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                   (b"connection", b"close"), *SECURITY_HEADERS]
        head = b"".join(b"%s: %s\r\n" % pair for pair in headers)
        self.transport.write(STATUS_LINE[status] + head + b"\r\n" + body)
        self.transport.close()


def bounded_protocol(limits: HeadLimits) -> functools.partial:
    """What uvicorn's `http=` takes: a protocol factory (picklable, for worker processes)."""
    return functools.partial(BoundedHttpToolsProtocol, limits=limits)
