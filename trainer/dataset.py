"""The in-memory ratings dataset every training step works on."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.common.artifact import CatalogMovie


@dataclass(frozen=True)
class Dataset:
    """Ratings plus the catalog they refer to.

    user_id, movie_id, rating, timestamp are parallel (N,) arrays: int64, int64, float32, int64.
    movies is sorted by movie_id; every rated movie_id is in it. genre_names lists the G genres
    that CatalogMovie.genres draws from, in genre-matrix column order.
    """

    name: str
    source: str
    sha256: str
    user_id: np.ndarray
    movie_id: np.ndarray
    rating: np.ndarray
    timestamp: np.ndarray
    movies: tuple[CatalogMovie, ...]
    genre_names: tuple[str, ...]
    dropped_items: int = 0
    dropped_ratings: int = 0

    @property
    def n_ratings(self) -> int:
        return len(self.rating)

    def item_ids(self) -> np.ndarray:
        """(I,) int64 movie ids in catalog order."""
        return np.array([m.movie_id for m in self.movies], dtype=np.int64)

    def user_ids(self) -> np.ndarray:
        """(U,) int64 sorted distinct user ids that have ratings."""
        return np.unique(self.user_id)

    def genre_matrix(self) -> np.ndarray:
        """(I, G) float32 0/1, row i for movies[i], column g for genre_names[g]."""
        column = {g: j for j, g in enumerate(self.genre_names)}
        out = np.zeros((len(self.movies), len(self.genre_names)), dtype=np.float32)
        for i, movie in enumerate(self.movies):
            out[i, [column[g] for g in movie.genres]] = 1.0
        return out

    def indices(self) -> tuple[np.ndarray, np.ndarray]:
        """(N,) int32 user rows into user_ids() and (N,) int32 item rows into item_ids()."""
        users = np.searchsorted(self.user_ids(), self.user_id).astype(np.int32)
        items = np.searchsorted(self.item_ids(), self.movie_id).astype(np.int32)
        return users, items
