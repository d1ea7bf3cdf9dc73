"""Candidate: a catalog movie with the matcher's confidence that it is the one meant."""
from __future__ import annotations

from dataclasses import dataclass

from movierec.artifact import CatalogMovie


@dataclass(frozen=True)
class Candidate:
    """A catalog movie and how confident the matcher is (0..1, 1 = same key after normalisation)."""

    movie: CatalogMovie
    confidence: float
