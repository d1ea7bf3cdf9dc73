"""Implicit feedback for BPMF: who rated what shifts each row's prior mean through a sampled link matrix.

Row r of one side (a user, or a movie in the "flipped" direction) has the implicit features
f_r = indicator(columns r rated) / √n_r over the other side's C columns. Its vector's prior is
N(m + βᵀ f_r, Λ⁻¹) with β (C, d) ~ matrix-normal(0, (λ I)⁻¹, Λ⁻¹) — the Bayesian SVD++ term
(Macau, Simm et al. 2017; Rendle et al. 2019's "flipped" features are the movie side's). β's
conditional is matrix-normal with row precision K = FᵀF + λI, drawn exactly each sweep by
β = K⁻¹ (Fᵀ(X − m + E₁) + √λ E₂), rows of E₁, E₂ ~ N(0, Λ⁻¹). K is fixed, so its inverse is
computed once, (min(R, C), min(R, C)) through Woodbury's identity when R < C.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

# A side gets implicit features when min(rows, features) is at most this: the one dense inverse
# is that wide (4,000² float64 = 128 MB, a few seconds to invert once); larger sides stay plain BPMF.
IMPLICIT_MAX_WIDTH = 4000


@numba.njit(cache=True, nogil=True)
def row_features(indptr, cols, weight, beta):
    """(R, d) float64 F β: row r's weight[r] times the sum of beta's rows at its columns."""
    n_rows, d = indptr.shape[0] - 1, beta.shape[1]
    out = np.zeros((n_rows, d))
    for r in range(n_rows):
        for j in range(indptr[r], indptr[r + 1]):
            c = cols[j]
            for a in range(d):
                out[r, a] += beta[c, a]
        for a in range(d):
            out[r, a] *= weight[r]
    return out


@numba.njit(cache=True, nogil=True)
def column_sums(indptr, cols, weight, x, n_cols):
    """(C, d) float64 Fᵀ x: column c gets weight[r] x[r] from every row r that rated it."""
    d = x.shape[1]
    out = np.zeros((n_cols, d))
    for r in range(indptr.shape[0] - 1):
        w = weight[r]
        for j in range(indptr[r], indptr[r + 1]):
            c = cols[j]
            for a in range(d):
                out[c, a] += w * x[r, a]
    return out


@numba.njit(cache=True, nogil=True)
def gram(indptr, cols, weight, n_cols):
    """(C, C) float64 FᵀF: Σ_r weight[r]² over every pair of columns row r rated (Σ n_r² steps)."""
    out = np.zeros((n_cols, n_cols))
    for r in range(indptr.shape[0] - 1):
        w2 = weight[r] * weight[r]
        for j in range(indptr[r], indptr[r + 1]):
            a = cols[j]
            for k in range(indptr[r], indptr[r + 1]):
                out[a, cols[k]] += w2
    return out


@dataclass(frozen=True)
class Link:
    """One side's implicit features and the fixed inverse that solves with K = FᵀF + λI.

    indptr (R + 1,) int64 and cols (N,) int32: the side's ratings in CSR order (the features);
    weight (R,) float64 = 1/√n_r (0 for a row without ratings). With C ≤ R, inverse is K⁻¹ (C, C);
    with R < C it is (λI + FFᵀ)⁻¹ (R, R) and solves go through Woodbury's identity
    K⁻¹ z = (z − Fᵀ (λI + FFᵀ)⁻¹ F z) / λ, so the dense matrix is min(R, C) wide.
    """

    indptr: np.ndarray
    cols: np.ndarray
    weight: np.ndarray
    inverse: np.ndarray
    lam: float
    n_cols: int

    @classmethod
    def of(cls, indptr: np.ndarray, cols: np.ndarray, by_col_indptr: np.ndarray, by_col_rows: np.ndarray,
           n_cols: int, lam: float) -> "Link":
        """by_col_indptr (C + 1,) / by_col_rows: the same ratings in CSR order by column (the other side's)."""
        n_rows = len(indptr) - 1
        counts = np.diff(indptr)
        weight = np.where(counts > 0, 1.0 / np.sqrt(np.maximum(counts, 1)), 0.0)
        if n_cols <= n_rows:
            k = gram(indptr, cols, weight, n_cols)
        else:  # FFᵀ[r, s] = w_r w_s · (columns both rated)
            k = gram(by_col_indptr, by_col_rows, np.ones(n_cols), n_rows) * np.outer(weight, weight)
        k[np.diag_indices(len(k))] += lam
        return cls(indptr, cols, weight, np.linalg.inv(k), lam, n_cols)

    def mean_shift(self, beta: np.ndarray) -> np.ndarray:
        """(R, d) βᵀ f_r for every row (F β)."""
        return row_features(self.indptr, self.cols, self.weight, beta)

    def solve(self, z: np.ndarray) -> np.ndarray:
        """(C, d) K⁻¹ z for z (C, d)."""
        if len(self.inverse) == self.n_cols:
            return self.inverse @ z
        inner = self.inverse @ self.mean_shift(z)
        return (z - column_sums(self.indptr, self.cols, self.weight, inner, self.n_cols)) / self.lam

    def sample(self, x: np.ndarray, mean: np.ndarray, precision: np.ndarray,
               rng: np.random.Generator) -> np.ndarray:
        """(C, d) β drawn from its conditional given rows x (R, d) and the prior (mean, precision)."""
        cov_chol = np.linalg.cholesky(np.linalg.inv(precision))
        n_rows, d = x.shape
        e1 = rng.standard_normal((n_rows, d)) @ cov_chol.T
        e2 = rng.standard_normal((self.n_cols, d)) @ cov_chol.T
        rhs = column_sums(self.indptr, self.cols, self.weight, x - mean + e1, self.n_cols) + np.sqrt(self.lam) * e2
        return self.solve(rhs)
