"""Request and response models of the public HTTP API (field names are what existing clients use)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictInt, StringConstraints, field_validator

from services.gateway.cache import ALPHA_DECIMALS

MAX_ID = 2**63 - 1  # ids travel as int64 in the gRPC contract

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
Alpha = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
DependencyState = Literal["ok", "down"]


class RecommendRequest(BaseModel):
    movies: list[Title] = Field(min_length=1, max_length=20, description="Titles as people type them.")
    top_k: StrictInt = Field(10, ge=1, le=100)
    alpha: Alpha | None = Field(
        None, description="Weight of taste-alike users vs genre similarity; absent = the model's default.")

    @field_validator("alpha")
    @classmethod
    def _round_alpha(cls, value: float | None) -> float | None:
        # Applied and cached at this precision, so a cached answer is exactly what would be computed.
        return None if value is None else round(value, ALPHA_DECIMALS)


class MovieOut(BaseModel):
    movieId: int
    title: str
    year: int | None = Field(description="null when the dataset does not know it")
    genres: list[str]


class ScoredMovieOut(MovieOut):
    score: float


class ResolvedMovie(BaseModel):
    query: str
    movieId: int
    title: str
    year: int | None
    confidence: float


class Suggestion(BaseModel):
    movieId: int
    title: str
    year: int | None
    confidence: float


class RecommendResponse(BaseModel):
    input_movies: list[str] = Field(description="Catalog titles of the movies that resolved, without repeats.")
    missing_movies: list[str] = Field(description="Queries that did not resolve.")
    recommendations: list[ScoredMovieOut]
    resolved: list[ResolvedMovie]
    suggestions: dict[str, list[Suggestion]] = Field(description="Missing query -> did-you-mean candidates.")
    model_version: str
    alpha: float | None = Field(description="The alpha applied (null only when unknown because nothing resolved).")
    cached: bool


class PredictRatingRequest(BaseModel):
    user_id: Id
    movie_id: Id


class PredictRatingResponse(BaseModel):
    user_id: int
    movie_id: int
    predicted_rating: float
    model_version: str


class SearchResult(MovieOut):
    confidence: float


class SearchResponse(BaseModel):
    query: str
    results: list[SearchResult]
    catalog_version: str


class SimilarResponse(BaseModel):
    movie: MovieOut
    similar: list[ScoredMovieOut]
    model_version: str


class ModelInfoResponse(BaseModel):
    model_version: str
    dataset: str
    trained_at: str
    metrics: dict[str, float | None]
    params: dict[str, object]
    n_users: int
    n_movies: int
    n_ratings: int
    default_alpha: float


class Dependencies(BaseModel):
    matcher: DependencyState
    scorer: DependencyState
    redis: DependencyState


class HealthResponse(BaseModel):
    status: Literal["ok", "degraded", "down"]
    model_version: str | None
    dependencies: Dependencies
