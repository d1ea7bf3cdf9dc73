"""GET /me/recommendations: the scorer's fold-in from a person's stored ratings, their rated and marked movies out."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from movierec.v1 import common_pb2
from services.client import CallError
from services.gateway import convert
from services.gateway.state import GatewayState

MAX_LIKED = 100  # Scorer.Recommend's limit: the most recently rated movies are the ones folded in
MAX_EXCLUDE = 10_000  # Scorer.Recommend's limit on excluded ids
MAX_LOOKUP = 10_000  # Scorer.GetMovies's limit


async def movie_lookup(state: GatewayState, movie_ids: Iterable[int]) -> dict[int, common_pb2.Movie]:
    """Catalog entries by id from the serving model; {} when the scorer cannot answer (lists stay usable)."""
    ids = list(dict.fromkeys(movie_ids))[:MAX_LOOKUP]
    if not ids:
        return {}
    try:
        reply = await state.backends.scorer.movies(ids)
    except CallError:
        return {}
    return {m.movie_id: m for m in reply.movies}


async def personal_recommendations(state: GatewayState, token: str, top_k: int,
                                   diversity: float = 0.0) -> dict[str, Any]:
    """The /recommend/titles reply shape for the signed-in person (never cached: it follows every rating)."""
    profile = await state.backends.profiles.profile(token)
    rated = list(profile.ratings)  # most recently set first
    liked = rated[:MAX_LIKED]
    excluded = list(dict.fromkeys([r.movie_id for r in rated[MAX_LIKED:]] + [m.movie_id for m in profile.marks]))
    if not liked:
        return {"input_movies": [], "missing_movies": [], "recommendations": [], "resolved": [], "suggestions": {},
                "model_version": state.model.version, "alpha": None, "diversity": diversity, "cached": False}
    ids = [r.movie_id for r in liked]
    # The inputs' titles come with the recommendations (include_inputs): one RPC, and one model version for both.
    scored = await state.backends.scorer.recommend(
        ids, top_k=top_k, ratings={r.movie_id: r.rating for r in liked}, exclude=excluded[:MAX_EXCLUDE],
        skip_unknown=True, diversity=diversity or None, include_inputs=True)
    state.model.observe(scored.model_version)
    alpha = float(scored.alpha)
    inputs = scored.inputs
    return {"input_movies": [m.title for m in inputs], "missing_movies": [],
            "recommendations": [convert.scored_movie(x, alpha) for x in scored.recommendations],
            "resolved": [{"query": m.title, "movieId": m.movie_id, "title": m.title, "year": m.year or None,
                          "confidence": 1.0} for m in inputs],
            "suggestions": {}, "model_version": scored.model_version, "alpha": round(alpha, 4),
            "diversity": diversity, "cached": False}
