"""The hybrid recommender held in memory: MF factors + genre vectors, ranked with whole-array numpy."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.common.artifact import Artifact, CatalogMovie

LIKED_RATING = 5.0  # a movie someone "likes" without giving a rating


class UnknownIdError(KeyError):
    """A user or movie id the model was not trained on; str() is a message for people."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Ranked:
    """Top-k result: catalog rows (k,) int64, hybrid score, and its two standardised parts (k,) float32."""

    rows: np.ndarray
    score: np.ndarray
    collaborative: np.ndarray
    content: np.ndarray


def _zscore(x: np.ndarray) -> np.ndarray:
    """Standardises over the catalog so collaborative and genre scores share one scale."""
    std = x.std()
    if not np.isfinite(std) or std < 1e-12:
        return np.zeros_like(x)
    return (x - x.mean()) / std


def _unit_rows(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)


class HybridModel:
    """alpha * collaborative + (1 - alpha) * genre similarity, both z-scored over the catalog.

    Collaborative part for an anonymous person: their vector (and bias) is folded in by ridge
    regression of their ratings' residuals (r - mu - b_i) on the liked movies' item factors;
    the item score is b_i + q_i . p. Content part: cosine between the person's genre profile
    (liked movies' unit genre vectors weighted by rating - midpoint, so dislikes push away) and
    each movie's genre vector.
    """

    def __init__(self, artifact: Artifact) -> None:
        a = artifact.arrays
        self.version = artifact.version
        self.manifest = artifact.manifest
        self.movies: tuple[CatalogMovie, ...] = artifact.movies
        self.item_row = artifact.item_row
        self.mu = float(a["global_mean"])
        self.item_factors = a["item_factors"]  # (I, k) float32
        self.item_bias = a["item_bias"]  # (I,) float32
        self.user_factors = a["user_factors"]  # (U, k) float32
        self.user_bias = a["user_bias"]  # (U,) float32
        self.user_row = {int(u): i for i, u in enumerate(a["user_ids"].tolist())}
        self.item_units = _unit_rows(self.item_factors)  # (I, k) for item-item cosine
        self.genre_units = _unit_rows(artifact.genre_matrix)  # (I, G)
        serving = artifact.manifest.get("serving", {})
        self.default_alpha = float(serving.get("default_alpha", 0.7))
        self.foldin_reg = float(serving.get("foldin_reg", 0.1))
        self.rating_min = float(serving.get("rating_min", 1.0))
        self.rating_max = float(serving.get("rating_max", 5.0))

    @property
    def n_items(self) -> int:
        return len(self.movies)

    def rows_of(self, movie_ids: list[int]) -> np.ndarray:
        """Catalog rows (n,) int64 of movie ids; UnknownIdError lists every id not in the model."""
        rows = [self.item_row(m) for m in movie_ids]
        unknown = [m for m, r in zip(movie_ids, rows) if r is None]
        if unknown:
            raise UnknownIdError(f"movie ids not in model {self.version}: {unknown[:20]}")
        return np.asarray(rows, dtype=np.int64)

    def fold_in(self, rows: np.ndarray, ratings: np.ndarray) -> tuple[np.ndarray, float]:
        """Ridge fit of an unseen user's factors (k,) and bias from ratings (n,) of movies at rows (n,)."""
        q = self.item_factors[rows].astype(np.float64)
        x = np.hstack([q, np.ones((len(rows), 1))])  # last column fits the user's bias
        y = ratings.astype(np.float64) - self.mu - self.item_bias[rows]
        penalty = np.full(x.shape[1], self.foldin_reg)
        penalty[-1] = self.foldin_reg * 0.1  # the bias is one number; regularise it lightly
        solution = np.linalg.solve(x.T @ x + np.diag(penalty), x.T @ y)
        return solution[:-1].astype(np.float32), float(solution[-1])

    def _blend(self, cf: np.ndarray, content: np.ndarray, alpha: float, banned: np.ndarray, k: int) -> Ranked:
        cf_z, content_z = _zscore(cf), _zscore(content)
        score = alpha * cf_z + (1.0 - alpha) * content_z
        score[banned] = -np.inf
        k = min(k, self.n_items - len(np.unique(banned)))
        if k <= 0:
            empty = np.empty(0, dtype=np.float32)
            return Ranked(np.empty(0, dtype=np.int64), empty, empty, empty)
        top = np.argpartition(-score, k - 1)[:k]
        top = top[np.argsort(-score[top], kind="stable")]
        return Ranked(top.astype(np.int64), score[top].astype(np.float32),
                      cf_z[top].astype(np.float32), content_z[top].astype(np.float32))

    def recommend(self, rows: np.ndarray, ratings: np.ndarray, k: int, alpha: float,
                  exclude_rows: np.ndarray | None = None) -> Ranked:
        """Top-k movies for a person who rated the movies at rows (n,) with ratings (n,) float32."""
        p, _ = self.fold_in(rows, ratings)
        cf = self.item_bias + self.item_factors @ p  # (I,); mu and the user's bias rank nothing
        midpoint = (self.rating_min + self.rating_max) / 2.0
        profile = (ratings - midpoint) @ self.genre_units[rows]  # (G,)
        content = self.genre_units @ profile
        banned = rows if exclude_rows is None else np.concatenate([rows, exclude_rows])
        return self._blend(cf, content, alpha, banned, k)

    def similar(self, row: int, k: int, alpha: float) -> Ranked:
        """Movies closest to one movie: factor cosine blended with genre cosine."""
        cf = self.item_units @ self.item_units[row]
        content = self.genre_units @ self.genre_units[row]
        return self._blend(cf, content, alpha, np.array([row], dtype=np.int64), k)

    def predict(self, user_id: int, movie_id: int) -> float:
        """Predicted rating of a training user for a movie, clipped to the rating scale."""
        u = self.user_row.get(int(user_id))
        if u is None:
            raise UnknownIdError(f"user {user_id} is not in the training data of model {self.version}")
        i = self.item_row(movie_id)
        if i is None:
            raise UnknownIdError(f"movie {movie_id} is not in model {self.version}")
        raw = self.mu + self.user_bias[u] + self.item_bias[i] + float(self.user_factors[u] @ self.item_factors[i])
        return float(np.clip(raw, self.rating_min, self.rating_max))
