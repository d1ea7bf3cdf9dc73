"""The one server interceptor every gRPC call goes through: request id, request parsing, metrics, access log."""
from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.message import DecodeError

from services.common.metrics import ServiceMetrics
from services.common.request_id import METADATA_KEY, current_request_id, valid_or_new

log = logging.getLogger(__name__)


def call_request_id(metadata: Any) -> str:
    """The call's `x-request-id` when it is a usable one, else a fresh id."""
    received = dict(metadata or ()).get(METADATA_KEY)
    return valid_or_new(received if isinstance(received, str) else None)


class CallInterceptor(grpc.aio.ServerInterceptor):
    """Wraps each unary-unary method once; every call of it then:

    - runs with its request id in `current_request_id` (services/common/request_id.py), so each log
      line of the call carries it;
    - gets INVALID_ARGUMENT when its bytes are not the declared message (left to grpc, the
      DecodeError reaches the client as UNKNOWN, which reads like a server bug);
    - is counted and timed by method and status code, and notes the model version that answered;
    - logs one DEBUG line (method, code, ms): an access log that costs nothing at INFO.

    Wrapped handlers are kept per method name (grpc looks a method up on every call; the servicers
    are registered before the server starts and never change), so a call costs one dict lookup
    here instead of three interceptors each building a new handler (bench/load/RESULTS.md).
    Streaming methods (health Watch, reflection) pass through as they are.
    """

    def __init__(self, metrics: ServiceMetrics) -> None:
        self.metrics = metrics
        self._handlers: dict[str, grpc.RpcMethodHandler] = {}

    async def intercept_service(self, continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
                                details: grpc.HandlerCallDetails) -> Any:
        wrapped = self._handlers.get(details.method)
        if wrapped is None:
            handler = await continuation(details)
            if handler is None:  # unknown method: not kept, or any client could grow the dict
                return None
            wrapped = self._handlers[details.method] = self._wrap(details.method, handler)
        return wrapped

    def _wrap(self, method: str, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler:
        if handler.unary_unary is None:
            return handler
        parse, inner, name = handler.request_deserializer, handler.unary_unary, method.rsplit("/", 1)[-1]
        metrics = self.metrics
        latency = metrics.grpc_latency.labels(name)
        counters: dict[str, Any] = {}  # status code name -> counter child

        async def call(raw: Any, context: grpc.aio.ServicerContext) -> Any:
            token = current_request_id.set(call_request_id(context.invocation_metadata()))
            started = time.perf_counter()
            code = "OK"
            try:
                try:
                    request = parse(raw) if parse is not None else raw
                except DecodeError as exc:
                    await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                        f"the request is not a valid message for {method}: {exc}")
                reply = inner(request, context)
                if inspect.isawaitable(reply):
                    reply = await reply
                version = getattr(reply, "model_version", None) or getattr(reply, "catalog_version", None)
                if version:  # the version that answered: a hot reload shows at the next call
                    metrics.set_model_version(version)
                return reply
            except BaseException:
                code = (context.code() or grpc.StatusCode.UNKNOWN).name
                raise
            finally:
                if code == "OK" and context.code() not in (None, grpc.StatusCode.OK):
                    code = context.code().name
                counter = counters.get(code)
                if counter is None:
                    counter = counters[code] = metrics.grpc_requests.labels(name, code)
                counter.inc()
                elapsed = time.perf_counter() - started
                latency.observe(elapsed)
                if log.isEnabledFor(logging.DEBUG):
                    log.debug("rpc", extra={"method": method, "code": code, "ms": round(elapsed * 1000, 2)})
                current_request_id.reset(token)

        # No request deserializer: grpc hands `call` the raw bytes, parsed above.
        return grpc.unary_unary_rpc_method_handler(call, response_serializer=handler.response_serializer)
