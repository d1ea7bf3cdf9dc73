"""EASE (Steck 2019), the closed-form item-item model, fitted offline as a part of the served blend.

B = -P / diag(P) column by column with a zero diagonal, P = (X'X + Λ)^-1 and X who liked (>= LIKED)
what among the training users, Λ = λI + odds * diag(X'X). odds > 0 is EDLAE's emphasised dropout
(Steck 2020, "Autoencoders that don't overfit towards the identity"): odds = p / (1 - p) for dropout
probability p, so it learns to predict a user's likes from a few of them, as a request gives (5 inputs of a
user's ~60-150 likes: odds ~32, p ~0.97, scored best on validation users; odds 0 is plain EASE).
A person's EASE score of movie j is sum over their inputs i of w_i B[i, j] (movierec/ranking/parts.ease_scores).
B is dense (N, N): catalogs above MAX_ITEMS keep only their N most-liked movies in it (the others score 0 in
this part), so the artifact, the fit and a request stay bounded.
"""
from __future__ import annotations

import numpy as np

from trainer.heldout import LIKED

# (N, N) float32: 64 MB in the artifact at 4,000 movies, and one 4,000^3 inverse at training.
MAX_ITEMS = 4000
USER_BLOCK = 8192  # users per dense (block, N) float32 slice of X while summing X'X: 128 MB at N = 4,000


class Gram:
    """X'X of liked ratings over the (at most max_items) most-liked movies; weights() eigendecomposes it
    once, so each further λ of plain EASE costs one (N, N) product instead of an inverse (a dropout
    emphasis is not a shift of the spectrum: one inverse each)."""

    def __init__(self, users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, n_items: int,
                 max_items: int = MAX_ITEMS) -> None:
        liked = ratings >= LIKED
        counts = np.bincount(items[liked], minlength=n_items)
        keep = np.argsort(-counts, kind="stable")[:max_items] if n_items > max_items else np.arange(n_items)
        self.rows = np.sort(keep).astype(np.int32)  # (N,) catalog rows in the part
        position = np.full(n_items, -1, dtype=np.int64)
        position[self.rows] = np.arange(len(self.rows))
        inside = liked & (position[items] >= 0)
        u, cols = users[inside], position[items[inside]]
        n = len(self.rows)
        self.gram = np.zeros((n, n))  # (N, N) float64 X'X, from dense blocks of users (numpy only)
        for start in range(0, n_users, USER_BLOCK):
            mine = (u >= start) & (u < start + USER_BLOCK)
            x = np.zeros((min(USER_BLOCK, n_users - start), n), dtype=np.float32)
            x[u[mine] - start, cols[mine]] = 1.0
            self.gram += x.T @ x  # co-liked counts, exact in float32 below 2^24 users
        self._eigen: tuple[np.ndarray, np.ndarray] | None = None
        # ease_setting judges every setting, then the first split's search asks again for the chosen one
        self._last: tuple[tuple[float, float], np.ndarray] | None = None

    def weights(self, lam: float, odds: float = 0.0) -> np.ndarray:
        """B (N, N) float32 for regularisation λ > 0 and dropout odds >= 0: row i holds movie rows[i]'s
        weights to every movie in the part."""
        _check(lam, odds)
        if self._last is not None and self._last[0] == (lam, odds):
            return self._last[1]
        if odds:
            inverse = regularised_inverse(self.gram, lam, odds)
        else:
            if self._eigen is None:
                self._eigen = np.linalg.eigh(self.gram)
            e, v = self._eigen
            inverse = (v / (e + lam)) @ v.T
        b = closed_form(inverse).astype(np.float32)
        self._last = ((lam, odds), b)
        return b


def _check(lam: float, odds: float) -> None:
    if lam <= 0:
        raise ValueError(f"EASE needs λ > 0, got {lam}")
    if odds < 0:
        raise ValueError(f"EASE's dropout odds must be >= 0, got {odds}")


def regularised_inverse(gram: np.ndarray, lam: float, odds: float = 0.0) -> np.ndarray:
    """P = (X'X + Λ)^-1, Λ = λI + odds * diag(X'X), by one inverse of the (N, N) float64 gram."""
    _check(lam, odds)
    return np.linalg.inv(gram + np.diag(lam + odds * np.diag(gram)))


def closed_form(inverse: np.ndarray) -> np.ndarray:
    """B = -P / diag(P) column by column, zero diagonal, from P = (X'X + Λ)^-1 (float64, as given)."""
    b = -inverse / np.diag(inverse)
    np.fill_diagonal(b, 0.0)
    return b


def fit(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, n_items: int, lam: float,
        max_items: int = MAX_ITEMS, odds: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The artifact's ease_rows (N,) int32 and ease_weights (N, N) float32 from (N,) user, item, rating arrays:
    one λ and dropout odds, so one inverse (several times quicker than the search's eigendecomposition)."""
    _check(lam, odds)
    gram = Gram(users, items, ratings, n_users, n_items, max_items)
    return gram.rows, closed_form(regularised_inverse(gram.gram, lam, odds)).astype(np.float32)
