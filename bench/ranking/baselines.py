"""Baseline recommenders for the held-out-user protocol: popularity, item-kNN cosine, EASE, naive hybrid."""
from __future__ import annotations

import numpy as np

from bench.ranking.protocol import Recommender, top_k
from movierec.ranking import parts
from trainer.heldout import Judge, split_arrays
from trainer.sgd import MFModel
from trainer.tune_ranking import SPLIT_SEED, VALIDATION_SPLITS

EASE_LAMBDAS = (800.0, 1600.0, 3200.0, 6400.0, 12800.0)


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


def ease_weights(x: np.ndarray, lam: float) -> np.ndarray:
    """EASE (Steck 2019) weights B (I, I) float64 with a zero diagonal, from a 0/1 matrix x (U, I)."""
    g = x.T @ x
    g[np.diag_indices_from(g)] += lam
    p = np.linalg.inv(g)
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0.0)
    return b


def tune_ease(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, n_items: int,
              seed: int) -> float:
    """EASE's L2 with the best (NDCG@10 + Recall@10) / 2 on the validation splits the product is tuned on
    (trainer.tune_ranking's seeds), from these training ratings only."""
    scores: dict[float, list[float]] = {}
    for s in range(VALIDATION_SPLITS):
        split = split_arrays(users, items, ratings, n_users, seed=SPLIT_SEED * (s + 1) + seed)
        judge = Judge(split.queries, n_items)
        x = interactions(split.train_users, split.train_items, split.n_train_users, n_items)
        for lam in EASE_LAMBDAS:
            scores.setdefault(lam, []).append(
                sum(judge.ndcg_recall(judge.inputs.astype(np.float64) @ ease_weights(x, lam))) / 2)
    return max(scores, key=lambda lam: np.mean(scores[lam]))


def ease(b: np.ndarray) -> Recommender:
    """Score = sum of the input movies' rows of B."""
    def rec(rows: np.ndarray, ratings: np.ndarray, k: int) -> np.ndarray:
        return top_k(b[rows].sum(axis=0), rows, k)
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
