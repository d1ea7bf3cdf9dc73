"""The hybrid recommender held in memory: item graph + MF factors + popularity + genres, ranked with numpy."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.common.artifact import Artifact, ArtifactError, CatalogMovie
from services.scorer.item_graph import graph_scores

LIKED_RATING = 5.0  # a movie someone "likes" without giving a rating
N_REASONS = 3  # input movies named per recommendation ("because you liked ...")

# Blend weights inside the collaborative part, relative to the item graph (weight 1). Artifacts
# written by `python -m trainer train` carry their own in manifest["serving"]["weights"]; these
# apply to artifacts without an item graph (`--ranking off`). Measured with the held-out-user
# protocol on ML-100K (seeds 0, 1): popularity weight 1 / 2 / 4 gave NDCG@10 0.33 / 0.36 / 0.39-0.40,
# against 0.36 for popularity alone; MF alone ranks far below popularity.
FALLBACK_WEIGHTS = {"graph": 0.0, "mf": 1.0, "popularity": 4.0}
FALLBACK_ALPHA = 0.9


class UnknownIdError(KeyError):
    """A user or movie id the model was not trained on; str() is a message for people."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Ranked:
    """Top-k result: catalog rows (k,) int64, hybrid score and its two standardised parts (k,) float32.

    reasons[j] lists (input row, share) for the input movies that contributed most to result j's
    collaborative score, largest first; shares of one result sum to at most 1.
    """

    rows: np.ndarray
    score: np.ndarray
    collaborative: np.ndarray
    content: np.ndarray
    reasons: tuple[tuple[tuple[int, float], ...], ...] = ()


def _zscore(x: np.ndarray) -> np.ndarray:
    """Standardises over the catalog so the parts of the blend share one scale."""
    std = x.std()
    if not np.isfinite(std) or std < 1e-12:
        return np.zeros_like(x)
    return (x - x.mean()) / std


def _unit_rows(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)


DEFAULT_FOLDIN_REG = 3.0  # the trainer's measured choice (serving.foldin_reg) when a manifest has none


def fold_in(item_factors: np.ndarray, rows: np.ndarray, weights: np.ndarray, reg: float) -> np.ndarray:
    """A new user's factors p (k,) float32 by regularised least squares against the input movies' factors.

    Minimises sum_j (w_j - q_j . p)^2 + reg |p|^2 over the n input movies, with w (n,) their rating
    weights (1 = liked, negative = disliked) and q_j rows of item_factors (I, k). Solved in its
    n x n dual form, p = Q^T (Q Q^T + reg I)^-1 w, since n (<= 100) is small next to k. Unlike a plain
    mean of the factors, correlated inputs do not count twice and well-known directions are not
    over-weighted; as reg grows the answer tends to the (weighted) mean direction.
    """
    q = item_factors[rows].astype(np.float64)  # (n, k)
    gram = q @ q.T + reg * np.eye(len(rows))
    return (q.T @ np.linalg.solve(gram, weights.astype(np.float64))).astype(np.float32)


