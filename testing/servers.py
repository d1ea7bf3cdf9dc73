"""A servicer served on a free loopback port for the length of a `with` block: how tests and benchmarks start one."""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from movierec.v1 import matcher_pb2_grpc, scorer_pb2_grpc
from services.common.grpc_server import GrpcService

# servicer base class -> (service name for health and reflection, the generated add-to-server function)
_SERVICES: dict[type, tuple[str, Callable[[Any, Any], None]]] = {
    matcher_pb2_grpc.MatcherServicer: ("movierec.v1.Matcher", matcher_pb2_grpc.add_MatcherServicer_to_server),
    scorer_pb2_grpc.ScorerServicer: ("movierec.v1.Scorer", scorer_pb2_grpc.add_ScorerServicer_to_server),
}


def grpc_service(servicer: Any, grace: float = 0.5, **options: Any) -> GrpcService:
    """A GrpcService (not started) for servicer on 127.0.0.1, port chosen by the system; options go to GrpcService."""
    for base, (name, add) in _SERVICES.items():
        if isinstance(servicer, base):
            return GrpcService(name, "127.0.0.1:0", partial(add, servicer), grace=grace, **options)
    raise TypeError(f"no service known for {type(servicer).__name__}")


@asynccontextmanager
async def serving(servicer: Any, grace: float = 0.5, **options: Any) -> AsyncIterator[GrpcService]:
    """The started GrpcService of servicer (its .address and .port), stopped when the block ends."""
    service = grpc_service(servicer, grace, **options)
    await service.start()
    try:
        yield service
    finally:
        await service.stop()
