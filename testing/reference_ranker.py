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
    """HybridModel whose recommend, similar and reasons are computed plainly from parts.py."""

    def __init__(self, artifact: Artifact) -> None:
        super().__init__(artifact)
        self.ref_factors = artifact.arrays["item_factors"]  # (I, k) float32, as loaded
        self.ref_genre_units = parts.unit_rows(artifact.genre_matrix)
        self.ref_popularity = parts.popularity(np.array([m.n_ratings for m in self.movies]))

    def _parts(self, rows: np.ndarray, weights: np.ndarray, content: np.ndarray) -> dict[str, np.ndarray | None]:
        graph = None
        if self.neighbor_rows is not None:
            graph = parts.zscore(parts.graph_scores(self.neighbor_rows, self.neighbor_weights, rows, weights,
                                                    self.n_items))
        mf = parts.zscore(parts.mf_scores(self.ref_factors, rows, weights, self.foldin_reg))
        return {"graph": graph, "mf": mf, "pop": self.ref_popularity.astype(np.float64),
                "content": parts.zscore(content)}

    def _rank(self, p: dict, alpha: float, banned: np.ndarray, k: int, allowed: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Top-k rows (k,) int64 by parts.blend, and its score and two standardised parts at them (k,)."""
        score = parts.blend(p["graph"], p["mf"], p["pop"], p["content"], self.weights, alpha)
        cf_z = parts.blend(p["graph"], p["mf"], p["pop"], p["content"], self.weights, 1.0)
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

    def reasons(self, rows: np.ndarray, weights: np.ndarray, top: np.ndarray) -> tuple:
        """Per result in top (k,): up to N_REASONS (input row, share) with the largest positive contribution.

        A contribution is the input's graph weight to the result plus its MF term, scaled so the largest
        MF term matches the largest graph weight; shares are of the positive contributions' sum.
        """
        n, k = len(rows), len(top)
        if k == 0:
            return ()
        contrib = np.zeros((n, k))
        if self.neighbor_rows is not None and self.weights["graph"]:
            for i, row in enumerate(rows):
                for neighbour, w in zip(self.neighbor_rows[row], self.neighbor_weights[row]):
                    for j in np.flatnonzero(top == neighbour):
                        contrib[i, j] = weights[i] * w
        if self.weights["mf"]:
            mf = (self.ref_factors[rows] @ self.ref_factors[top].T) * weights[:, None]  # (n, k)
            scale = max(float(np.abs(contrib).max()), 1e-12) / max(float(np.abs(mf).max()), 1e-12)
            contrib += self.weights["mf"] / max(self.weights["graph"], 1.0) * mf * (scale if contrib.any() else 1.0)
        out = []
        for col in contrib.T:
            positive = np.clip(col, 0.0, None)
            total = positive.sum()
            best = np.argsort(-positive, kind="stable")[:parts.N_REASONS]
            out.append(tuple((int(rows[b]), float(positive[b] / total)) for b in best if positive[b] > 0))
        return tuple(out)

    def recommend(self, rows: np.ndarray, ratings: np.ndarray, k: int, alpha: float,
                  exclude_rows: np.ndarray | None = None, allowed: np.ndarray | None = None,
                  explain: bool = True) -> Ranked:
        weights = self.rating_weights(ratings)
        content = parts.content_scores(self.ref_genre_units, rows, weights)
        banned = rows if exclude_rows is None else np.concatenate([rows, exclude_rows])
        top, score, cf_z, content_z = self._rank(self._parts(rows, weights, content), alpha, banned, k, allowed)
        return Ranked(top, score, cf_z, content_z, self.reasons(rows, weights, top) if explain else ())

    def similar(self, row: int, k: int, alpha: float) -> Ranked:
        rows, weights = np.array([row], dtype=np.int64), np.ones(1)
        content = parts.content_scores(self.ref_genre_units, rows, weights)
        return Ranked(*self._rank(self._parts(rows, weights, content), alpha, rows, k))
