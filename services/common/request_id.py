"""The request id convention: `x-request-id` gRPC metadata, a contextvar, and the logs that carry it.

A caller sends `x-request-id` with every call (the typed client in services/client does; it takes
the id from `current_request_id` or makes one). The server interceptor puts the received id into
`current_request_id` for the duration of the call, and `RequestIdLogFilter` copies it into every log
record as `request_id`, so the JSON logs of gateway → matcher → scorer share one id.
"""
from __future__ import annotations

import contextvars
import inspect
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable

import grpc

log = logging.getLogger(__name__)
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


class RequestIdInterceptor(grpc.aio.ServerInterceptor):
    """Server side: the call's `x-request-id` (or a fresh one) is `current_request_id` while it runs.

    Only unary-unary handlers are wrapped (every movierec RPC is one); others pass through as is.
    Each call logs one DEBUG line (method, status, milliseconds) under its id: an access log that
    costs nothing at the default INFO level.
    """

    async def intercept_service(self, continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
                                handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        received = dict(handler_call_details.invocation_metadata or ()).get(METADATA_KEY)
        request_id = valid_or_new(received if isinstance(received, str) else None)
        inner = handler.unary_unary

        method = handler_call_details.method

        async def with_request_id(request, context):
            token = current_request_id.set(request_id)
            started = time.perf_counter()
            try:
                reply = inner(request, context)
                return await reply if inspect.isawaitable(reply) else reply
            finally:
                if log.isEnabledFor(logging.DEBUG):
                    code = context.code()
                    log.debug("rpc", extra={"method": method, "code": getattr(code, "name", None) or "OK",
                                            "ms": round((time.perf_counter() - started) * 1000, 2)})
                current_request_id.reset(token)

        return grpc.unary_unary_rpc_method_handler(
            with_request_id, request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer)
