"""Scorer gRPC servicer: validates requests, calls the HybridModel, builds replies."""
from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Callable
from typing import Any

import grpc
import numpy as np

from movierec.artifact import ArtifactError
from movierec.ranking.parts import DRIVER_GENRE, DRIVER_INPUTS, DRIVER_POPULARITY
from movierec.v1 import common_pb2, scorer_pb2, scorer_pb2_grpc
from services.common.validation import count_or_default
from services.scorer.lease import VersionLeases
from services.scorer.model import LIKED_RATING, HybridModel, Ranked, UnknownIdError

MAX_LIKED = 100
MAX_BATCH = 100  # RecommendBatch items per call; each costs about one Recommend
MAX_K = 100
DEFAULT_K = 10
MAX_EXCLUDE = 10_000
MAX_GENRES = 50
MAX_GET_MOVIES = 10_000
MAX_HISTORY = 500  # GetModelHistory runs per call (the history reader keeps as many)
DEFAULT_HISTORY = 100
RATING_RANGE = (0.5, 5.0)
YEAR_RANGE = (0, 3000)

# parts.explanations' drivers as the contract's enum ("" = nothing positive to explain).
DRIVERS = {"": scorer_pb2.DRIVER_UNSPECIFIED, DRIVER_INPUTS: scorer_pb2.DRIVER_INPUTS,
           DRIVER_GENRE: scorer_pb2.DRIVER_GENRE, DRIVER_POPULARITY: scorer_pb2.DRIVER_POPULARITY}
INVALID = grpc.StatusCode.INVALID_ARGUMENT
log = logging.getLogger(__name__)


class ModelFailure(RuntimeError):
    """The model failed on a request that passed every check: a bug, not the caller's mistake."""


def _k(value: int, field: str) -> int:
    return count_or_default(value, field, MAX_K, DEFAULT_K)


def _filters(request) -> tuple[list[str], int, int]:
    """Genres and year bounds of a RecommendRequest; ValueError says what to fix."""
    genres = list(dict.fromkeys(request.genres))
    if len(genres) > MAX_GENRES:
        raise ValueError(f"at most {MAX_GENRES} genres, got {len(genres)}")
    lo, hi = request.year_min, request.year_max
    for name, year in (("year_min", lo), ("year_max", hi)):
        if not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
            raise ValueError(f"{name} must be between {YEAR_RANGE[0]} and {YEAR_RANGE[1]} (0 = no bound), got {year}")
    if lo and hi and lo > hi:
        raise ValueError(f"year_min {lo} is after year_max {hi}")
    return genres, lo, hi


def _unit_interval(request, field: str, default: float) -> float:
    """An optional [0, 1] field of a request, or default when absent; ValueError says what to fix."""
    if not request.HasField(field):
        return default
    value = getattr(request, field)
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{field} must be a number between 0 and 1, got {value}")
    return float(value)


def _alpha(request, default: float) -> float:
    return _unit_interval(request, "alpha", default)


