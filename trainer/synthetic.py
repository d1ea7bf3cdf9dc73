"""Seeded synthetic datasets: a tiny one for fast tests, MovieLens-shaped ones of any size for scale."""
from __future__ import annotations

import hashlib

import numpy as np

from movierec.artifact import CatalogMovie
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


# (users, movies, ratings, half-star ratings) of the official MovieLens releases.
PRESETS: dict[str, tuple[int, int, int, bool]] = {
    "ml-100k": (943, 1_682, 100_000, False),
    "ml-1m": (6_040, 3_706, 1_000_209, False),
    "ml-10m": (69_878, 10_677, 10_000_054, True),
    "ml-25m": (162_541, 62_423, 25_000_095, True),
    "ml-32m": (200_948, 84_432, 32_000_204, True),
}
MOVIELENS_GENRES = ("Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama",
                    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
                    "War", "Western")
_ADJECTIVES = ("Silent", "Crimson", "Last", "Hidden", "Broken", "Golden", "Midnight", "Lost", "Wild", "Frozen",
               "Burning", "Secret", "Electric", "Dark", "Little", "Endless", "Savage", "Quiet", "Fallen", "Lucky",
               "Iron", "Velvet", "Hollow", "Bright", "Final", "Second", "Distant", "Restless", "Sweet", "Bitter")
_NOUNS = ("River", "Summer", "Kingdom", "Stranger", "Horizon", "Garden", "Empire", "Echo", "Harbor", "Witness",
          "Frontier", "Memory", "Shadow", "Dream", "Station", "Highway", "Island", "Promise", "Storm", "Circus",
          "Detective", "Orchard", "Voyage", "Mirror", "Planet", "Letter", "Hunter", "Dancer", "Signal", "Winter")
_PLACES = ("Paris", "the North", "Tomorrow", "the Sea", "Eden", "Brooklyn", "the Desert", "Mars", "Tokyo", "Home")
CHUNK = 1 << 21  # ratings per block when scoring, so temporaries stay small at 25M


