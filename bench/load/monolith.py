"""The baseline: one FastAPI process with difflib title matching and a per-movie Python scoring loop.

This is the app most tutorials build, from the same artifact the stack serves: titles matched
with `difflib.get_close_matches`, then every catalog movie scored one at a time in a Python loop
with the tutorial hybrid: the person's vector is the mean of the liked movies' factors, the
collaborative score b_i + q_i . p, the content score the cosine between the movie's genres and the
liked movies' genres, both z-scored and blended with alpha. It depends on nothing in the scorer,
whose model may grow. Where a tutorial would be slower still (pandas iterrows, pure-Python dot
products) this uses one numpy dot per movie, so the ratios it gives are conservative.

Run: `python -m bench.load.monolith --artifact DIR --port N` (serves 127.0.0.1 only).
"""
from __future__ import annotations

import argparse
import difflib
import math
from pathlib import Path

import numpy as np
import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, Field

from movierec.artifact import Artifact, load_artifact

MATCH_CUTOFF = 0.6  # difflib's default


class MonolithRecommender:
    """Matches with difflib over lower-cased catalog titles, scores each movie in a Python loop."""

    def __init__(self, artifact: Artifact) -> None:
        self.version = artifact.version
        self.default_alpha = float(artifact.manifest.get("serving", {}).get("default_alpha", 0.7))
        self.item_factors = artifact.arrays["item_factors"]  # (I, k) float32
        self.item_bias = artifact.arrays["item_bias"]  # (I,) float32
        self.genres = artifact.genre_matrix  # (I, G) float32 0/1
        self.genre_norms = np.linalg.norm(self.genres, axis=1)  # (I,) once, at start-up
        self.movies = artifact.movies
        self.lower_titles = [m.title.lower() for m in self.movies]
        self.row_of_title: dict[str, int] = {}
        for row, title in enumerate(self.lower_titles):
            self.row_of_title.setdefault(title, row)

    def match(self, query: str) -> int | None:
        """Catalog row of the closest title, or None below difflib's cutoff."""
        found = difflib.get_close_matches(query.lower(), self.lower_titles, n=1, cutoff=MATCH_CUTOFF)
        return self.row_of_title[found[0]] if found else None

    def rank(self, rows: list[int], top_k: int, alpha: float) -> list[tuple[int, float]]:
        """(row, score) of the top_k movies for someone who liked the movies at `rows`, best first."""
        p = self.item_factors[rows].mean(axis=0)  # (k,) the person, as the mean of what they liked
        profile = self.genres[rows].mean(axis=0)  # (G,)
        profile_norm = float(np.linalg.norm(profile))
        collaborative, content = [], []
        for i in range(len(self.movies)):  # the per-item loop
            collaborative.append(float(self.item_bias[i]) + float(np.dot(self.item_factors[i], p)))
            norms = float(self.genre_norms[i]) * profile_norm
            content.append(float(np.dot(self.genres[i], profile)) / norms if norms else 0.0)
        cf_z, content_z = _zscore(collaborative), _zscore(content)
        banned = set(rows)
        scored = [(i, alpha * cf_z[i] + (1.0 - alpha) * content_z[i])
                  for i in range(len(self.movies)) if i not in banned]
        scored.sort(key=lambda pair: -pair[1])
        return scored[:top_k]

    def recommend(self, titles: list[str], top_k: int, alpha: float | None) -> dict:
        rows, missing = [], []
        for title in titles:
            row = self.match(title)
            if row is None:
                missing.append(title)
            elif row not in rows:
                rows.append(row)
        alpha = self.default_alpha if alpha is None else alpha
        ranked = self.rank(rows, top_k, alpha) if rows else []
        return {
            "input_movies": [self.movies[r].title for r in rows],
            "missing_movies": missing,
            "recommendations": [
                {"movieId": self.movies[r].movie_id, "title": self.movies[r].title, "year": self.movies[r].year or None,
                 "genres": list(self.movies[r].genres), "score": round(score, 5)} for r, score in ranked],
            "model_version": self.version,
            "alpha": alpha,
        }


def _zscore(values: list[float]) -> list[float]:
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    if std < 1e-12:
        return [0.0] * len(values)
    return [(v - mean) / std for v in values]


class RecommendBody(BaseModel):
    movies: list[str] = Field(min_length=1, max_length=20)
    top_k: int = Field(10, ge=1, le=100)
    alpha: float | None = Field(None, ge=0.0, le=1.0)


def create_app(recommender: MonolithRecommender) -> FastAPI:
    app = FastAPI(title="monolith baseline")

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "model_version": recommender.version}

    @app.post("/recommend/titles")
    def recommend(body: RecommendBody) -> dict:  # a plain def, as tutorials write it: runs in the threadpool
        return recommender.recommend(body.movies, body.top_k, body.alpha)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load.monolith", description=__doc__.splitlines()[0])
    parser.add_argument("--artifact", type=Path, required=True, help="artifact root or version directory")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = create_app(MonolithRecommender(load_artifact(args.artifact)))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
