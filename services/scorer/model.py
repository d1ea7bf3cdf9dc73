"""The model the scorer serves: the shared Ranker over an artifact's catalog, with ids, filters and predictions."""
from __future__ import annotations

import numpy as np

from movierec.artifact import Artifact, ArtifactError, CatalogMovie
from movierec.ranking.parts import LIKED_RATING
from movierec.ranking.ranker import Ranked, Ranker
from movierec.ranking.rerank_features import ItemStats, Reranker

__all__ = ["LIKED_RATING", "HybridModel", "Ranked", "UnknownIdError"]


class UnknownIdError(KeyError):
    """A user or movie id the model was not trained on; str() is a message for people."""

    def __str__(self) -> str:
        return str(self.args[0])


def _reranker(artifact: Artifact, serving: dict) -> Reranker | None:
    """The artifact's re-rank stage (rerank.txt), None when it has none (then the blend alone serves)."""
    if artifact.rerank_model is None:
        return None
    from movierec.ranking.lambdamart import LambdaMart  # lightgbm, loaded only for a model that has the stage

    return LambdaMart(artifact.rerank_model, int(serving.get("rerank", {}).get("candidates", 0)))


class HybridModel(Ranker):
    """A Ranker built from a loaded artifact, plus what serving needs around it: movie and user ids,
    genre and year filters, and rating predictions for the training data's users. rerank=False serves the
    blend alone even when the artifact has a re-rank stage (benchmarks compare the two)."""

    def __init__(self, artifact: Artifact, rerank: bool = True) -> None:
        a = artifact.arrays
        self.version = artifact.version
        self.manifest = artifact.manifest
        self.stats = artifact.stats  # stats.json for the dashboard (GetDatasetStats), None when absent
        self.movies: tuple[CatalogMovie, ...] = artifact.movies
        self.genre_names = artifact.genre_names
        self.item_row = artifact.item_row
        self.genre_matrix = artifact.genre_matrix  # (I, G) 0/1
        self.years = np.array([m.year for m in self.movies], dtype=np.int32)  # (I,), 0 = unknown
        serving = artifact.manifest.get("serving", {})
        stats = ItemStats.of(self.years, np.array([m.mean_rating for m in self.movies]), a["item_bias"])
        try:
            super().__init__(a["item_factors"], artifact.genre_matrix,
                             np.array([m.n_ratings for m in self.movies], dtype=np.float32),
                             a.get("neighbor_rows"), a.get("neighbor_weights"), serving,
                             a.get("ease_rows"), a.get("ease_weights"), stats,
                             _reranker(artifact, serving) if rerank else None)
        except ValueError as e:
            raise ArtifactError(f"model {self.version}: {e}") from e
        self.mu = float(a["global_mean"])
        self.item_bias = a["item_bias"]  # (I,) float32
        self.user_factors = a["user_factors"]  # (U, k) float32
        self.user_bias = a["user_bias"]  # (U,) float32
        self.user_row = {int(u): i for i, u in enumerate(a["user_ids"].tolist())}

    def rows_of(self, movie_ids: list[int]) -> np.ndarray:
        """Catalog rows (n,) int64 of movie ids; UnknownIdError lists every id not in the model."""
        rows = [self.item_row(m) for m in movie_ids]
        unknown = [m for m, r in zip(movie_ids, rows) if r is None]
        if unknown:
            raise UnknownIdError(f"movie ids not in model {self.version}: {unknown[:20]}")
        return np.asarray(rows, dtype=np.int64)

    def allowed(self, genres: list[str], year_min: int, year_max: int) -> np.ndarray | None:
        """(I,) bool of movies passing the filters (any of the genres; year in range), None without filters.

        Raises ValueError naming unknown genres. A year bound of 0 means no bound; with a bound,
        movies of unknown year are left out.
        """
        mask: np.ndarray | None = None
        if genres:
            unknown = [g for g in genres if g not in self.genre_names]
            if unknown:
                # Echo a few, shortened: gRPC refuses replies whose status message exceeds ~8 KB.
                shown = [g[:40] for g in unknown[:5]] + (["..."] if len(unknown) > 5 else [])
                raise ValueError(f"unknown genres {shown}; known: {list(self.genre_names)}")
            columns = [self.genre_names.index(g) for g in genres]
            mask = np.asarray(self.genre_matrix[:, columns].any(axis=1))
        if year_min or year_max:
            years = np.asarray((self.years > 0) & (self.years >= year_min))
            if year_max:
                years &= self.years <= year_max
            mask = years if mask is None else mask & years
        return mask

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
