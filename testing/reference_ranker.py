"""The ranking written plainly from the definitions in movierec/ranking/parts.py: slow, obviously correct.

Every part is scored over the whole catalog and z-scored with numpy, one array at a time.
tests/scorer/test_model_reference.py checks that the served Ranker ranks, scores and explains as this
does; bench/ranking/model_ab.py times the two against each other.
"""
from __future__ import annotations

import numpy as np

from movierec.artifact import Artifact
from movierec.ranking import parts
from movierec.ranking.ranker import Ranked
from services.scorer.model import HybridModel


class ReferenceModel(HybridModel):
    """HybridModel whose recommend, similar and explanations are computed plainly from parts.py."""

    def __init__(self, artifact: Artifact) -> None:
        super().__init__(artifact)
        self.ref_factors = artifact.arrays["item_factors"]  # (I, k) float32, as loaded
        self.ref_genre_units = parts.unit_rows(artifact.genre_matrix)
        self.ref_popularity = parts.popularity(np.array([m.n_ratings for m in self.movies]))
        self.ref_ease = (artifact.arrays["ease_rows"], artifact.arrays["ease_weights"]) \
            if "ease_rows" in artifact.arrays else None

    def _parts(self, rows: np.ndarray, weights: np.ndarray, content: np.ndarray) -> dict[str, np.ndarray | None]:
        graph = None
        if self.neighbor_rows is not None:
            graph = parts.zscore(parts.graph_scores(self.neighbor_rows, self.neighbor_weights, rows, weights,
                                                    self.n_items))
        ease = None
        if self.ref_ease is not None:
            ease = parts.zscore(parts.ease_scores(*self.ref_ease, rows, weights, self.n_items))
        mf = parts.zscore(parts.mf_scores(self.ref_factors, rows, weights, self.foldin_reg))
        return {"graph": graph, "ease": ease, "mf": mf, "pop": self.ref_popularity.astype(np.float64),
                "content": parts.zscore(content)}

    def _rank(self, p: dict, alpha: float, banned: np.ndarray, k: int, allowed: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Top-k rows (k,) int64 by parts.blend, and its score and two standardised parts at them (k,)."""
        score = parts.blend(p["graph"], p["mf"], p["pop"], p["content"], self.weights, alpha, p["ease"])
        cf_z = parts.blend(p["graph"], p["mf"], p["pop"], p["content"], self.weights, 1.0, p["ease"])
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
                p["content"][top].astype(np.float32))

    def contributions(self, rows: np.ndarray, weights: np.ndarray, top: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each input's term (n, k) of z(collaborative) at top (k,), and popularity's (k,), from each input's own
        graph and MF scores over the whole catalog: z(sum of parts) with each part's terms taken apart."""
        n = len(rows)
        terms = np.zeros((n, self.n_items))
        pop = self.weights["popularity"] * self.ref_popularity.astype(np.float64)
        if self.neighbor_rows is not None and self.weights["graph"]:
            own = np.stack([parts.graph_scores(self.neighbor_rows, self.neighbor_weights, rows[i:i + 1],
                                               weights[i:i + 1], self.n_items) for i in range(n)])  # (n, I)
            std = own.sum(axis=0).std()
            if std >= 1e-12:
                terms += self.weights["graph"] * (own - own.mean(axis=1, keepdims=True)) / std
        if self.ref_ease is not None and self.weights["ease"]:
            own = np.stack([parts.ease_scores(*self.ref_ease, rows[i:i + 1], weights[i:i + 1], self.n_items)
                            for i in range(n)])  # (n, I)
            std = own.sum(axis=0).std()
            if std >= 1e-12:
                terms += self.weights["ease"] * (own - own.mean(axis=1, keepdims=True)) / std
        if self.weights["mf"]:
            c = parts.fold_in_coefficients(self.ref_factors, rows, weights, self.foldin_reg)
            own = c[:, None] * (self.ref_factors[rows].astype(np.float64) @ self.ref_factors.T.astype(np.float64))
            std = own.sum(axis=0).std()
            if std >= 1e-12:
                terms += self.weights["mf"] * (own - own.mean(axis=1, keepdims=True)) / std
        cf = terms.sum(axis=0) + pop
        std = cf.std()
        if std < 1e-12:
            return np.zeros((n, len(top))), np.zeros(len(top))
        return terms[:, top] / std, (pop[top] - pop.mean()) / std

    def recommend(self, rows: np.ndarray, ratings: np.ndarray, k: int, alpha: float,
                  exclude_rows: np.ndarray | None = None, allowed: np.ndarray | None = None,
                  explain: bool = True) -> Ranked:
        weights = self.rating_weights(ratings)
        content = parts.content_scores(self.ref_genre_units, rows, weights)
        banned = rows if exclude_rows is None else np.concatenate([rows, exclude_rows])
        top, score, cf_z, content_z = self._rank(self._parts(rows, weights, content), alpha, banned, k, allowed)
        if not explain or len(top) == 0:
            return Ranked(top, score, cf_z, content_z)
        inputs, pop = self.contributions(rows, weights, top)
        named, drivers, genre_share, pop_share = parts.explanations(inputs, pop, content_z.astype(np.float64), alpha)
        reasons = tuple(tuple((int(rows[i]), share) for i, share in why) for why in named)
        return Ranked(top, score, cf_z, content_z, reasons, tuple(drivers), genre_share.astype(np.float32),
                      pop_share.astype(np.float32))

    def similar(self, row: int, k: int, alpha: float) -> Ranked:
        rows, weights = np.array([row], dtype=np.int64), np.ones(1)
        content = parts.content_scores(self.ref_genre_units, rows, weights)
        return Ranked(*self._rank(self._parts(rows, weights, content), alpha, rows, k))
