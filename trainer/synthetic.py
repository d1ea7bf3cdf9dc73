"""A small seeded dataset with real latent structure and genres, for fast tests."""
from __future__ import annotations

import hashlib

import numpy as np

from services.common.artifact import CatalogMovie
from trainer.dataset import Dataset

GENRES = ("Action", "Comedy", "Drama", "Sci-Fi")


def make_synthetic(n_users: int = 80, n_items: int = 50, k: int = 3, density: float = 0.3,
                   noise: float = 0.3, seed: int = 0) -> Dataset:
    """Ratings from a rank-k model plus biases and Gaussian noise, rounded to 1..5.

    An item has genre g when its latent coordinate g % k is high, so genres agree with the
    factors. Each user rates about density * n_items items (at least two).
    """
    rng = np.random.default_rng(seed)
    p = rng.normal(0.0, 0.6, (n_users, k))
    q = rng.normal(0.0, 0.6, (n_items, k))
    user_bias = rng.normal(0.0, 0.3, n_users)
    item_bias = rng.normal(0.0, 0.4, n_items)

    mask = rng.random((n_users, n_items)) < density
    mask[np.arange(n_users), rng.integers(0, n_items, n_users)] = True
    mask[np.arange(n_users), rng.integers(0, n_items, n_users)] = True
    users, items = np.nonzero(mask)
    raw = 3.5 + user_bias[users] + item_bias[items] + np.einsum("nk,nk->n", p[users], q[items])
    ratings = np.clip(np.rint(raw + rng.normal(0.0, noise, len(raw))), 1, 5).astype(np.float32)

    movie_ids = np.arange(1, n_items + 1, dtype=np.int64) * 10  # ids that are not row numbers
    user_ids = np.arange(1, n_users + 1, dtype=np.int64) + 1000
    movies = []
    for i in range(n_items):
        genres = tuple(g for j, g in enumerate(GENRES) if q[i, j % k] > 0.3 * (1 + j // k))
        rated = ratings[items == i]
        movies.append(CatalogMovie(int(movie_ids[i]), f"Synthetic Movie {i + 1}", 1980 + i % 40, genres,
                                   len(rated), float(rated.mean()) if len(rated) else 0.0))
    fingerprint = hashlib.sha256(f"synthetic:{n_users}:{n_items}:{k}:{density}:{noise}:{seed}".encode())
    return Dataset(
        name="synthetic",
        source=f"trainer.synthetic.make_synthetic(seed={seed})",
        sha256=fingerprint.hexdigest(),
        user_id=user_ids[users],
        movie_id=movie_ids[items],
        rating=ratings,
        timestamp=np.arange(len(ratings), dtype=np.int64) + 880_000_000,
        movies=tuple(movies),
        genre_names=GENRES,
    )