def _distinct(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values: sort + neighbour compare, several times faster than np.unique's hash path here."""
    a = np.sort(a)
    return a[np.concatenate(([True], a[1:] != a[:-1]))] if len(a) else a


def _titles(n: int, rng: np.random.Generator) -> list[str]:
    """n titles like "The Hidden Harbor", "Golden Storm of Tokyo", "Frozen Echo II"; repeats get a sequel number."""
    seen: dict[str, int] = {}
    out = []
    a, b, c = rng.integers(len(_ADJECTIVES), size=n), rng.integers(len(_NOUNS), size=n), rng.integers(30, size=n)
    for j in range(n):
        base = f"{_ADJECTIVES[a[j]]} {_NOUNS[b[j]]}"
        if c[j] < len(_PLACES):
            base += f" of {_PLACES[c[j]]}"
        elif c[j] < 20:
            base = "The " + base
        count = seen.get(base, 0) + 1
        seen[base] = count
        out.append(base if count == 1 else f"{base} {count}")
    return out


def make_movielens_like(n_users: int, n_items: int, n_ratings: int, half_stars: bool = True, k: int = 8,
                        seed: int = 0, name: str = "synthetic") -> Dataset:
    """A MovieLens-shaped dataset of exactly min(n_ratings, what fits) ratings, for scale tests.

    Shape: movie popularity is Zipf-like (a few blockbusters, a long tail), user activity is
    log-normal with at least 20 ratings per user when the size allows (as in MovieLens),
    ratings come from a rank-k model with biases and noise on a 0.5-5 (half_stars) or 1-5
    scale, genres follow the latent factors, years 1920-2023, timestamps 1996-2023 with each
    user active over a stretch. Memory stays around 40 bytes per rating.
    """
    rng = np.random.default_rng(seed)
    pop = 1.0 / np.arange(1, n_items + 1) ** 0.8
    pop = pop[rng.permutation(n_items)]
    activity = rng.lognormal(0.0, 1.1, n_users)
    floor = min(20, n_ratings // n_users)
    per_user = floor + np.floor(activity / activity.sum() * (n_ratings - floor * n_users) * 1.08).astype(np.int64)
    per_user = np.minimum(per_user, n_items // 2)  # (ML-1M's busiest user rated 62% of the movies)
    # Draw movies by popularity with replacement and drop repeated (user, movie) pairs; heavy users
    # repeat blockbusters often, so draw again for the shortfall until the target is reached.
    prob = pop / pop.sum()
    keys = np.empty(0, dtype=np.int64)
    want = per_user
    for _ in range(8):
        users = np.repeat(np.arange(n_users, dtype=np.int64), want)
        keys = _distinct(np.concatenate([keys, users * n_items + rng.choice(n_items, size=len(users), p=prob)]))
        short = n_ratings - len(keys)
        if short <= 0 or len(keys) >= n_users * n_items:
            break
        want = np.ceil(per_user * (1.3 * short / n_ratings)).astype(np.int64)
    if len(keys) > n_ratings:
        keys = np.sort(rng.choice(keys, size=n_ratings, replace=False))
    users, items = (keys // n_items).astype(np.int32), (keys % n_items).astype(np.int32)
    del keys

    p = rng.normal(0.0, 0.45, (n_users, k)).astype(np.float32)
    q = rng.normal(0.0, 0.45, (n_items, k)).astype(np.float32)
    user_bias = rng.normal(0.0, 0.35, n_users).astype(np.float32)
    # Popular movies are rated higher on average, as in MovieLens.
    item_bias = (rng.normal(0.0, 0.4, n_items) + 0.15 * np.log(pop / pop.mean())).astype(np.float32)
    ratings = np.empty(len(users), dtype=np.float32)
    step = 0.5 if half_stars else 1.0
    for s in range(0, len(users), CHUNK):
        u, i = users[s:s + CHUNK], items[s:s + CHUNK]
        raw = 3.5 + user_bias[u] + item_bias[i] + np.einsum("nk,nk->n", p[u], q[i])
        raw += rng.normal(0.0, 0.8, len(raw)).astype(np.float32)
        ratings[s:s + CHUNK] = np.clip(np.rint(raw / step) * step, step if half_stars else 1.0, 5.0)

    start = rng.integers(820_000_000, 1_690_000_000, n_users)
    span = rng.exponential(3e7, n_users).astype(np.int64)
    timestamps = start[users] + (rng.random(len(users)) * span[users]).astype(np.int64)

    titles = _titles(n_items, rng)
    years = rng.integers(1920, 2024, n_items)
    g = len(MOVIELENS_GENRES)
    loading = rng.normal(0.0, 1.0, (k, g))
    genre_score = q @ loading + rng.normal(0.0, 0.5, (n_items, g))
    counts = np.bincount(items, minlength=n_items)
    sums = np.bincount(items, weights=ratings, minlength=n_items)
    movies = []
    for row in range(n_items):
        top = np.flatnonzero(genre_score[row] > 1.2)[:3]
        genres = tuple(MOVIELENS_GENRES[j] for j in (top if len(top) else [int(np.argmax(genre_score[row]))]))
        movies.append(CatalogMovie(row + 1, titles[row], int(years[row]), genres, int(counts[row]),
                                   float(sums[row] / counts[row]) if counts[row] else 0.0))
    key = f"movielens-like:{n_users}:{n_items}:{n_ratings}:{half_stars}:{k}:{seed}"
    return Dataset(
        name=name,
        source=f"trainer.synthetic.make_movielens_like(seed={seed})",
        sha256=hashlib.sha256(key.encode()).hexdigest(),
        user_id=users.astype(np.int64) + 1,
        movie_id=items.astype(np.int64) + 1,
        rating=ratings,
        timestamp=timestamps,
        movies=tuple(movies),
        genre_names=MOVIELENS_GENRES,
    )


def synthetic_from_spec(spec: str, seed: int = 0) -> Dataset:
    """`ml-25m` (a preset's size) or `USERSxMOVIESxRATINGS`, e.g. `5000x2000x300000`."""
    if spec in PRESETS:
        n_users, n_items, n_ratings, half = PRESETS[spec]
        return make_movielens_like(n_users, n_items, n_ratings, half, seed=seed, name=f"synthetic:{spec}")
    try:
        n_users, n_items, n_ratings = (int(x) for x in spec.lower().split("x"))
    except ValueError:
        raise ValueError(f"unknown synthetic size {spec!r}: use one of {', '.join(PRESETS)} "
                         "or USERSxMOVIESxRATINGS, e.g. 5000x2000x300000") from None
    if min(n_users, n_items, n_ratings) < 1:
        raise ValueError(f"synthetic size {spec!r} must have at least one user, movie and rating")
    return make_movielens_like(n_users, n_items, n_ratings, True, seed=seed, name=f"synthetic:{spec}")
