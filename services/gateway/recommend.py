"""POST /recommend/titles: one Matcher.Resolve for the batch, one Scorer.Recommend, cached in Redis."""
from __future__ import annotations

from typing import Any

import grpc

from movierec.v1 import matcher_pb2
from services.client import CallError
from services.gateway import convert
from services.gateway.cache import recommend_key
from services.gateway.schemas import RecommendRequest
from services.gateway.state import GatewayState

MAX_ALTERNATIVES = 3  # did-you-mean candidates per missing title
# Share of the RPC deadline the pre-cache model version check may take (a healthy scorer answers
# in about a millisecond); when it does not answer in time the cache is skipped, not trusted.
VERSION_CHECK_SHARE = 0.25


def _resolutions(queries: list[str], reply: matcher_pb2.ResolveResponse) -> list[dict[str, Any]]:
    """Per query, in order: {"match": candidate or None, "alternatives": [candidates]}."""
    if len(reply.results) != len(queries):
        raise CallError("matcher", "Resolve", grpc.StatusCode.INTERNAL,
                           f"{len(reply.results)} results for {len(queries)} queries")
    return [{"match": convert.candidate(r.best) if r.matched else None,
             "alternatives": [convert.candidate(c) for c in r.alternatives]} for r in reply.results]


def _liked(resolutions: list[dict[str, Any]], ratings: list[float | None]) -> tuple[list[int], dict[int, float]]:
    """Resolved movie ids without repeats, in query order, and the rating given with each (the last one
    wins when a movie is named twice; movies without a rating count as liked)."""
    ids, rated = [], {}
    for resolution, rating in zip(resolutions, ratings, strict=True):
        if resolution["match"]:
            ids.append(resolution["match"]["movieId"])
            if rating is not None:
                rated[resolution["match"]["movieId"]] = rating
    return list(dict.fromkeys(ids)), rated


def _response(queries: list[str], answer: dict[str, Any], cached: bool, diversity: float | None) -> dict[str, Any]:
    """The response body from an answer (fresh or cached) and the queries as this request spelled them.

    The cache key ignores case and spacing, so the answer stores resolutions by position and the
    query strings echoed back always come from the current request.
    """
    resolved: list[dict[str, Any]] = []
    missing: list[str] = []
    suggestions: dict[str, Any] = {}
    titles: dict[int, str] = {}
    for query, resolution in zip(queries, answer["resolutions"], strict=True):
        match = resolution["match"]
        if match:
            resolved.append({"query": query, **match})
            titles.setdefault(match["movieId"], match["title"])
        else:
            missing.append(query)
            suggestions[query] = resolution["alternatives"]
    return {"input_movies": list(titles.values()), "missing_movies": missing,
            "recommendations": answer["recommendations"], "resolved": resolved, "suggestions": suggestions,
            "model_version": answer["model_version"], "alpha": answer["alpha"], "diversity": diversity or 0.0,
            "cached": cached}


async def recommend_titles(request: RecommendRequest, state: GatewayState) -> dict[str, Any]:
    """The response body (see schemas.RecommendResponse); CallError when a backend fails."""
    titles, options = request.titles(), request.options()
    known_version = await state.model.confirmed(state.settings.rpc_timeout_seconds * VERSION_CHECK_SHARE)
    if known_version:  # unknown version (scorer not answering): no entry can be trusted
        hit = await state.cache.get(recommend_key(titles, request.top_k, request.alpha, known_version, options))
        if hit is not None:
            try:
                return _response(titles, hit, cached=True, diversity=request.diversity)
            except (KeyError, TypeError, ValueError):  # not an entry this code wrote: recompute
                pass

    reply = await state.backends.matcher.resolve(titles, max_alternatives=MAX_ALTERNATIVES)
    resolutions = _resolutions(titles, reply)
    ids, ratings = _liked(resolutions, request.ratings())
    if ids:
        scored = await state.backends.scorer.recommend(
            ids, top_k=request.top_k, alpha=request.alpha, ratings=ratings, genres=request.genres,
            year_min=request.year_min, year_max=request.year_max, exclude=request.exclude_movie_ids,
            diversity=request.diversity)
        state.model.observe(scored.model_version)
        alpha = float(scored.alpha)
        recommendations = [convert.scored_movie(s, alpha) for s in scored.recommendations]
        answer: dict[str, Any] = {"resolutions": resolutions, "recommendations": recommendations,
                  "model_version": scored.model_version, "alpha": round(float(scored.alpha), 4)}
    else:  # nothing to score: the missing titles and their did-you-mean lists are the answer
        answer = {"resolutions": resolutions, "recommendations": [], "model_version": known_version,
                  "alpha": request.alpha if request.alpha is not None else state.model.default_alpha}

    if answer["model_version"]:
        key = recommend_key(titles, request.top_k, request.alpha, str(answer["model_version"]), options)
        await state.cache.set(key, answer)
    return _response(titles, answer, cached=False, diversity=request.diversity)
