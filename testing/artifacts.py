"""Artifacts with random factors for tests and benchmarks: real files, real checksums, known catalogs.

Every builder goes through write_random_artifact, so the arrays have the shapes and dtypes a trained
model has (movierec/artifact.py) and only the catalog, sizes and serving entries differ.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from movierec.artifact import CatalogMovie, write_artifact

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

SERVING = {"default_alpha": 0.7, "foldin_reg": 0.1, "rating_min": 1.0, "rating_max": 5.0}


def genre_matrix(movies: Sequence[CatalogMovie], genres: Sequence[str]) -> np.ndarray:
    """(I, G) float32 0/1: movie i has genre g."""
    matrix = np.array([[g in m.genres for g in genres] for m in movies], dtype=np.float32)
    return matrix.reshape(len(movies), len(genres))


def write_random_artifact(root: Path, version: str, movies: Sequence[CatalogMovie], genres: Sequence[str], *,
                          n_users: int = 20, k: int = 4, seed: int = 0, scale: float = 0.3,
                          serving: dict[str, Any] | None = None, graph: tuple[np.ndarray, np.ndarray] | None = None,
                          ease: tuple[np.ndarray, np.ndarray] | None = None,
                          dataset: dict[str, Any] | None = None, metrics: dict[str, float] | None = None,
                          params: dict[str, Any] | None = None, stats: dict[str, Any] | None = None,
                          rerank_model: str | None = None) -> Path:
    """Writes root/version (and LATEST) for the catalog `movies`: user ids 1..n_users, random normal factors
    (n_users, k) / (I, k) float32 with standard deviation `scale`, biases, and optionally an item graph
    (rows (I, N) int32, weights (I, N) float32), an EASE part (rows (N,) int32, weights (N, N) float32) and a
    re-rank stage (its LightGBM model text); returns the version's directory."""
    rng = np.random.default_rng(seed)
    n_items = len(movies)
    arrays = {
        "global_mean": np.float32(3.5),
        "user_ids": np.arange(1, n_users + 1, dtype=np.int64),
        "item_ids": np.array([m.movie_id for m in movies], dtype=np.int64),
        "user_factors": rng.normal(0, scale, (n_users, k)).astype(np.float32),
        "item_factors": rng.normal(0, scale, (n_items, k)).astype(np.float32),
        "user_bias": rng.normal(0, 0.2, n_users).astype(np.float32),
        "item_bias": rng.normal(0, 0.2, n_items).astype(np.float32),
    }
    if graph is not None:
        arrays["neighbor_rows"], arrays["neighbor_weights"] = graph
    if ease is not None:
        arrays["ease_rows"], arrays["ease_weights"] = ease
    manifest = {
        "created_at": "2026-01-01T00:00:00Z",
        "dataset": {"name": version, "sha256": "0" * 64, "n_users": n_users, "n_items": n_items,
                    "n_ratings": int(sum(m.n_ratings for m in movies)), **(dataset or {})},
        "params": {"factors": k, **(params or {})},
        "metrics": metrics or {},
        "serving": dict(SERVING if serving is None else serving),
    }
    return write_artifact(root, version, arrays, genre_matrix(movies, genres), list(genres), list(movies), manifest,
                          stats=stats, rerank_model=rerank_model)


def tiny_movies() -> list[CatalogMovie]:
    """The MOVIES above as catalog entries (mean rating 3.5)."""
    return [CatalogMovie(m[0], m[1], m[2], tuple(m[3]), m[4], 3.5) for m in MOVIES]


def build_tiny_artifact(root: Path, version: str = "v-test-1", k: int = 4, seed: int = 0) -> Path:
    """The MOVIES above, 20 users, random factors, no item graph (the fallback blend); returns its dir."""
    return write_random_artifact(root, version, tiny_movies(), GENRES, k=k, seed=seed,
                                 dataset={"name": "tiny-test", "n_ratings": 0}, metrics={"rmse": 1.0})


GRAPH_SERVING = {"default_alpha": 0.8, "weights": {"graph": 1.0, "mf": 0.2, "popularity": 0.3},
                 "foldin_reg": 0.1, "rating_min": 1.0, "rating_max": 5.0}