class ScorerServicer(scorer_pb2_grpc.ScorerServicer):
    """Serves one HybridModel; `self.model` is replaced whole, so a swap is atomic per request."""

    def __init__(self, model: HybridModel, leases: VersionLeases | None = None,
                 history: Callable[[int], list[dict[str, Any]]] | None = None) -> None:
        self.model = model
        self.leases = leases or VersionLeases(0.0)
        self.history = history or (lambda limit: [])  # the retrain history's newest `limit` runs
        self._info: tuple[HybridModel, scorer_pb2.ModelInfo] | None = None  # built once per model
        self._movies: tuple[HybridModel | None, dict[int, common_pb2.Movie]] = (None, {})  # per model

    def _movie(self, model: HybridModel, row: int) -> common_pb2.Movie:
        """The Movie message of a catalog row, built once per model: copying it into a reply costs
        half of building it again (bench/ranking/RESULTS.md)."""
        if self._movies[0] is not model:
            self._movies = (model, {})
        cache = self._movies[1]
        message = cache.get(row)
        if message is None:
            m = model.movies[row]
            message = cache[row] = common_pb2.Movie(movie_id=m.movie_id, title=m.title, year=m.year, genres=m.genres)
        return message

    def _fill(self, model: HybridModel, ranked: Ranked, into) -> None:
        """Appends the ranked movies to a repeated ScoredMovie field. Messages are added in place: building
        them apart and passing lists copies each one again (2.5x slower, bench/ranking/RESULTS.md)."""
        movies = model.movies
        rows = ranked.rows.tolist()
        if not ranked.drivers:  # not explained (SimilarMovies)
            for r, s, c, g in zip(rows, ranked.score.tolist(), ranked.collaborative.tolist(), ranked.content.tolist()):
                into.add(movie=self._movie(model, r), score=s, collaborative=c, content=g)
            return
        assert ranked.genre_share is not None and ranked.popularity_share is not None
        for r, s, c, g, why, driver, genre, pop in zip(
                rows, ranked.score.tolist(), ranked.collaborative.tolist(), ranked.content.tolist(), ranked.reasons,
                ranked.drivers, ranked.genre_share.tolist(), ranked.popularity_share.tolist()):
            scored = into.add(movie=self._movie(model, r), score=s, collaborative=c, content=g,
                              driver=DRIVERS[driver], genre_share=genre, popularity_share=pop)
            for i, share in why:
                scored.because.add(movie_id=movies[i].movie_id, title=movies[i].title, share=share)

    def _recommend(self, model: HybridModel, request) -> scorer_pb2.RecommendResponse:
        """One RecommendRequest answered by `model`; ValueError = INVALID_ARGUMENT, UnknownIdError = NOT_FOUND.

        Only the request checks raise those two; a failure inside the model is left to propagate
        (UNKNOWN for the caller, a logged traceback) rather than passed off as the caller's mistake.
        """
        if not request.liked:
            raise ValueError("liked must hold at least one movie")
        if len(request.liked) > MAX_LIKED:
            raise ValueError(f"at most {MAX_LIKED} liked movies, got {len(request.liked)}")
        if len(request.exclude_movie_ids) > MAX_EXCLUDE:
            raise ValueError(f"at most {MAX_EXCLUDE} excluded movies, got {len(request.exclude_movie_ids)}")
        ratings: dict[int, float] = {}  # a repeated movie keeps its last rating
        for liked in request.liked:
            rating = liked.rating if liked.HasField("rating") else LIKED_RATING
            if not math.isfinite(rating) or not RATING_RANGE[0] <= rating <= RATING_RANGE[1]:
                raise ValueError(f"rating of movie {liked.movie_id} must be in {RATING_RANGE}, got {rating}")
            ratings[liked.movie_id] = rating
        k, alpha = _k(request.top_k, "top_k"), _alpha(request, model.default_alpha)
        diversity = _unit_interval(request, "diversity", 0.0)
        allowed = model.allowed(*_filters(request))
        if request.skip_unknown_liked:
            ratings = {m: r for m, r in ratings.items() if model.item_row(m) is not None}
            if not ratings:
                return scorer_pb2.RecommendResponse(model_version=model.version, alpha=alpha)
        rows = model.rows_of(list(ratings))
        exclude = [r for r in map(model.item_row, request.exclude_movie_ids) if r is not None]
        try:
            ranked = model.recommend(rows, np.fromiter(ratings.values(), np.float32, len(ratings)), k, alpha,
                                     np.asarray(exclude, dtype=np.int64), allowed, diversity=diversity)
        except (ValueError, KeyError) as e:
            raise ModelFailure(f"{type(e).__name__}: {e}") from e
        response = scorer_pb2.RecommendResponse(model_version=model.version, alpha=alpha)
        self._fill(model, ranked, response.recommendations)
        if request.include_inputs:  # the same model's entries: titles never mix versions across a hot reload
            response.inputs.extend([self._movie(model, r) for r in rows.tolist()])
        return response

    async def Recommend(self, request, context):
        try:
            return self._recommend(self.model, request)
        except ValueError as e:
            await context.abort(INVALID, str(e))
        except UnknownIdError as e:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(e))
        except ModelFailure:
            log.exception("model failure")
            await context.abort(grpc.StatusCode.INTERNAL, "internal error in the model; the request was valid")

    async def PredictRating(self, request, context):
        model = self.model
        try:
            rating = model.predict(request.user_id, request.movie_id)
        except UnknownIdError as e:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(e))
        return scorer_pb2.PredictRatingResponse(predicted_rating=rating, model_version=model.version)

    async def SimilarMovies(self, request, context):
        model = self.model
        try:
            k, alpha = _k(request.k, "k"), _alpha(request, model.default_alpha)
        except ValueError as e:
            await context.abort(INVALID, str(e))
        row = model.item_row(request.movie_id)
        if row is None:
            await context.abort(grpc.StatusCode.NOT_FOUND, f"movie {request.movie_id} is not in model {model.version}")
        ranked = model.similar(row, k, alpha)
        response = scorer_pb2.SimilarMoviesResponse(movie=self._movie(model, row), model_version=model.version)
        self._fill(model, ranked, response.similar)
        return response

    def _model_info(self, model: HybridModel) -> scorer_pb2.ModelInfo:
        m = model.manifest
        dataset = m.get("dataset", {})
        metrics = {k: float(v) for k, v in m.get("metrics", {}).items() if isinstance(v, (int, float))}
        params = {k: json.dumps(v) for k, v in m.get("params", {}).items()}
        return scorer_pb2.ModelInfo(
            model_version=model.version, dataset=str(dataset.get("name", "")), trained_at=str(m.get("created_at", "")),
            metrics=metrics, params=params, n_users=int(dataset.get("n_users", len(model.user_row))),
            n_movies=model.n_items, n_ratings=int(dataset.get("n_ratings", 0)), default_alpha=model.default_alpha)

    async def GetModelInfo(self, request, context):
        model = self.model
        if self._info is None or self._info[0] is not model:
            self._info = (model, self._model_info(model))
        reply = scorer_pb2.ModelInfo()
        reply.CopyFrom(self._info[1])
        reply.version_lease_ms = round(1000 * self.leases.grant())
        return reply

    async def GetDatasetStats(self, request, context):
        model = self.model
        if model.stats is None:
            await context.abort(grpc.StatusCode.NOT_FOUND,
                                f"model {model.version} has no dataset statistics (stats.json); retrain it with "
                                "`python -m trainer train` to get them")
        return scorer_pb2.DatasetStats(model_version=model.version, stats_json=json.dumps(model.stats))

    async def GetMovies(self, request, context):
        model = self.model
        if len(request.movie_ids) > MAX_GET_MOVIES:
            await context.abort(INVALID, f"at most {MAX_GET_MOVIES:,} movie ids per call, got "
                                         f"{len(request.movie_ids):,}; split the list")
        rows = [model.item_row(m) for m in dict.fromkeys(request.movie_ids)]
        return scorer_pb2.GetMoviesResponse(movies=[self._movie(model, r) for r in rows if r is not None],
                                            model_version=model.version)

    async def RecommendBatch(self, request, context):
        model = self.model  # one model for every item, even across a hot reload
        if not request.requests:
            await context.abort(INVALID, "requests must hold at least one RecommendRequest")
        if len(request.requests) > MAX_BATCH:
            await context.abort(INVALID, f"at most {MAX_BATCH} requests per batch, got {len(request.requests)}; "
                                         "split the batch")
        results = []
        for i, item in enumerate(request.requests):
            try:
                result = scorer_pb2.RecommendBatchResult(response=self._recommend(model, item))
            except ValueError as e:
                result = scorer_pb2.RecommendBatchResult(code=INVALID.value[0], error=f"requests[{i}]: {e}")
            except UnknownIdError as e:
                result = scorer_pb2.RecommendBatchResult(code=grpc.StatusCode.NOT_FOUND.value[0],
                                                         error=f"requests[{i}]: {e}")
            except ModelFailure:
                log.exception("model failure in a batch item", extra={"item": i})
                result = scorer_pb2.RecommendBatchResult(code=grpc.StatusCode.INTERNAL.value[0],
                                                         error=f"requests[{i}]: internal error")
            results.append(result)
            await asyncio.sleep(0)  # let other calls in between items: a batch must not stall the server
        return scorer_pb2.RecommendBatchResponse(results=results, model_version=model.version)

    async def GetModelHistory(self, request, context):
        try:
            limit = count_or_default(request.limit, "limit", MAX_HISTORY, DEFAULT_HISTORY)
        except ValueError as e:
            await context.abort(INVALID, str(e))
        model = self.model
        try:
            runs = await asyncio.to_thread(self.history, limit)
        except ArtifactError as e:
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"the retrain history cannot be read: {e}")
        return scorer_pb2.ModelHistory(runs=[_run(r) for r in runs], model_version=model.version)


