"""Builds small, fully known artifacts for unit tests (real files, real checksums)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from services.common.artifact import CatalogMovie, write_artifact

GENRES = ["Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Drama", "Sci-Fi", "Thriller"]

# (movie_id, title, year, genres, n_ratings): includes a moved article, a duplicate title
# with different years, and accents, which matcher tests rely on.
MOVIES = [
    (1, "Toy Story", 1995, ["Animation", "Children's", "Comedy"], 452),
    (2, "GoldenEye", 1995, ["Action", "Adventure", "Thriller"], 131),
    (12, "Usual Suspects, The", 1995, ["Crime", "Thriller"], 267),
    (50, "Star Wars", 1977, ["Action", "Adventure", "Sci-Fi"], 583),
    (82, "Jurassic Park", 1993, ["Action", "Adventure", "Sci-Fi"], 261),
    (127, "Godfather, The", 1972, ["Crime", "Drama"], 413),
    (273, "Heat", 1995, ["Action", "Crime", "Thriller"], 223),
    (433, "Heathers", 1989, ["Comedy"], 89),
    (543, "Misérables, Les", 1995, ["Drama"], 10),
    (670, "Body Snatchers", 1993, ["Sci-Fi", "Thriller"], 33),
    (573, "Body Snatchers", 1956, ["Sci-Fi", "Thriller"], 18),
    (71, "Lion King, The", 1994, ["Animation", "Children's"], 220),
]


def build_tiny_artifact(root: Path, version: str = "v-test-1", k: int = 4, seed: int = 0) -> Path:
    """Writes an artifact with the MOVIES above, 20 users and random factors; returns its dir."""
    rng = np.random.default_rng(seed)
    n_users, n_items = 20, len(MOVIES)
    arrays = {
        "global_mean": np.float32(3.5),
        "user_ids": np.arange(1, n_users + 1, dtype=np.int64),
        "item_ids": np.array([m[0] for m in MOVIES], dtype=np.int64),
        "user_factors": rng.normal(0, 0.3, (n_users, k)).astype(np.float32),
        "item_factors": rng.normal(0, 0.3, (n_items, k)).astype(np.float32),
        "user_bias": rng.normal(0, 0.2, n_users).astype(np.float32),
        "item_bias": rng.normal(0, 0.2, n_items).astype(np.float32),
    }
    genre_matrix = np.array([[g in m[3] for g in GENRES] for m in MOVIES], dtype=np.float32)
    movies = [CatalogMovie(m[0], m[1], m[2], tuple(m[3]), m[4], 3.5) for m in MOVIES]
    manifest = {
        "created_at": "2026-01-01T00:00:00Z",
        "dataset": {"name": "tiny-test", "sha256": "0" * 64, "n_users": n_users, "n_items": n_items, "n_ratings": 0},
        "params": {"factors": k},
        "metrics": {"rmse": 1.0},
        "serving": {"default_alpha": 0.7, "foldin_reg": 0.1, "rating_min": 1.0, "rating_max": 5.0},
    }
    return write_artifact(root, version, arrays, genre_matrix, GENRES, movies, manifest)