def graph_arrays(n_items: int, neighbors: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A pruned RP3beta graph (the trainer's builder) from random ratings of 30 users: (I, N) int32 / float32."""
    from trainer import item_graph  # numba compiles on import: only the tests that need a real graph pay for it

    rng = np.random.default_rng(seed)
    users, items = np.nonzero(rng.random((30, n_items)) < 0.4)
    ratings = rng.choice([2.0, 4.0, 5.0], len(users)).astype(np.float32)
    inter = item_graph.interactions(users.astype(np.int32), items.astype(np.int32), ratings, 30, n_items, 0.5)
    return item_graph.build_graph(inter, 0.5, 0.3, neighbors)


def ease_arrays(n_items: int, seed: int = 0, max_items: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    """An EASE part (the trainer's fit, λ 10) from random ratings of 30 users: rows (N,) int32, weights (N, N)."""
    from trainer import ease

    rng = np.random.default_rng(seed)
    users, items = np.nonzero(rng.random((30, n_items)) < 0.4)
    ratings = rng.choice([2.0, 4.0, 5.0], len(users)).astype(np.float32)
    return ease.fit(users.astype(np.int32), items.astype(np.int32), ratings, 30, n_items, 10.0, max_items)


GRAPH_EASE_SERVING = {**GRAPH_SERVING, "weights": {"graph": 1.0, "ease": 0.5, "mf": 0.2, "popularity": 0.3}}


def build_graph_artifact(root: Path, version: str = "v-graph-1", neighbors: int = 5, seed: int = 0,
                         serving: dict | None = None, ease: bool = False) -> Path:
    """The tiny catalog with the same random factors as build_tiny_artifact, an item graph and tuned-style
    weights; ease: with an EASE part of most of the movies, weighted (GRAPH_EASE_SERVING)."""
    movies = tiny_movies()
    if serving is None:
        serving = GRAPH_EASE_SERVING if ease else GRAPH_SERVING
    return write_random_artifact(root, version, movies, GENRES, seed=seed,
                                 graph=graph_arrays(len(movies), neighbors, seed),
                                 ease=ease_arrays(len(movies), seed, len(movies) - 2) if ease else None,
                                 serving=serving,
                                 dataset={"name": "tiny-test", "n_ratings": 0}, metrics={"rmse": 1.0})


def random_graph(n_items: int, neighbors: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A random item graph of serving shape: rows (I, N) int32, weights (I, N) float32 in decreasing order."""
    rows = rng.integers(0, n_items, (n_items, neighbors), dtype=np.int32)
    weights = np.sort(rng.random((n_items, neighbors), dtype=np.float32), axis=1)[:, ::-1].copy()
    return rows, weights


def synthetic_graph_artifact(root: Path, n_movies: int, seed: int = 0, ease_movies: int = 0,
                             rerank: tuple[str, int] | None = None) -> Path:
    """A random artifact with n_movies, an item graph of 200 per movie and tuned-style serving weights;
    ease_movies > 0: with a random EASE part over that many of them, weighted 0.3; rerank = (model text,
    candidates): with that re-rank stage."""
    rng = np.random.default_rng(seed)
    genres = [f"G{g}" for g in range(19)]
    matrix = rng.random((n_movies, 19)) < 0.15
    movies = [CatalogMovie(i + 1, f"Movie {i + 1}", 1950 + i % 70, tuple(g for g, on in zip(genres, row) if on),
                           int(rng.integers(0, 5000)), 3.5) for i, row in enumerate(matrix)]
    serving = {"default_alpha": 0.9, "weights": {"graph": 1.0, "ease": 0.3 if ease_movies else 0.0,
                                                  "mf": 0.2, "popularity": 0.2}}
    graph = random_graph(n_movies, 200, rng)
    ease = None
    if ease_movies:
        b = rng.normal(0.0, 0.01, (ease_movies, ease_movies)).astype(np.float32)
        np.fill_diagonal(b, 0.0)
        ease = (np.sort(rng.choice(n_movies, ease_movies, replace=False)).astype(np.int32), b)
    if rerank is not None:
        serving["rerank"] = {"kept": True, "candidates": rerank[1]}
    return write_random_artifact(root, f"synthetic-{n_movies}", movies, genres, n_users=1000, k=50, seed=seed,
                                 scale=0.1, serving=serving, graph=graph, ease=ease,
                                 rerank_model=None if rerank is None else rerank[0])


def backwards_rerank_model(candidates: int, queries: int = 200, seed: int = 0, rounds: int = 30,
                           leaves: int = 4, forwards: bool = False) -> str:
    """A LambdaMART model text (LightGBM, trained here on random features) that ranks the blend's list
    backwards: relevance rises with the feature blend_rank, every other feature is noise (forwards=True: it
    falls, so the blend's order is kept). rounds trees of up to `leaves` leaves: the trainer's sizes
    (rerank_train) make a model that costs what a trained one does."""
    import lightgbm  # the scorer's stage dependency, loaded only by the tests that build a stage

    from movierec.ranking.rerank_features import FEATURES

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(queries * candidates, len(FEATURES))).astype(np.float32)
    rank = np.tile(np.arange(candidates), queries)
    x[:, FEATURES.index("blend_rank")] = rank
    label = (candidates - 1 - rank if forwards else rank) * min(candidates, 31) // candidates  # gains stop at 30
    data = lightgbm.Dataset(x, label, group=[candidates] * queries, feature_name=list(FEATURES))
    booster = lightgbm.train({"objective": "lambdarank", "num_leaves": leaves, "min_data_in_leaf": 5,
                              "num_threads": 1, "verbosity": -1, "seed": seed, "deterministic": True}, data,
                             num_boost_round=rounds)
    return booster.model_to_string()


RERANK_CANDIDATES = 8  # of the tiny catalog's 12 movies


def build_rerank_artifact(root: Path, version: str = "v-rerank-1", model_text: str | None = None) -> Path:
    """build_graph_artifact's catalog with an EASE part and a re-rank stage over the blend's best
    RERANK_CANDIDATES (backwards_rerank_model unless model_text is given)."""
    movies = tiny_movies()
    serving = {**GRAPH_EASE_SERVING, "rerank": {"kept": True, "candidates": RERANK_CANDIDATES}}
    text = backwards_rerank_model(RERANK_CANDIDATES) if model_text is None else model_text
    return write_random_artifact(root, version, movies, GENRES, graph=graph_arrays(len(movies), 5),
                                 ease=ease_arrays(len(movies), 0, len(movies) - 2), serving=serving,
                                 dataset={"name": "tiny-test", "n_ratings": 0}, metrics={"rmse": 1.0},
                                 rerank_model=text)
