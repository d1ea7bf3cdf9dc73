"""Protobuf replies of the matcher and scorer turned into the API's JSON shapes."""
from __future__ import annotations

import json
import math
from typing import Any

from movierec.v1 import common_pb2, matcher_pb2, scorer_pb2

# float32 on the wire; more digits than this are noise (0.7 arrives as 0.699999988).
SCORE_DECIMALS = 5
CONFIDENCE_DECIMALS = 4
# What carried a recommendation, in the API's words (DRIVER_UNSPECIFIED: null).
DRIVERS = {scorer_pb2.DRIVER_INPUTS: "your movies", scorer_pb2.DRIVER_GENRE: "genre",
           scorer_pb2.DRIVER_POPULARITY: "popularity"}


def movie(m: common_pb2.Movie) -> dict[str, Any]:
    """{movieId, title, year (None when 0 = unknown), genres}."""
    return {"movieId": int(m.movie_id), "title": m.title, "year": int(m.year) or None, "genres": list(m.genres)}


def scored_movie(s: scorer_pb2.ScoredMovie, alpha: float | None = None) -> dict[str, Any]:
    """The movie and its score; with the alpha applied, also its explanation (reasons and the split)."""
    out = {**movie(s.movie), "score": round(float(s.score), SCORE_DECIMALS)}
    if alpha is not None:
        out["explanation"] = {
            "because_you_liked": [{"movieId": int(b.movie_id), "title": b.title,
                                   "share": round(float(b.share), CONFIDENCE_DECIMALS)} for b in s.because],
            "driver": DRIVERS.get(s.driver),
            "genre_share": round(float(s.genre_share), CONFIDENCE_DECIMALS),
            "popularity_share": round(float(s.popularity_share), CONFIDENCE_DECIMALS),
            "collaborative": round(alpha * float(s.collaborative), SCORE_DECIMALS),
            "genre": round((1.0 - alpha) * float(s.content), SCORE_DECIMALS),
        }
    return out


def candidate(c: matcher_pb2.Candidate) -> dict[str, Any]:
    """{movieId, title, year, confidence} of a matcher candidate (a did-you-mean suggestion)."""
    return {"movieId": int(c.movie.movie_id), "title": c.movie.title, "year": int(c.movie.year) or None,
            "confidence": round(float(c.confidence), CONFIDENCE_DECIMALS)}


def search_result(c: matcher_pb2.Candidate) -> dict[str, Any]:
    return {**movie(c.movie), "confidence": round(float(c.confidence), CONFIDENCE_DECIMALS)}


def model_info(info: scorer_pb2.ModelInfo) -> dict[str, Any]:
    """ModelInfo with params decoded from their JSON strings (kept as text when not JSON)."""
    params: dict[str, Any] = {}
    for name, text in info.params.items():
        try:
            params[name] = json.loads(text)
        except ValueError:
            params[name] = text
    return {
        "model_version": info.model_version, "dataset": info.dataset, "trained_at": info.trained_at,
        "metrics": {k: (v if math.isfinite(v) else None) for k, v in info.metrics.items()}, "params": params,
        "n_users": int(info.n_users), "n_movies": int(info.n_movies), "n_ratings": int(info.n_ratings),
        "default_alpha": round(float(info.default_alpha), 4),
    }
