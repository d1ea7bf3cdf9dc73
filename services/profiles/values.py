"""Checks of the values a profiles request carries; each raises ValueError with a message a person can act on."""
from __future__ import annotations

import math
from collections.abc import Iterable

from movierec.store.schema import MARK_KINDS

MAX_MOVIE_ID = 2**63 - 1  # int64, as movie ids are everywhere in the contract


def half_stars(rating: float) -> int:
    """A 0.5..5 rating in steps of 0.5 as half stars 1..10; ValueError for anything else."""
    if not math.isfinite(rating) or not 0.5 <= rating <= 5.0 or rating * 2 != round(rating * 2):
        raise ValueError(f"rating must be 0.5..5 in steps of 0.5, got {rating}")
    return round(rating * 2)


def movie_id(value: int) -> int:
    if not 1 <= value <= MAX_MOVIE_ID:
        raise ValueError(f"movie_id must be 1..{MAX_MOVIE_ID}, got {value}")
    return value


def mark_kind(value: str) -> str:
    if value not in MARK_KINDS:
        raise ValueError(f"kind must be one of {', '.join(MARK_KINDS)}, got {value[:40]!r}")
    return value


def initial_ratings(pairs: Iterable[tuple[int, float]], limit: int) -> dict[int, int]:
    """{movie_id: half_stars} of sign-up ratings (a repeated movie keeps its last); ValueError names the item."""
    pairs = list(pairs)
    if len(pairs) > limit:
        raise ValueError(f"at most {limit} initial ratings, got {len(pairs)}")
    found: dict[int, int] = {}
    for i, (movie, rating) in enumerate(pairs):
        try:
            found[movie_id(movie)] = half_stars(rating)
        except ValueError as e:
            raise ValueError(f"initial_ratings[{i}]: {e}") from None
    return found
