"""The request id convention: `x-request-id` gRPC metadata, a contextvar, and the logs that carry it.

A caller sends `x-request-id` with every call (the typed client in services/client does; it takes
the id from `current_request_id` or makes one). The server interceptor
(services/common/call_interceptor.py) puts the received id into `current_request_id` for the
duration of the call, and `RequestIdLogFilter` copies it into every log
record as `request_id`, so the JSON logs of gateway → matcher → scorer share one id.
"""
from __future__ import annotations

import contextvars
import logging
import re
import uuid

METADATA_KEY = "x-request-id"
# What a received id may look like; anything else (too long, control characters) is replaced by
# a fresh id so a caller cannot inject into log lines.
_VALID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")

current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def new_request_id() -> str:
    """A fresh id: 32 lower-case hex characters (uuid4)."""
    return uuid.uuid4().hex


def valid_or_new(value: str | None) -> str:
    """`value` when it is a usable request id, otherwise a fresh one."""
    return value if value and _VALID.match(value) else new_request_id()


class RequestIdLogFilter(logging.Filter):
    """Adds `request_id` (the current call's, when there is one) to every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = current_request_id.get()
        if request_id is not None and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True


def install_log_filter() -> None:
    """Attaches RequestIdLogFilter to the root logger's handlers (idempotent; after configure_logging)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RequestIdLogFilter) for f in handler.filters):
            handler.addFilter(RequestIdLogFilter())
