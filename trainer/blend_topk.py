"""The top-k movies of many blend weightings at once, one pass over the catalog per query and weighting.

The blend search (trainer.tune_ranking) scores 24 weightings of the same z-scored parts per item-graph
variant. parts.blend of one weighting is alpha * z(g + w_mf m + w_pop p) + (1 - alpha) c; z of the
collaborative sum needs only its standard deviation over the catalog, which follows from the parts'
covariances (computed once per query), and its mean shifts every movie alike. So each weighting ranks
movies by cg g + cm m + cp p + cc c with four per-query coefficients, and its top k is kept in one fused
numba loop: no (Q, I) array per weighting.
"""
from __future__ import annotations

import numba
import numpy as np

STD_FLOOR = 1e-12  # as parts.zscore: a collaborative sum flatter than this z-scores to zeros


def coefficients(graph: np.ndarray, mf: np.ndarray, pop: np.ndarray, weightings: np.ndarray) -> np.ndarray:
    """(B, C, 4) float64 coefficients of (graph, mf, popularity, content) that rank like parts.blend.

    graph, mf (B, I) and pop (I,) are z-scored parts; weightings (C, 4) rows (graph weight, mf weight,
    popularity weight, alpha). The collaborative sum's variance per query is w' S w with S the parts'
    (3, 3) covariance over the catalog.
    """
    n_items = graph.shape[1]
    rows = (graph, mf, np.broadcast_to(pop, graph.shape))
    means = [x.mean(axis=1) for x in rows]
    cov = np.empty((graph.shape[0], 3, 3))
    for a in range(3):
        for b in range(a + 1):  # pairwise, so no (B, 3, I) temporary
            cov[:, a, b] = cov[:, b, a] = np.einsum("bi,bi->b", rows[a], rows[b]) / n_items - means[a] * means[b]
    w = weightings[:, :3]  # (C, 3)
    var = np.einsum("cx,bxy,cy->bc", w, cov, w)
    std = np.sqrt(np.maximum(var, 0.0))
    alpha = weightings[:, 3][None, :]
    scale = np.where(std >= STD_FLOOR, alpha / np.where(std >= STD_FLOOR, std, 1.0), 0.0)  # (B, C)
    out = np.empty((graph.shape[0], len(weightings), 4))
    out[:, :, :3] = scale[:, :, None] * w[None, :, :]
    out[:, :, 3] = 1.0 - alpha
    return out


@numba.njit(cache=True, nogil=True, parallel=True)
def _top(graph, mf, pop, content, coefs, inputs, out):
    """out[b, c] = rows of the k highest coefs[b, c] . (graph, mf, pop, content)[b, j], best first,
    never one of inputs[b]; ties go to the lower row. Queries run in parallel (prange)."""
    n_queries, n_items = graph.shape
    k = out.shape[2]
    for b in numba.prange(n_queries):
        excluded = np.zeros(n_items, dtype=np.bool_)
        for t in range(inputs.shape[1]):
            excluded[inputs[b, t]] = True
        vals = np.empty(k)
        for c in range(coefs.shape[1]):
            cg, cm, cp, cc = coefs[b, c, 0], coefs[b, c, 1], coefs[b, c, 2], coefs[b, c, 3]
            for t in range(k):
                vals[t] = -np.inf
                out[b, c, t] = -1
            for j in range(n_items):
                if excluded[j]:
                    continue
                s = cg * graph[b, j] + cm * mf[b, j] + cp * pop[j] + cc * content[b, j]
                if s > vals[k - 1]:
                    t = k - 1
                    while t > 0 and vals[t - 1] < s:
                        vals[t] = vals[t - 1]
                        out[b, c, t] = out[b, c, t - 1]
                        t -= 1
                    vals[t] = s
                    out[b, c, t] = j


def top_k(graph: np.ndarray, mf: np.ndarray, pop: np.ndarray, content: np.ndarray, weightings: np.ndarray,
          inputs: np.ndarray, k: int = 10) -> np.ndarray:
    """(B, C, k) int64 catalog rows: each query's top k under each weighting (C, 4), inputs (B, n) excluded.

    graph, mf, content (B, I) and pop (I,) float64, each already z-scored over the catalog.
    """
    coefs = coefficients(graph, mf, pop, weightings)
    out = np.empty((graph.shape[0], len(weightings), k), dtype=np.int64)
    _top(np.ascontiguousarray(graph, dtype=np.float64), np.ascontiguousarray(mf, dtype=np.float64),
         np.ascontiguousarray(pop, dtype=np.float64), np.ascontiguousarray(content, dtype=np.float64),
         coefs, np.ascontiguousarray(inputs, dtype=np.int64), out)
    return out


def warm_up() -> None:
    """Compiles (or loads the cached) kernel."""
    z = np.zeros((1, 3))
    top_k(z, z, np.zeros(3), z, np.array([[1.0, 0.1, 0.0, 0.8]]), np.zeros((1, 1), np.int64), 1)
