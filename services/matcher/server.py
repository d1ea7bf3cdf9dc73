"""Matcher gRPC servicer: validates requests, asks the TitleIndex, builds replies."""
from __future__ import annotations

import grpc

from movierec.artifact import CatalogMovie
from movierec.v1 import common_pb2, matcher_pb2, matcher_pb2_grpc
from services.common.validation import count_or_default, non_blank_text
from services.matcher.index import Candidate, TitleIndex

# Limits from protos/movierec/v1/matcher.proto.
MAX_QUERIES = 50
MAX_QUERY_CHARS = 200
MAX_ALTERNATIVES = 10
DEFAULT_ALTERNATIVES = 3
MAX_PREFIX_CHARS = 200
MAX_SUGGESTIONS = 50
DEFAULT_SUGGESTIONS = 10


def _movie(m: CatalogMovie) -> common_pb2.Movie:
    return common_pb2.Movie(movie_id=m.movie_id, title=m.title, year=m.year, genres=m.genres)


def _candidate(candidate: Candidate) -> matcher_pb2.Candidate:
    return matcher_pb2.Candidate(movie=_movie(candidate.movie), confidence=candidate.confidence)


def _check_resolve(request: matcher_pb2.ResolveRequest) -> int:
    """The number of alternatives to return; raises ValueError saying what to fix."""
    if not request.queries:
        raise ValueError("queries must hold at least one title")
    if len(request.queries) > MAX_QUERIES:
        raise ValueError(f"at most {MAX_QUERIES} queries per call, got {len(request.queries)}; split the batch")
    for i, query in enumerate(request.queries):
        non_blank_text(query, f"queries[{i}]", MAX_QUERY_CHARS, "send a movie title")
    return count_or_default(request.max_alternatives, "max_alternatives", MAX_ALTERNATIVES, DEFAULT_ALTERNATIVES)


def _check_suggest(request: matcher_pb2.SuggestRequest) -> int:
    """The number of suggestions to return; raises ValueError saying what to fix."""
    non_blank_text(request.prefix, "prefix", MAX_PREFIX_CHARS, "send at least one character")
    return count_or_default(request.limit, "limit", MAX_SUGGESTIONS, DEFAULT_SUGGESTIONS)


class MatcherServicer(matcher_pb2_grpc.MatcherServicer):
    """Answers from one TitleIndex built at start-up; every reply names the artifact version."""

    def __init__(self, index: TitleIndex, catalog_version: str) -> None:
        self.index = index
        self.catalog_version = catalog_version
        # Movie messages already built, per movie id, for the index they came from: copying one into a
        # reply costs half of building it from the movie's fields.
        self._movies: dict[int, common_pb2.Movie] = {}
        self._movies_of = index

    def _fill(self, candidate: matcher_pb2.Candidate, found: Candidate) -> None:
        if self._movies_of is not self.index:  # a new catalog was swapped in
            self._movies, self._movies_of = {}, self.index
        movie = self._movies.get(found.movie.movie_id)
        if movie is None:
            movie = self._movies[found.movie.movie_id] = _movie(found.movie)
        candidate.movie.CopyFrom(movie)
        candidate.confidence = found.confidence

    async def Resolve(self, request: matcher_pb2.ResolveRequest,
                      context: grpc.aio.ServicerContext) -> matcher_pb2.ResolveResponse:
        try:
            max_alternatives = _check_resolve(request)
        except ValueError as e:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        reply = matcher_pb2.ResolveResponse(catalog_version=self.catalog_version)
        for query in request.queries:
            best, alternatives = self.index.resolve(query.strip(), max_alternatives)
            resolution = reply.results.add(query=query, matched=best is not None)
            if best is not None:
                self._fill(resolution.best, best)
            for alternative in alternatives:
                self._fill(resolution.alternatives.add(), alternative)
        return reply

    async def Suggest(self, request: matcher_pb2.SuggestRequest,
                      context: grpc.aio.ServicerContext) -> matcher_pb2.SuggestResponse:
        try:
            limit = _check_suggest(request)
        except ValueError as e:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        suggestions = [_candidate(c) for c in self.index.suggest(request.prefix.strip(), limit)]
        return matcher_pb2.SuggestResponse(suggestions=suggestions, catalog_version=self.catalog_version)