def _figures(f: dict[str, Any] | None) -> scorer_pb2.GateFigures | None:
    """A history entry's figures block as GateFigures (None stays unset; a missing figure is absent)."""
    if not isinstance(f, dict):
        return None
    number = {k: float(v) for k, v in f.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    return scorer_pb2.GateFigures(**{k: number[k] for k in scorer_pb2.GateFigures.DESCRIPTOR.fields_by_name
                                     if k in number})


def _run(entry: dict[str, Any]) -> scorer_pb2.RetrainRun:
    """One retrain_history.jsonl entry (movierec/retrain_history.py) as a RetrainRun."""
    data: dict[str, Any] = entry["data"] if isinstance(entry.get("data"), dict) else {}
    serving: dict[str, Any] | None = entry["serving"] if isinstance(entry.get("serving"), dict) else None

    def count(key: str) -> int:
        value = data.get(key, 0)
        return int(value) if isinstance(value, (int, float)) else 0

    seconds = entry.get("seconds", 0.0)
    return scorer_pb2.RetrainRun(
        time=str(entry.get("time", "")), version=entry["version"], promoted=entry["outcome"] == "promoted",
        reason=str(entry.get("reason", "")), candidate=_figures(entry.get("candidate")),
        serving_version=str(serving.get("version", "")) if serving else "", serving=_figures(serving),
        ratings=count("ratings"), app_ratings=count("app_ratings"), app_accounts=count("app_accounts"),
        seconds=float(seconds) if isinstance(seconds, (int, float)) else 0.0)
