"""GET /me/recommendations: the scorer's fold-in from a person's stored ratings, their rated and marked movies out.

The answer is cached in Redis per account under a digest of everything it was computed from (model version,
ratings, exclusions, options): a rating or mark changes the digest, so the next request is computed afresh,
and a repeated request (a reload, another tab) skips the scorer.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from movierec.v1 import common_pb2
from services.client import CallError
from services.gateway import convert
from services.gateway.cache import personal_digest, personal_key
from services.gateway.recommend import VERSION_CHECK_SHARE
from services.gateway.state import GatewayState

MAX_LIKED = 100  # Scorer.Recommend's limit: the most recently rated movies are the ones folded in
MAX_EXCLUDE = 10_000  # Scorer.Recommend's limit on excluded ids
MAX_LOOKUP = 10_000  # Scorer.GetMovies's limit
# An account's cached answer names movies it rated: personal data, so kept briefly (and deleted with the account).
PERSONAL_TTL_SECONDS = 600


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
    """The /recommend/titles reply shape for the signed-in person; follows every rating (see the module doc)."""
    profile = await state.backends.profiles.profile(token)
    rated = list(profile.ratings)  # most recently set first
    liked = rated[:MAX_LIKED]
    excluded = list(dict.fromkeys([r.movie_id for r in rated[MAX_LIKED:]] + [m.movie_id for m in profile.marks]))
    if not liked:
        return {"input_movies": [], "missing_movies": [], "recommendations": [], "resolved": [], "suggestions": {},
                "model_version": state.model.version, "alpha": None, "diversity": diversity, "cached": False}
    ids = [r.movie_id for r in liked]
    version = await state.model.confirmed(state.settings.rpc_timeout_seconds * VERSION_CHECK_SHARE)
    key = personal_key(profile.account.account_id)
    digest = personal_digest(version, [(r.movie_id, r.rating) for r in liked], excluded, top_k, diversity)
    if version:  # unknown version (scorer not answering): no entry can be trusted
        hit = await state.cache.get(key, digest)
        if hit is not None and isinstance(hit.get("answer"), dict):
            return {**hit["answer"], "cached": True}
    # The inputs' titles come with the recommendations (include_inputs): one RPC, and one model version for both.
    scored = await state.backends.scorer.recommend(
        ids, top_k=top_k, ratings={r.movie_id: r.rating for r in liked}, exclude=excluded[:MAX_EXCLUDE],
        skip_unknown=True, diversity=diversity or None, include_inputs=True)
    state.model.observe(scored.model_version)
    alpha = float(scored.alpha)
    inputs = scored.inputs
    answer = {"input_movies": [m.title for m in inputs], "missing_movies": [],
              "recommendations": [convert.scored_movie(x, alpha) for x in scored.recommendations],
              "resolved": [{"query": m.title, "movieId": m.movie_id, "title": m.title, "year": m.year or None,
                            "confidence": 1.0} for m in inputs],
              "suggestions": {}, "model_version": scored.model_version, "alpha": round(alpha, 4),
              "diversity": diversity, "cached": False}
    if scored.model_version == version:  # else the digest named another version: not worth storing
        await state.cache.set(key, {"digest": digest, "answer": answer}, PERSONAL_TTL_SECONDS)
    return answer
