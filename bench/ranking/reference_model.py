"""The scorer's ranking as it was before it was optimised (commit 2c7212e), kept as the reference.

Every part is z-scored over the catalog with numpy's mean and std, one array at a time: slow and
plain. tests/scorer/test_model_reference.py checks that HybridModel ranks, scores and explains
exactly as this does.
"""
from __future__ import annotations

import numpy as np

from services.scorer.item_graph import graph_scores
from services.scorer.model import N_REASONS, HybridModel, Ranked, fold_in


def _zscore(x: np.ndarray) -> np.ndarray:
    std = x.std()
    if not np.isfinite(std) or std < 1e-12:
        return np.zeros_like(x)
    return (x - x.mean()) / std


class ReferenceModel(HybridModel):
    """HybridModel with the ranking code of commit 2c7212e (collaborative, _blend, reasons, recommend, similar)."""

    def __init__(self, artifact) -> None:
        super().__init__(artifact)
        self.ref_factors = artifact.arrays["item_factors"]  # (I, k) float32, as loaded
        g = artifact.genre_matrix
        norms = np.linalg.norm(g, axis=1, keepdims=True)
        self.ref_genre_units = np.divide(g, norms, out=np.zeros_like(g), where=norms > 0)
        self.ref_popularity = _zscore(np.log1p(np.array([m.n_ratings for m in self.movies], dtype=np.float32)))

    def fold_in(self, rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
        return fold_in(self.ref_factors, rows, weights, self.foldin_reg)

    def collaborative(self, rows: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The collaborative part (I,) float32 before the last z-score, and the graph scores (I,) or None."""
        w = self.weights
        total = np.float32(w["popularity"]) * self.ref_popularity
        graph = None
        if self.neighbor_rows is not None and w["graph"]:
            graph = graph_scores(self.neighbor_rows, self.neighbor_weights, rows, weights, self.n_items)
            total += np.float32(w["graph"]) * _zscore(graph.astype(np.float32))
        if w["mf"]:
            total += np.float32(w["mf"]) * _zscore(self.ref_factors @ self.fold_in(rows, weights))
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
            mf = (self.ref_factors[rows] @ self.ref_factors[top].T) * weights[:, None]  # (n, k)
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
        profile = (weights @ self.ref_genre_units[rows]).astype(np.float32)  # float32: no (I, G) upcast per call
        content = self.ref_genre_units @ profile  # (I,) cosine to the genre profile
        banned = rows if exclude_rows is None else np.concatenate([rows, exclude_rows])
        top, score, cf_z, content_z = self._blend(cf, content, alpha, banned, k, allowed)
        reasons = self.reasons(rows, weights, top) if explain else ()
        return Ranked(top, score, cf_z, content_z, reasons)

    def similar(self, row: int, k: int, alpha: float) -> Ranked:
        """Movies closest to one movie: the collaborative part for it alone, blended with genre cosine."""
        rows, weights = np.array([row], dtype=np.int64), np.ones(1)
        cf, _ = self.collaborative(rows, weights)
        content = self.ref_genre_units @ self.ref_genre_units[row]
        return Ranked(*self._blend(cf, content, alpha, rows, k))
