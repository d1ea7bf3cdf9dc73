"""The request mix: POST /recommend/titles bodies with 1 to 10 titles typed the way people type them."""
from __future__ import annotations

import json
import string
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from movierec.artifact import CatalogMovie
from services.gateway.cache import normalise_title

MIN_TITLES, MAX_TITLES = 1, 10
# How a title is typed: as the catalog spells it, with its year, the way a person says it
# ("the usual suspects"), or that with one slip of the keyboard. Shares are guesses at a
# typical search box, fixed so every run sends the same mix.
SPELLINGS = (("catalog", 0.35), ("with_year", 0.15), ("spoken", 0.25), ("typo", 0.25))
_MOVED_ARTICLES = (", The", ", A", ", An")
_LETTERS = string.ascii_lowercase


def spoken(title: str) -> str:
    """Lower-case with a moved article put back in front: "Usual Suspects, The" -> "the usual suspects"."""
    for article in _MOVED_ARTICLES:
        if title.endswith(article):
            title = f"{article[2:]} {title[: -len(article)]}"
            break
    return title.lower()


def with_typo(text: str, rng: np.random.Generator) -> str:
    """One keyboard slip at a random letter after the first: dropped, doubled, swapped or replaced."""
    positions = [i for i, c in enumerate(text) if c.isalpha() and i > 0]
    if not positions:
        return text
    i = int(rng.choice(positions))
    kind = int(rng.integers(4))
    if kind == 0:
        return text[:i] + text[i + 1:]
    if kind == 1:
        return text[:i] + text[i] + text[i:]
    if kind == 2 and i + 1 < len(text):
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text[:i] + _LETTERS[int(rng.integers(26))] + text[i + 1:]


def typed_title(movie: CatalogMovie, rng: np.random.Generator) -> str:
    """The movie's title in one of SPELLINGS, drawn with their shares."""
    names, shares = zip(*SPELLINGS)
    how = names[int(rng.choice(len(names), p=shares))]
    if how == "catalog":
        return movie.title
    if how == "with_year":
        return f"{movie.title} ({movie.year})" if movie.year else movie.title
    if how == "spoken":
        return spoken(movie.title)
    return with_typo(spoken(movie.title), rng)


def popularity_weights(movies: Sequence[CatalogMovie]) -> np.ndarray:
    """(I,) float64 summing to 1: people name a movie about as often as it was rated (+1 so all can come up)."""
    counts = np.asarray([m.n_ratings for m in movies], dtype=np.float64) + 1.0
    return counts / counts.sum()


def _cache_identity(body: dict) -> tuple:
    """What the gateway's cache key depends on (titles normalised, top_k, alpha)."""
    return tuple(normalise_title(t) for t in body["movies"]), body["top_k"], body.get("alpha")


def recommend_bodies(movies: Sequence[CatalogMovie], n: int, seed: int, unique: bool) -> list[dict]:
    """n request bodies: 1 to 10 distinct popular-weighted movies each, typed as in SPELLINGS.

    unique=True (uncached runs) varies alpha (three decimals) and top_k too, and keeps only
    bodies whose cache key differs from every earlier one, so none can be answered from Redis.
    unique=False (cached runs) leaves alpha to the model default and top_k at 10.
    """
    rng = np.random.default_rng(seed)
    cumulative = np.cumsum(popularity_weights(movies))  # inverse-CDF draws: O(log I) per movie
    bodies: list[dict] = []
    seen: set[tuple] = set()
    tries = 0
    while len(bodies) < n:
        tries += 1
        if tries > 20 * n + 1000:
            raise RuntimeError(f"could not draw {n} distinct bodies from {len(movies)} movies")
        count = min(int(rng.integers(MIN_TITLES, MAX_TITLES + 1)), len(movies))
        drawn = np.minimum(np.searchsorted(cumulative, rng.random(4 * count)), len(movies) - 1)
        rows = list(dict.fromkeys(drawn.tolist()))[:count]  # distinct movies, in draw order
        body: dict = {"movies": [typed_title(movies[int(r)], rng) for r in rows]}
        if unique:
            body["top_k"] = int(rng.choice([5, 10, 10, 10, 20]))
            body["alpha"] = round(float(rng.random()), 3)
            identity = _cache_identity(body)
            if identity in seen:
                continue
            seen.add(identity)
        else:
            body["top_k"] = 10
        bodies.append(body)
    return bodies


def write_bodies(bodies: Sequence[dict], path: Path) -> Path:
    """One compact JSON body per line (the wrk script reads them line by line)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for body in bodies:
            f.write(json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n")
    return path
