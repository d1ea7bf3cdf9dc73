"""Simple baseline recommenders for the held-out-user protocol: popularity, item-kNN cosine, naive hybrid
(the strong ones, tuned on validation users, are in strong.py and multvae.py)."""
from __future__ import annotations

import numpy as np

from bench.ranking.protocol import Recommender, top_k
from movierec.ranking import parts
from trainer.sgd import MFModel


def interactions(users: np.ndarray, items: np.ndarray, n_users: int, n_items: int) -> np.ndarray:
    """(U, I) float64 0/1 matrix: 1 where a training user rated an item (any rating)."""
    x = np.zeros((n_users, n_items), dtype=np.float64)
    x[users, items] = 1.0
    return x


def popularity(counts: np.ndarray) -> Recommender:
    """Most-rated movies first; counts (I,) training rating counts."""
    def rec(rows: np.ndarray, ratings: np.ndarray, k: int) -> np.ndarray:
        return top_k(counts, rows, k)
    return rec


def cosine_weights(x: np.ndarray) -> np.ndarray:
    """Cosine similarity (I, I) float64 between the item columns of x (U, I), zero diagonal."""
    norms = np.sqrt(x.sum(axis=0))
    sim = (x.T @ x) / np.maximum(np.outer(norms, norms), 1e-12)
    np.fill_diagonal(sim, 0.0)
    return sim


def item_knn(x: np.ndarray) -> Recommender:
    """Sum of cosine similarities (between item columns of x (U, I)) to the input movies."""
    sim = cosine_weights(x)

    def rec(rows: np.ndarray, ratings: np.ndarray, k: int) -> np.ndarray:
        return top_k(sim[rows].sum(axis=0), rows, k)
    return rec


def _z(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / max(float(x.std()), 1e-12)


def naive_hybrid(mf: MFModel, genres: np.ndarray, alpha: float = 0.7) -> Recommender:
    """What simple implementations do: user vector = mean of the liked movies' factors; the MF
    prediction mu + b_i + q_i . p z-scored and blended alpha / (1 - alpha) with the cosine between
    each movie's genres and the mean genre vector of the input."""
    g_units = genres / np.maximum(np.linalg.norm(genres, axis=1, keepdims=True), 1e-12)

    def rec(rows: np.ndarray, ratings: np.ndarray, k: int) -> np.ndarray:
        p = mf.item_factors[rows].mean(axis=0)
        pred = mf.global_mean + mf.item_bias + mf.item_factors @ p
        profile = genres[rows].mean(axis=0)
        content = g_units @ (profile / max(float(np.linalg.norm(profile)), 1e-12))
        return top_k(alpha * _z(pred) + (1 - alpha) * _z(content), rows, k)
    return rec


def previous_scorer(mf: MFModel, genres: np.ndarray, foldin_reg: float = parts.DEFAULT_FOLDIN_REG, alpha: float = 0.7,
                    item_bias: bool = True) -> Recommender:
    """The scorer before this evaluation: ridge fold-in of (r - mu - b_i) on the input factors, item score
    b_i + q_i . p (q_i . p alone without item_bias), z-scored and blended alpha / (1 - alpha) with the
    rating-centred genre profile cosine."""
    g_units = genres / np.maximum(np.linalg.norm(genres, axis=1, keepdims=True), 1e-12)

    def rec(rows: np.ndarray, ratings: np.ndarray, k: int) -> np.ndarray:
        x = np.hstack([mf.item_factors[rows].astype(np.float64), np.ones((len(rows), 1))])
        y = ratings - mf.global_mean - mf.item_bias[rows]
        penalty = np.full(x.shape[1], foldin_reg)
        penalty[-1] = foldin_reg * 0.1
        p = np.linalg.solve(x.T @ x + np.diag(penalty), x.T @ y)[:-1]
        cf = mf.item_factors @ p + (mf.item_bias if item_bias else 0.0)
        content = g_units @ ((ratings - 3.0) @ g_units[rows])
        return top_k(alpha * _z(cf) + (1 - alpha) * _z(content), rows, k)
    return rec
