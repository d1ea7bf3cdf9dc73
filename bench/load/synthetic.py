"""A random artifact at ML-25M catalog size (62,000 movies) with varied, matchable titles."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from movierec.artifact import ArtifactError, CatalogMovie, load_artifact
from testing.artifacts import write_random_artifact

GENRES = ("Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
          "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War",
          "Western", "IMAX")
_ONSETS = ("b", "br", "c", "ch", "d", "dr", "f", "g", "gr", "h", "j", "k", "l", "m", "n", "p", "pr", "r", "s",
           "sh", "st", "t", "tr", "v", "w", "z")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "ou")
_CODAS = ("", "", "n", "r", "s", "t", "l", "nd", "ck", "m")
N_MOVIES = 62_000
N_USERS = 2_000
FACTORS = 50  # the trainer's default


def _vocabulary(rng: np.random.Generator, size: int) -> list[str]:
    """`size` distinct pronounceable words of 1 to 3 syllables."""
    words: set[str] = set()
    while len(words) < size:
        syllables = int(rng.integers(1, 4))
        words.add("".join(rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS) for _ in range(syllables)))
    return sorted(words)


def synthetic_titles(n: int, rng: np.random.Generator) -> list[str]:
    """n titles of 1 to 5 words, a tenth with a moved article ("Word Word, The"), some sequels."""
    vocab = [w.capitalize() for w in _vocabulary(rng, 6_000)]
    titles = []
    for _ in range(n):
        words = " ".join(vocab[i] for i in rng.integers(0, len(vocab), int(rng.integers(1, 6))))
        roll = rng.random()
        if roll < 0.1:
            words += ", The"
        elif roll < 0.15:
            words += f" {int(rng.integers(2, 5))}"
        titles.append(words)
    return titles


def build_synthetic_artifact(root: Path, n_movies: int = N_MOVIES, seed: int = 0) -> Path:
    """Writes (or reuses, when root already holds a loadable one) a random artifact; returns the root.

    Factors are random normal (float32), so rankings mean nothing, but every array has the
    shape and dtype a trained model of this size has, which is what serving cost depends on.
    """
    try:
        existing = load_artifact(root)
        if len(existing.movies) == n_movies:
            return Path(root)
    except ArtifactError:
        pass
    rng = np.random.default_rng(seed)
    titles = synthetic_titles(n_movies, rng)
    years = rng.integers(1920, 2025, n_movies)
    n_ratings = np.minimum((rng.pareto(1.2, n_movies) * 5).astype(np.int64), 80_000)  # long tail, like ML
    # 1 to 3 genres per movie: the first k of a random order of the genres.
    order = np.argsort(rng.random((n_movies, len(GENRES))), axis=1)
    genre_matrix = (order < rng.integers(1, 4, n_movies)[:, None]).astype(np.float32)  # (I, G)
    movies = [CatalogMovie(i + 1, titles[i], int(years[i]), tuple(g for g, on in zip(GENRES, genre_matrix[i]) if on),
                           int(n_ratings[i]), 3.5) for i in range(n_movies)]
    write_random_artifact(root, f"synthetic-{n_movies}-seed{seed}", movies, GENRES, n_users=N_USERS, k=FACTORS,
                          seed=seed, scale=0.1, dataset={"name": f"synthetic-{n_movies}",
                                                         "source": f"bench.load.synthetic(seed={seed})"})
    return Path(root)
