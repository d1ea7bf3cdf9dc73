"""Long-lived grpc.aio channels to the matcher and scorer, a deadline on every call, health checks."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from movierec.v1 import matcher_pb2, matcher_pb2_grpc, scorer_pb2, scorer_pb2_grpc
from services.gateway.errors import BackendError
from services.gateway.settings import GatewaySettings

MATCHER = "matcher"
SCORER = "scorer"

# gRPC's defaults wait up to 20 s for a connection and back off up to 120 s between attempts; a
# backend that restarts should be used again within a couple of seconds, and a silent one should
# fail fast (UNAVAILABLE) rather than hold every call to its deadline.
_CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 250),
    ("grpc.min_reconnect_backoff_ms", 1000),  # also the connect timeout of one attempt
    ("grpc.max_reconnect_backoff_ms", 2000),
]

Reply = TypeVar("Reply")


class Backend:
    """One backend: a channel opened once, its gRPC service name and the standard health stub."""

    def __init__(self, name: str, address: str, service_name: str, timeout: float) -> None:
        self.name = name
        self.address = address
        self.service_name = service_name  # e.g. "movierec.v1.Matcher", as registered with the health servicer
        self.timeout = timeout
        self.channel = grpc.aio.insecure_channel(address, options=_CHANNEL_OPTIONS)
        self._health = health_pb2_grpc.HealthStub(self.channel)

    async def _call(self, method: str, rpc: Callable[..., Awaitable[Reply]], request: object) -> Reply:
        """Runs one unary call under the deadline; any gRPC failure becomes a BackendError."""
        try:
            return await rpc(request, timeout=self.timeout)
        except grpc.aio.AioRpcError as exc:
            raise BackendError(self.name, method, exc.code(), exc.details() or "") from None

    async def healthy(self) -> bool:
        """True when the backend answers SERVING for its service within the deadline."""
        try:
            reply = await self._health.Check(
                health_pb2.HealthCheckRequest(service=self.service_name), timeout=self.timeout)
        except grpc.aio.AioRpcError:
            return False
        return reply.status == health_pb2.HealthCheckResponse.SERVING

    async def close(self) -> None:
        await self.channel.close()


class MatcherClient(Backend):
    """Matcher calls: free-text titles to catalog movies."""

    def __init__(self, address: str, timeout: float) -> None:
        super().__init__(MATCHER, address, matcher_pb2.DESCRIPTOR.services_by_name["Matcher"].full_name, timeout)
        self._stub = matcher_pb2_grpc.MatcherStub(self.channel)

    async def resolve(self, queries: list[str], max_alternatives: int = 3) -> matcher_pb2.ResolveResponse:
        request = matcher_pb2.ResolveRequest(queries=queries, max_alternatives=max_alternatives)
        return await self._call("Resolve", self._stub.Resolve, request)

    async def suggest(self, prefix: str, limit: int) -> matcher_pb2.SuggestResponse:
        return await self._call("Suggest", self._stub.Suggest, matcher_pb2.SuggestRequest(prefix=prefix, limit=limit))


class ScorerClient(Backend):
    """Scorer calls: recommendations, rating predictions, similar movies, model info."""

    def __init__(self, address: str, timeout: float) -> None:
        super().__init__(SCORER, address, scorer_pb2.DESCRIPTOR.services_by_name["Scorer"].full_name, timeout)
        self._stub = scorer_pb2_grpc.ScorerStub(self.channel)

    async def recommend(self, movie_ids: Iterable[int], top_k: int, alpha: float | None,
                        ratings: dict[int, float] | None = None, genres: Iterable[str] = (),
                        year_min: int | None = None, year_max: int | None = None,
                        exclude: Iterable[int] = ()) -> scorer_pb2.RecommendResponse:
        """ratings: movie id -> rating for the movies that came with one (the others count as liked)."""
        ratings = ratings or {}
        request = scorer_pb2.RecommendRequest(
            liked=[scorer_pb2.LikedMovie(movie_id=m, rating=ratings.get(m)) for m in movie_ids], top_k=top_k,
            alpha=alpha, genres=list(genres), year_min=year_min or 0, year_max=year_max or 0,
            exclude_movie_ids=list(exclude))
        return await self._call("Recommend", self._stub.Recommend, request)

    async def predict_rating(self, user_id: int, movie_id: int) -> scorer_pb2.PredictRatingResponse:
        request = scorer_pb2.PredictRatingRequest(user_id=user_id, movie_id=movie_id)
        return await self._call("PredictRating", self._stub.PredictRating, request)

    async def similar_movies(self, movie_id: int, k: int, alpha: float | None) -> scorer_pb2.SimilarMoviesResponse:
        request = scorer_pb2.SimilarMoviesRequest(movie_id=movie_id, k=k, alpha=alpha)
        return await self._call("SimilarMovies", self._stub.SimilarMovies, request)

    async def model_info(self) -> scorer_pb2.ModelInfo:
        return await self._call("GetModelInfo", self._stub.GetModelInfo, scorer_pb2.ModelInfoRequest())


class Backends:
    """The two clients the app holds for its lifetime; built in the lifespan, closed on shutdown."""

    def __init__(self, matcher: MatcherClient, scorer: ScorerClient) -> None:
        self.matcher = matcher
        self.scorer = scorer

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> Backends:
        timeout = settings.rpc_timeout_seconds
        return cls(MatcherClient(settings.matcher_address, timeout), ScorerClient(settings.scorer_address, timeout))

    async def close(self) -> None:
        await self.matcher.close()
        await self.scorer.close()
