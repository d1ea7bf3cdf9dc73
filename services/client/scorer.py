"""Typed client of movierec.v1.Scorer: recommendations, ratings, similar movies, model info."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from movierec.v1 import scorer_pb2, scorer_pb2_grpc
from services.client.base import ServiceClient


def recommend_request(movie_ids: Iterable[int], *, top_k: int = 0, alpha: float | None = None,
                      ratings: Mapping[int, float] | None = None, genres: Iterable[str] = (),
                      year_min: int | None = None, year_max: int | None = None,
                      exclude: Iterable[int] = (), skip_unknown: bool = False,
                      diversity: float | None = None, include_inputs: bool = False) -> scorer_pb2.RecommendRequest:
    """A RecommendRequest; `ratings` maps movie id -> 0.5..5 for the movies that have one (others = liked);
    with skip_unknown, movies the model does not know are left out instead of failing with NOT_FOUND;
    diversity in [0, 1] re-ranks for variety (None or 0: the model's own ranking); include_inputs asks for the liked
    movies' catalog entries in the reply."""
    ratings = ratings or {}
    return scorer_pb2.RecommendRequest(
        liked=[scorer_pb2.LikedMovie(movie_id=m, rating=ratings.get(m)) for m in movie_ids], top_k=top_k,
        alpha=alpha, genres=list(genres), year_min=year_min or 0, year_max=year_max or 0,
        exclude_movie_ids=list(exclude), skip_unknown_liked=skip_unknown, diversity=diversity,
        include_inputs=include_inputs)


class ScorerClient(ServiceClient):
    """`ScorerClient("127.0.0.1:50052")`; every method is one RPC (see protos/movierec/v1/scorer.proto)."""

    service = "scorer"
    service_name = scorer_pb2.DESCRIPTOR.services_by_name["Scorer"].full_name

    def __init__(self, address: str, **options) -> None:
        super().__init__(address, **options)
        self.stub = scorer_pb2_grpc.ScorerStub(self.channel)

    async def recommend(self, movie_ids: Iterable[int], *, request_id: str | None = None,
                        **options: Any) -> scorer_pb2.RecommendResponse:
        """Recommendations from liked (or rated) movie ids; options are recommend_request's keywords
        (top_k, alpha, ratings, genres, year_min, year_max, exclude, skip_unknown, diversity,
        include_inputs)."""
        request = recommend_request(movie_ids, **options)
        return await self.call("Recommend", self.stub.Recommend, request, request_id=request_id)

    async def recommend_batch(self, requests: Sequence[scorer_pb2.RecommendRequest], *,
                              request_id: str | None = None) -> scorer_pb2.RecommendBatchResponse:
        """Many people at once (1..100 requests built with recommend_request); results in order,
        each with its own `code` (0 = OK) — one bad item does not fail the others."""
        request = scorer_pb2.RecommendBatchRequest(requests=requests)
        return await self.call("RecommendBatch", self.stub.RecommendBatch, request, request_id=request_id)

    async def predict_rating(self, user_id: int, movie_id: int, *,
                             request_id: str | None = None) -> scorer_pb2.PredictRatingResponse:
        request = scorer_pb2.PredictRatingRequest(user_id=user_id, movie_id=movie_id)
        return await self.call("PredictRating", self.stub.PredictRating, request, request_id=request_id)

    async def similar_movies(self, movie_id: int, k: int = 0, alpha: float | None = None, *,
                             request_id: str | None = None) -> scorer_pb2.SimilarMoviesResponse:
        request = scorer_pb2.SimilarMoviesRequest(movie_id=movie_id, k=k, alpha=alpha)
        return await self.call("SimilarMovies", self.stub.SimilarMovies, request, request_id=request_id)

    async def model_info(self, *, timeout: float | None = None,
                         request_id: str | None = None) -> scorer_pb2.ModelInfo:
        return await self.call("GetModelInfo", self.stub.GetModelInfo, scorer_pb2.ModelInfoRequest(),
                               timeout=timeout, request_id=request_id)

    async def movies(self, movie_ids: Iterable[int], *,
                     request_id: str | None = None) -> scorer_pb2.GetMoviesResponse:
        """The catalog entries of up to 10,000 ids, in order; unknown ids are left out."""
        request = scorer_pb2.GetMoviesRequest(movie_ids=list(movie_ids))
        return await self.call("GetMovies", self.stub.GetMovies, request, request_id=request_id)

    async def dataset_stats(self, *, request_id: str | None = None) -> scorer_pb2.DatasetStats:
        """The serving artifact's stats.json (NOT_FOUND when it has none)."""
        return await self.call("GetDatasetStats", self.stub.GetDatasetStats, scorer_pb2.DatasetStatsRequest(),
                               request_id=request_id)

    async def model_history(self, limit: int = 0, *, request_id: str | None = None) -> scorer_pb2.ModelHistory:
        """The retrain runs, promoted or rejected, with their gate figures (oldest first; 0 = 100 newest)."""
        return await self.call("GetModelHistory", self.stub.GetModelHistory,
                               scorer_pb2.ModelHistoryRequest(limit=limit), request_id=request_id)
