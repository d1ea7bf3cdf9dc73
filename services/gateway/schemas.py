"""Request and response models of the public HTTP API (field names are what existing clients use)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    StrictFloat,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)

from services.gateway.cache import ALPHA_DECIMALS

# Ids travel as int64 in the gRPC contract, but JSON parsers (JavaScript, and fuzzers that read the
# schema's maximum as a float) hold integers exactly only up to 2**53 - 1: that is the API's maximum.
MAX_ID = 2**53 - 1
# What Python's str.strip removes (the matcher strips with it), as a regex class that Python, pydantic's
# Rust regex and JSON Schema (ECMA-262) read alike: a text must hold one character outside it.
PYTHON_WHITESPACE = "".join(f"\\u{c:04x}" for c in range(0x3001) if chr(c).isspace())
NOT_BLANK = f"[^{PYTHON_WHITESPACE}]"


def not_blank(value: str) -> str:
    """The value as it is, refused when Python's str.strip would leave nothing."""
    _python_strip(value)
    return value


def _python_strip(value: str) -> str:
    """Strips what Python's str.strip does (the matcher's check): pydantic's strip keeps \x1c-\x1f."""
    stripped = value.strip()
    if not stripped:
        raise ValueError("must not be empty or only whitespace")
    return stripped


# The pattern is stated in the schema (for generated clients and fuzzers); _python_strip enforces it
# with a message people can read.
_STATES_NOT_BLANK = Field(json_schema_extra={"pattern": NOT_BLANK})
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                  AfterValidator(_python_strip), _STATES_NOT_BLANK]


def _json_number(kind: str):
    """A check that lets only JSON numbers through: pydantic's lax mode would read true/false as 1/0
    and "0.7" as 0.7, so a client's quoting bug would pass silently (and be cached under another key)."""
    def check(value: object) -> object:
        if isinstance(value, bool):
            raise ValueError(f"expected a JSON {kind}, got the boolean {str(value).lower()}")
        if isinstance(value, str):
            raise ValueError(f"expected a JSON {kind}, got the string {value[:20]!r}; write it without quotes")
        return value
    return check


# The strict types refuse strings anyway; the check before them words the refusal. StrictFloat
# takes JSON integers too (1 -> 1.0), StrictInt refuses 3.0. Range constraints go before the check
# (or on the field): after it, pydantic can no longer put them in the OpenAPI schema as minimum/maximum.
_NUMBER = BeforeValidator(_json_number("number"))
_INTEGER = BeforeValidator(_json_number("integer"))
Number = Annotated[StrictFloat, _NUMBER]
Integer = Annotated[StrictInt, _INTEGER]
Id = Annotated[StrictInt, Field(ge=1, le=MAX_ID), _INTEGER]
Alpha = Annotated[StrictFloat, Field(ge=0.0, le=1.0, allow_inf_nan=False), _NUMBER]
Diversity = Alpha  # the same finite JSON number in [0, 1]
DependencyState = Literal["ok", "down"]


Genre = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50),
                  AfterValidator(_python_strip), _STATES_NOT_BLANK]
Year = Annotated[StrictInt, Field(ge=1800, le=3000), _INTEGER]


class RatedTitle(BaseModel):
    title: Title
    rating: Number = Field(ge=0.5, le=5.0, allow_inf_nan=False,
                          description="MovieLens scale: 5 loved, 3 neutral, 1 disliked (pushes similar movies down).")


class RecommendRequest(BaseModel):
    movies: list[Title | RatedTitle] = Field(
        min_length=1, max_length=20,
        description='Titles as people type them, or {"title", "rating"} objects; a plain title counts as liked (5).')
    top_k: Integer = Field(10, ge=1, le=100)
    alpha: Alpha | None = Field(
        None, description="Weight of the collaborative part (people who liked the same movies) vs genre "
                          "similarity; absent = the model's default, chosen by the held-out-user evaluation.")
    genres: list[Genre] = Field(default_factory=list, max_length=20,
                                description="Only movies with at least one of these genres.")
    year_min: Year | None = Field(None, description="Only movies released in or after this year.")
    year_max: Year | None = Field(None, description="Only movies released in or before this year.")
    exclude_movie_ids: list[Id] = Field(default_factory=list, max_length=1000,
                                        description="Movies never to recommend, e.g. already seen.")
    diversity: Diversity | None = Field(
        None, description="Variety of the list, 0..1: absent or 0 is the model's own ranking; higher values re-rank "
                          "the best candidates so that each differs from those above it (maximal marginal "
                          "relevance), at some cost in accuracy (bench/ranking/RESULTS.md).")

    @model_validator(mode="after")
    def _years_in_order(self) -> "RecommendRequest":
        if self.year_min is not None and self.year_max is not None and self.year_min > self.year_max:
            raise ValueError(f"year_min {self.year_min} is after year_max {self.year_max}")
        return self

    def titles(self) -> list[str]:
        return [m if isinstance(m, str) else m.title for m in self.movies]

    def ratings(self) -> list[float | None]:
        """The rating given with each title, None for a plain title."""
        return [None if isinstance(m, str) else m.rating for m in self.movies]

    def options(self) -> dict:
        """Everything besides titles, top_k and alpha that changes the answer (empty when nothing does)."""
        options = {"ratings": self.ratings() if any(r is not None for r in self.ratings()) else None,
                   "genres": sorted(set(self.genres)) or None, "year_min": self.year_min, "year_max": self.year_max,
                   "exclude": sorted(set(self.exclude_movie_ids)) or None,
                   "diversity": self.diversity or None}  # 0 ranks exactly as absent: one cache entry
        return {k: v for k, v in options.items() if v is not None}

    @field_validator("alpha", "diversity")
    @classmethod
    def _round_alpha(cls, value: float | None) -> float | None:
        # Applied and cached at this precision, so a cached answer is exactly what would be computed.
        return None if value is None else round(value, ALPHA_DECIMALS)


class MovieOut(BaseModel):
    movieId: int
    title: str
    year: int | None = Field(description="null when the dataset does not know it")
    genres: list[str]


class Reason(BaseModel):
    movieId: int
    title: str
    share: float = Field(description="This input's share of the recommendation's collaborative score (of its "
                                     "positive parts: the input movies' terms and popularity's), 0.25..1.")


class Explanation(BaseModel):
    because_you_liked: list[Reason] = Field(
        description="Input movies that carried it (at least a quarter of the collaborative score each), at most "
                    "3, largest first; empty unless driver is 'your movies'.")
    driver: Literal["your movies", "genre", "popularity"] | None = Field(
        None, description="What carried the score most: 'genre' or 'popularity' when that part is at least half "
                          "of the score's positive parts, else 'your movies'; null when nothing was positive.")
    genre_share: float = Field(0.0, description="The genre part's share of the score's positive parts, 0..1.")
    popularity_share: float = Field(0.0, description="Popularity's share of the score's positive parts, 0..1.")
    collaborative: float = Field(description="alpha * the standardised collaborative score (part of score).")
    genre: float = Field(description="(1 - alpha) * the standardised genre-similarity score (the rest of score).")


class ScoredMovieOut(MovieOut):
    score: float
    explanation: Explanation | None = None


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
    diversity: float = Field(0.0, description="The diversity applied (0 = the model's own ranking).")
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
    profiles: DependencyState
    redis: DependencyState


class HealthResponse(BaseModel):
    status: Literal["ok", "degraded", "down"]
    model_version: str | None
    dependencies: Dependencies
