"""Typed client of movierec.v1.Matcher: free-text titles to catalog movies."""
from __future__ import annotations

from movierec.v1 import matcher_pb2, matcher_pb2_grpc
from services.client.base import ServiceClient


class MatcherClient(ServiceClient):
    """`MatcherClient("127.0.0.1:50051")`; every method is one RPC (see protos/movierec/v1/matcher.proto)."""

    service = "matcher"
    service_name = matcher_pb2.DESCRIPTOR.services_by_name["Matcher"].full_name

    def __init__(self, address: str, **options) -> None:
        super().__init__(address, **options)
        self.stub = matcher_pb2_grpc.MatcherStub(self.channel)

    async def resolve(self, queries: list[str], max_alternatives: int = 0, *,
                      request_id: str | None = None) -> matcher_pb2.ResolveResponse:
        """One result per query, in order (1..50 queries; max_alternatives 0 = 3, at most 10)."""
        request = matcher_pb2.ResolveRequest(queries=queries, max_alternatives=max_alternatives)
        return await self.call("Resolve", self.stub.Resolve, request, request_id=request_id)

    async def suggest(self, prefix: str, limit: int = 0, *,
                      request_id: str | None = None) -> matcher_pb2.SuggestResponse:
        """Autocomplete for a typed prefix, best first (limit 0 = 10, at most 50)."""
        request = matcher_pb2.SuggestRequest(prefix=prefix, limit=limit)
        return await self.call("Suggest", self.stub.Suggest, request, request_id=request_id)
