"""The services' one server interceptor: handlers wrapped once per method, unknown methods not kept, the
start-up heap frozen before SERVING."""
from __future__ import annotations

import gc

import grpc
import pytest

from movierec.artifact import load_catalog
from movierec.v1 import matcher_pb2, matcher_pb2_grpc
from services.matcher.index import TitleIndex
from services.matcher.server import MatcherServicer
from testing.servers import serving

RESOLVE = "/movierec.v1.Matcher/Resolve"


@pytest.fixture
async def service(tiny_artifact_root):
    manifest, movies = load_catalog(tiny_artifact_root)
    async with serving(MatcherServicer(TitleIndex(movies), manifest["version"]), grace=0) as service:
        yield service


@pytest.mark.integration
async def test_each_method_is_wrapped_once_and_unknown_methods_are_not_kept(service) -> None:
    assert gc.get_freeze_count() > 0  # start() froze the heap before saying SERVING
    async with grpc.aio.insecure_channel(service.address) as channel:
        stub = matcher_pb2_grpc.MatcherStub(channel)
        for n in range(3):
            reply = await stub.Resolve(matcher_pb2.ResolveRequest(queries=["toy story"]), timeout=5,
                                       metadata=(("x-request-id", f"call-{n}"),))
            assert reply.results[0].matched
        wrapped = service.interceptor._handlers[RESOLVE]
        await stub.Resolve(matcher_pb2.ResolveRequest(queries=["heat"]), timeout=5)
        assert service.interceptor._handlers[RESOLVE] is wrapped  # built once, reused by every call
        for n in range(5):  # methods nobody registered: UNIMPLEMENTED, and nothing kept for them
            unknown = channel.unary_unary(f"/movierec.v1.Matcher/NoSuch{n}", request_serializer=None,
                                          response_deserializer=None)
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await unknown(b"", timeout=5)
            assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert [m for m in service.interceptor._handlers if "NoSuch" in m] == []
