"""The item-item graph: EASE and cosine weights from who-rated-what, pruned to the top-N neighbours per movie.

Built offline (bench/ranking/tune.py writes it into the artifact as `neighbor_rows` /
`neighbor_weights`); the scorer only sums a few of its rows per request, O(liked * N).
"""
from __future__ import annotations

import numpy as np


def ease_weights(x: np.ndarray, lam: float) -> np.ndarray:
    """EASE (Steck 2019) weights B (I, I) float64 with a zero diagonal, from a 0/1 matrix x (U, I)."""
    g = x.T @ x
    g[np.diag_indices_from(g)] += lam
    p = np.linalg.inv(g)
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0.0)
    return b


def cosine_weights(x: np.ndarray) -> np.ndarray:
    """Cosine similarity (I, I) float64 between the item columns of x (U, I), zero diagonal."""
    norms = np.sqrt(x.sum(axis=0))
    sim = (x.T @ x) / np.maximum(np.outer(norms, norms), 1e-12)
    np.fill_diagonal(sim, 0.0)
    return sim


def combine(ease: np.ndarray, cosine: np.ndarray, cosine_share: float) -> np.ndarray:
    """(1 - cosine_share) * ease + cosine_share * cosine (I, I), each divided by its mean row std.

    Dividing by the row spread puts the two on one scale, so the share means what it says.
    """
    return ((1.0 - cosine_share) * ease / ease.std(axis=1).mean()
            + cosine_share * cosine / cosine.std(axis=1).mean())


def blended_weights(x: np.ndarray, lam: float, cosine_share: float) -> np.ndarray:
    """The item graph before pruning (I, I) float64 from a 0/1 matrix x (U, I); see combine."""
    return combine(ease_weights(x, lam), cosine_weights(x), cosine_share)


def prune(weights: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-n neighbours of every row: rows (I, n) int32 and weights (I, n) float32, largest first.

    Negative weights are kept only if a row has fewer than n positive ones; they matter little.
    """
    n = min(n, weights.shape[1] - 1)
    w = weights.copy()
    np.fill_diagonal(w, -np.inf)  # never one's own neighbour
    top = np.argpartition(-w, n - 1, axis=1)[:, :n]
    vals = np.take_along_axis(w, top, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    rows = np.take_along_axis(top, order, axis=1).astype(np.int32)
    return rows, np.take_along_axis(vals, order, axis=1).astype(np.float32)


def graph_scores(rows: np.ndarray, weights: np.ndarray, input_rows: np.ndarray, input_weights: np.ndarray,
                 n_items: int) -> np.ndarray:
    """(I,) float64: sum over input movies m of input_weights[m] * weight(m -> j), for every movie j.

    rows/weights: (I, N) neighbour table; input_rows (n,) int64; input_weights (n,) float.
    """
    contrib = weights[input_rows] * input_weights[:, None]
    return np.bincount(rows[input_rows].ravel(), weights=contrib.ravel(), minlength=n_items)
