"""A gRPC server interceptor that answers INVALID_ARGUMENT to request bytes that are not the declared message."""
from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.message import DecodeError


class DecodeGuardInterceptor(grpc.aio.ServerInterceptor):
    """Parses each unary request itself so that corrupt wire bytes get a clear INVALID_ARGUMENT.

    Left to grpc, a DecodeError in the request deserializer reaches the client as UNKNOWN
    ("Unexpected <class 'DecodeError'>"), which reads like a server bug.
    """

    async def intercept_service(self, continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
                                details: grpc.HandlerCallDetails) -> Any:
        handler = await continuation(details)
        if handler is None or handler.unary_unary is None or handler.request_deserializer is None:
            return handler
        parse, inner, method = handler.request_deserializer, handler.unary_unary, details.method

        async def parsed(raw: bytes, context: grpc.aio.ServicerContext) -> Any:
            try:
                request = parse(raw)
            except DecodeError as exc:
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                    f"the request is not a valid message for {method}: {exc}")
            reply = inner(request, context)
            return await reply if inspect.isawaitable(reply) else reply

        # No deserializer: grpc hands `parsed` the raw bytes.
        return grpc.unary_unary_rpc_method_handler(parsed, response_serializer=handler.response_serializer)