class HybridModel:
    """alpha * collaborative + (1 - alpha) * genre similarity, both z-scored over the catalog.

    collaborative = z(graph) * w_graph + z(mf) * w_mf + z(log popularity) * w_pop, z-scored again:
    - graph: sum over input movies of rating weight * item-graph weight (RP3beta, pruned);
    - mf: q_i . p with p folded in by ridge regression of the rating weights on the input movies'
      factors (see fold_in). Item bias is left
      out on purpose: it favours movies few people rated highly, which held-out users rarely pick;
    - popularity: log(1 + number of ratings), the prior that held-out users follow most.
    A rating r weighs (r - midpoint) / (max - midpoint): 5 or "liked" = 1, 4 = 0.5, 3 = 0, 1 = -1,
    so a disliked movie pushes its neighbours, factors and genres down.
    """

    def __init__(self, artifact: Artifact) -> None:
        a = artifact.arrays
        self.version = artifact.version
        self.manifest = artifact.manifest
        self.stats = artifact.stats  # stats.json for the dashboard (GetDatasetStats), None when absent
        self.movies: tuple[CatalogMovie, ...] = artifact.movies
        self.genre_names = artifact.genre_names
        self.item_row = artifact.item_row
        self.mu = float(a["global_mean"])
        self.item_factors = a["item_factors"]  # (I, k) float32
        self.item_bias = a["item_bias"]  # (I,) float32
        self.user_factors = a["user_factors"]  # (U, k) float32
        self.user_bias = a["user_bias"]  # (U,) float32
        self.user_row = {int(u): i for i, u in enumerate(a["user_ids"].tolist())}
        self.item_units = _unit_rows(self.item_factors)  # (I, k) for item-item cosine
        self.genre_matrix = artifact.genre_matrix  # (I, G) 0/1
        self.genre_units = _unit_rows(artifact.genre_matrix)  # (I, G)
        self.years = np.array([m.year for m in self.movies], dtype=np.int32)  # (I,), 0 = unknown
        self.popularity = _zscore(np.log1p(np.array([m.n_ratings for m in self.movies], dtype=np.float32)))
        self.neighbor_rows, self.neighbor_weights = self._graph(a)  # (I, N) int32 / float32, or None
        serving = artifact.manifest.get("serving", {})
        tuned = "weights" in serving and self.neighbor_rows is not None
        self.weights = {**FALLBACK_WEIGHTS, **serving["weights"]} if tuned else dict(FALLBACK_WEIGHTS)
        self.default_alpha = float(serving.get("default_alpha", FALLBACK_ALPHA))
        self.foldin_reg = float(serving.get("foldin_reg", DEFAULT_FOLDIN_REG))
        self.rating_min = float(serving.get("rating_min", 1.0))
        self.rating_max = float(serving.get("rating_max", 5.0))

    def _graph(self, a: dict[str, np.ndarray]) -> tuple[np.ndarray | None, np.ndarray | None]:
        rows, weights = a.get("neighbor_rows"), a.get("neighbor_weights")
        if rows is None and weights is None:
            return None, None
        n = len(self.movies)
        if (rows is None or weights is None or rows.ndim != 2 or rows.shape != weights.shape or rows.shape[0] != n
                or rows.dtype != np.int32 or weights.dtype != np.float32 or rows.min() < 0 or rows.max() >= n
                or not np.all(np.isfinite(weights))):
            raise ArtifactError(f"model {self.version}: neighbor_rows/neighbor_weights must be int32/float32 (I, N) "
                                f"with rows < {n} and finite weights")
        return rows, weights

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

    def rating_weights(self, ratings: np.ndarray) -> np.ndarray:
        """(n,) float64 weight of each input rating: 1 for the top of the scale, 0 at its midpoint."""
        midpoint = (self.rating_min + self.rating_max) / 2.0
        return (ratings.astype(np.float64) - midpoint) / (self.rating_max - midpoint)

    def fold_in(self, rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """An anonymous person's factors (k,) float32 from the input movies' rating weights (n,)."""
        return fold_in(self.item_factors, rows, weights, self.foldin_reg)

    def collaborative(self, rows: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The collaborative part (I,) float32 before the last z-score, and the graph scores (I,) or None."""
        w = self.weights
        total = np.float32(w["popularity"]) * self.popularity
        graph = None
        if self.neighbor_rows is not None and w["graph"]:
            graph = graph_scores(self.neighbor_rows, self.neighbor_weights, rows, weights, self.n_items)
            total += np.float32(w["graph"]) * _zscore(graph.astype(np.float32))
        if w["mf"]:
            total += np.float32(w["mf"]) * _zscore(self.item_factors @ self.fold_in(rows, weights))
        return total, graph

    def _blend(self, cf: np.ndarray, content: np.ndarray, alpha: float, banned: np.ndarray, k: int,
               allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Top-k rows (k,) int64 by alpha * z(cf) + (1 - alpha) * z(content), and the three arrays (k,)."""
        cf_z, content_z = _zscore(cf), _zscore(content)
        score = np.float32(alpha) * cf_z + np.float32(1.0 - alpha) * content_z
        if allowed is not None:
            score[~allowed] = -np.inf
        score[banned] = -np.inf
        k = min(k, int(np.isfinite(score).sum()))
        if k <= 0:
            empty = np.empty(0, dtype=np.float32)
            return np.empty(0, dtype=np.int64), empty, empty, empty
        top = np.argpartition(-score, k - 1)[:k]
        top = top[np.argsort(-score[top], kind="stable")]
        return (top.astype(np.int64), score[top].astype(np.float32), cf_z[top].astype(np.float32),
                content_z[top].astype(np.float32))

    def allowed(self, genres: list[str], year_min: int, year_max: int) -> np.ndarray | None:
        """(I,) bool of movies passing the filters (any of the genres; year in range), None without filters.

        Raises ValueError naming unknown genres. A year bound of 0 means no bound; with a bound,
        movies of unknown year are left out.
        """
        mask = None
        if genres:
            unknown = [g for g in genres if g not in self.genre_names]
            if unknown:
                # Echo a few, shortened: gRPC refuses replies whose status message exceeds ~8 KB.
                shown = [g[:40] for g in unknown[:5]] + (["..."] if len(unknown) > 5 else [])
                raise ValueError(f"unknown genres {shown}; known: {list(self.genre_names)}")
            columns = [self.genre_names.index(g) for g in genres]
            mask = self.genre_matrix[:, columns].any(axis=1)
        if year_min or year_max:
            years = (self.years > 0) & (self.years >= year_min) & ((self.years <= year_max) if year_max else True)
            mask = years if mask is None else mask & years
        return mask

    def reasons(self, rows: np.ndarray, weights: np.ndarray, top: np.ndarray) -> tuple:
        """Per result in top (k,): up to N_REASONS (input row, share) with the largest positive contribution.

        A contribution is the input's graph weight to the result plus its MF term, each scaled as
        in `collaborative`; shares are of the positive contributions' sum.
        """
        n, k = len(rows), len(top)
        if k == 0:  # filters or exclusions left no candidate: nothing to explain
            return ()
        contrib = np.zeros((n, k))
        if self.neighbor_rows is not None and self.weights["graph"]:
            position = np.full(self.n_items, -1, dtype=np.int64)
            position[top] = np.arange(k)
            hit = position[self.neighbor_rows[rows]]  # (n, N) position of each neighbour among the results
            i, j = np.nonzero(hit >= 0)
            contrib[i, hit[i, j]] = weights[i] * self.neighbor_weights[rows[i], j]
        if self.weights["mf"]:
            mf = (self.item_factors[rows] @ self.item_factors[top].T) * weights[:, None]  # (n, k)
            scale = max(float(np.abs(contrib).max()), 1e-12) / max(float(np.abs(mf).max()), 1e-12)
            contrib += self.weights["mf"] / max(self.weights["graph"], 1.0) * mf * (scale if contrib.any() else 1.0)
        out = []
        for col in contrib.T:
            positive = np.clip(col, 0.0, None)
            total = positive.sum()
            best = np.argsort(-positive, kind="stable")[:N_REASONS]
            out.append(tuple((int(rows[b]), float(positive[b] / total)) for b in best if positive[b] > 0))
        return tuple(out)

    def recommend(self, rows: np.ndarray, ratings: np.ndarray, k: int, alpha: float,
                  exclude_rows: np.ndarray | None = None, allowed: np.ndarray | None = None,
                  explain: bool = True) -> Ranked:
        """Top-k movies for a person who rated the movies at rows (n,) with ratings (n,) float32."""
        weights = self.rating_weights(ratings)
        cf, _ = self.collaborative(rows, weights)
        profile = (weights @ self.genre_units[rows]).astype(np.float32)  # float32: no (I, G) upcast per call
        content = self.genre_units @ profile  # (I,) cosine to the genre profile
        banned = rows if exclude_rows is None else np.concatenate([rows, exclude_rows])
        top, score, cf_z, content_z = self._blend(cf, content, alpha, banned, k, allowed)
        reasons = self.reasons(rows, weights, top) if explain else ()
        return Ranked(top, score, cf_z, content_z, reasons)

    def similar(self, row: int, k: int, alpha: float) -> Ranked:
        """Movies closest to one movie: the collaborative part for it alone, blended with genre cosine."""
        rows, weights = np.array([row], dtype=np.int64), np.ones(1)
        cf, _ = self.collaborative(rows, weights)
        content = self.genre_units @ self.genre_units[row]
        return Ranked(*self._blend(cf, content, alpha, rows, k))

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
