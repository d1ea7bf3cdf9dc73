"""What every typed client shares: one channel, the deadline, retries, request ids, health, errors."""
from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.client.deadline import capped
from services.client.retry import AttemptsFailed, RetryPolicy, call_with_retries
from services.common.request_id import METADATA_KEY, current_request_id, new_request_id
from services.common.tls import ClientTls, aio_channel

Reply = TypeVar("Reply")
DEFAULT_TIMEOUT = 2.0

# gRPC's defaults wait up to 20 s for a connection and back off up to 120 s between attempts; a
# server that restarts should be used again within a couple of seconds, and a silent one should
# fail fast (UNAVAILABLE) rather than hold every call to its deadline.
CHANNEL_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 250),
    ("grpc.min_reconnect_backoff_ms", 1000),  # also the connect timeout of one attempt
    ("grpc.max_reconnect_backoff_ms", 2000),
)


class CallError(Exception):
    """A call failed: which service and method, the gRPC status code, its details, attempts made."""

    def __init__(self, service: str, method: str, code: grpc.StatusCode, details: str, attempts: int = 1) -> None:
        super().__init__(f"{service}.{method}: {code.name}: {details}")
        self.service = service
        self.method = method
        self.code = code
        self.details = details
        self.attempts = attempts


class ServiceClient:
    """A grpc.aio channel to one service; every call has a deadline, retries and an x-request-id.

    `timeout` is the deadline of one logical call in seconds, retries included; inside
    `services.client.deadline.deadline(...)` (the gateway opens one per HTTP request) a call gets no
    more than the time left, and none at all once it is spent (DEADLINE_EXCEEDED). The request id is
    the `request_id` argument of a call, else `current_request_id` (set by a server interceptor or
    the gateway per HTTP request), else a fresh one. With `tls` (services.common.tls.client_tls) the
    channel speaks TLS and verifies the server against its CA; without, plaintext.
    Use as `async with` or call `close()`.
    """

    service = ""  # short name used in errors, e.g. "matcher"
    service_name = ""  # full gRPC service name, e.g. "movierec.v1.Matcher"
    channel_options: tuple[tuple[str, int], ...] = ()  # a subclass's own, after CHANNEL_OPTIONS

    def __init__(self, address: str, *, timeout: float = DEFAULT_TIMEOUT, retry: RetryPolicy = RetryPolicy(),
                 seed: int | None = None, tls: ClientTls | None = None) -> None:
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        self.address = address
        self.timeout = timeout
        self.retry = retry
        self.channel = aio_channel(address, tls, [*CHANNEL_OPTIONS, *self.channel_options])
        self._health = health_pb2_grpc.HealthStub(self.channel)
        self._rng = random.Random(seed)  # backoff jitter only

    async def call(self, method: str, rpc: Callable[..., Awaitable[Reply]], request: object, *,
                   timeout: float | None = None, request_id: str | None = None,
                   retry: RetryPolicy | None = None) -> Reply:
        """Runs one unary RPC of this client's stub under the policy (`retry`, else the client's; pass
        NO_RETRY for a call that is not idempotent); a failure raises CallError."""
        rid = request_id or current_request_id.get() or new_request_id()
        budget = capped(timeout or self.timeout)
        if budget <= 0:  # nothing left for this call: fail without sending it
            raise CallError(self.service, method, grpc.StatusCode.DEADLINE_EXCEEDED,
                            "the deadline of the work this call belongs to has passed; not sent", 0)
        try:
            reply, _ = await call_with_retries(
                rpc, request, timeout=budget, metadata=((METADATA_KEY, rid),), policy=retry or self.retry,
                rng=self._rng)
        except AttemptsFailed as failed:
            raise CallError(self.service, method, failed.error.code(), failed.error.details() or "",
                            failed.attempts) from None
        return reply

    async def healthy(self, timeout: float | None = None) -> bool:
        """True when the server answers SERVING for this client's service within the deadline (no retry)."""
        budget = capped(timeout or self.timeout)
        if budget <= 0:
            return False
        try:
            reply = await self._health.Check(health_pb2.HealthCheckRequest(service=self.service_name),
                                             timeout=budget)
        except grpc.aio.AioRpcError:
            return False
        return reply.status == health_pb2.HealthCheckResponse.SERVING

    async def close(self) -> None:
        await self.channel.close()

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
