"""The parts of the hybrid score, defined plainly: rating weights, fold-in, item-graph, genre and popularity scores.

score = alpha * z(w_graph z(graph) + w_ease z(ease) + w_mf z(mf) + w_pop z(log popularity)) + (1 - alpha) * z(content)
with every z over the catalog. Functions take one query (n,) or a batch (Q, n) of input movies and
return scores (I,) or (Q, I); the trainer's blend search calls them batched, the reference model
one query at a time, and ranker.Ranker computes the same score with its moments precomputed.
"""
from __future__ import annotations

import numpy as np

LIKED_RATING = 5.0  # a movie someone "likes" without giving a rating
N_REASONS = 3  # at most this many input movies named per recommendation ("because you liked ...")
# An input is named only when it carries at least this share of the recommendation's collaborative score
# (its positive parts: the inputs' and popularity's): a reason that explains a fifth of it or less is noise.
REASON_MIN_SHARE = 0.25
# "Mostly genre" / "mostly popularity": that part is at least this share of the score's positive parts.
MOSTLY_SHARE = 0.5
DRIVER_INPUTS, DRIVER_GENRE, DRIVER_POPULARITY = "inputs", "genre", "popularity"
# Ridge of the fold-in: lowest RMSE on held-out users' other ratings for 3-20 folded-in ratings, SGD and BPMF
# models alike (bench/trainer/foldin.py). Written into every manifest as serving.foldin_reg.
DEFAULT_FOLDIN_REG = 3.0
DEFAULT_RATING_SCALE = (1.0, 5.0)

# Blend weights inside the collaborative part, relative to the item graph (weight 1), for artifacts
# without an item graph (`--ranking off`); trained artifacts carry their own in manifest["serving"].
# Chosen on held-out users of ML-100K: popularity dominates once there is no graph (bench/ranking/RESULTS.md).
FALLBACK_WEIGHTS = {"graph": 0.0, "ease": 0.0, "mf": 1.0, "popularity": 4.0}
FALLBACK_ALPHA = 0.9


def zscore(x: np.ndarray) -> np.ndarray:
    """x standardised along its last axis (the catalog), zeros where it is constant: (..., I) float."""
    mean = x.mean(axis=-1, keepdims=True)
    std = x.std(axis=-1, keepdims=True)
    ok = np.isfinite(std) & (std >= 1e-12)
    return np.where(ok, (x - mean) / np.where(ok, std, 1.0), 0.0).astype(x.dtype, copy=False)


def unit_rows(m: np.ndarray) -> np.ndarray:
    """Rows of m scaled to unit length, zero rows kept zero: genre vectors (I, G) -> unit vectors (I, G)."""
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    return np.divide(m, norms, out=np.zeros_like(m), where=norms > 0)


def popularity(n_ratings: np.ndarray) -> np.ndarray:
    """z(log(1 + number of ratings)) (I,) float32: the prior that held-out users follow most."""
    return zscore(np.log1p(np.asarray(n_ratings, dtype=np.float32)))


def rating_weights(ratings: np.ndarray, scale: tuple[float, float] = DEFAULT_RATING_SCALE) -> np.ndarray:
    """float64 weight of each rating (any shape): 1 at the top of the scale, 0 at its midpoint, -1 at the bottom."""
    low, high = scale
    midpoint = (low + high) / 2.0
    return (np.asarray(ratings, dtype=np.float64) - midpoint) / (high - midpoint)


def fold_in_coefficients(item_factors: np.ndarray, rows: np.ndarray, weights: np.ndarray, reg: float) -> np.ndarray:
    """c (n,) float64 with fold_in's p = Q^T c: each input movie's coefficient, so q_j . p = sum_i c_i q_i . q_j."""
    q = item_factors[rows].astype(np.float64)  # (n, k)
    return np.linalg.solve(q @ q.T + reg * np.eye(len(rows)), np.asarray(weights, dtype=np.float64))


def fold_in(item_factors: np.ndarray, rows: np.ndarray, weights: np.ndarray, reg: float) -> np.ndarray:
    """A new user's factors p (k,) float32 by regularised least squares against the input movies' factors.

    Minimises sum_j (w_j - q_j . p)^2 + reg |p|^2 over the n input movies, with w (n,) their rating
    weights and q_j rows of item_factors (I, k). Solved in its n x n dual form,
    p = Q^T (Q Q^T + reg I)^-1 w, since n (<= 100) is small next to k. Unlike a mean of the factors,
    correlated inputs do not count twice; as reg grows the answer tends to the weighted mean direction.
    """
    return fold_in_with_coefficients(item_factors, rows, weights, reg)[0]


def fold_in_with_coefficients(item_factors: np.ndarray, rows: np.ndarray, weights: np.ndarray,
                              reg: float) -> tuple[np.ndarray, np.ndarray]:
    """fold_in's p (k,) float32 and the coefficients c (n,) float64 it is made of (fold_in_coefficients)."""
    q = item_factors[rows].astype(np.float64)  # (n, k)
    c = fold_in_coefficients(item_factors, rows, weights, reg)
    return (q.T @ c).astype(np.float32), c


def graph_scores(neighbor_rows: np.ndarray, neighbor_weights: np.ndarray, input_rows: np.ndarray,
                 input_weights: np.ndarray, n_items: int) -> np.ndarray:
    """Sum over input movies m of input_weights[m] * weight(m -> j), for every movie j: (I,) or (Q, I) float64.

    neighbor_rows/neighbor_weights: the (I, N) pruned item graph, int32 / float32; input_rows (n,) or
    (Q, n) int64 and input_weights of the same shape: O(n * N) work per query, never (I, I).
    """
    batched = np.ndim(input_rows) == 2
    input_rows, input_weights = np.atleast_2d(input_rows), np.atleast_2d(input_weights)
    offset = np.arange(len(input_rows))[:, None, None] * n_items  # each query its own stretch of I
    flat = (neighbor_rows[input_rows] + offset).ravel()
    contrib = (neighbor_weights[input_rows] * input_weights[:, :, None]).ravel()
    out = np.bincount(flat, weights=contrib, minlength=len(input_rows) * n_items).reshape(-1, n_items)
    return out if batched else out[0]


def ease_scores(ease_rows: np.ndarray, ease_weights: np.ndarray, input_rows: np.ndarray,
                input_weights: np.ndarray, n_items: int) -> np.ndarray:
    """Sum over input movies m in the EASE part of input_weights[m] * B[m, j], for every movie j: (I,) or (Q, I)
    float64, 0 outside the part.

    ease_rows (N,) int32: the catalog rows the part covers; ease_weights B (N, N) float32, row i for
    movie ease_rows[i] (trainer/ease.py); inputs outside the part add nothing.
    """
    batched = np.ndim(input_rows) == 2
    input_rows, input_weights = np.atleast_2d(input_rows), np.atleast_2d(input_weights)
    position = np.full(n_items, -1, dtype=np.int64)
    position[ease_rows] = np.arange(len(ease_rows))
    pos = position[input_rows]  # (Q, n)
    w = np.where(pos >= 0, input_weights, 0.0)
    out = np.zeros((len(input_rows), n_items))
    out[:, ease_rows] = np.einsum("qn,qnj->qj", w, ease_weights[np.maximum(pos, 0)].astype(np.float64))
    return out if batched else out[0]


def mf_scores(item_factors: np.ndarray, input_rows: np.ndarray, input_weights: np.ndarray, reg: float) -> np.ndarray:
    """q_i . p for every movie i, p folded in from the inputs: (I,) or (Q, I) float64.

    Item bias is left out on purpose: it favours movies few people rated highly, which held-out users rarely pick.
    """
    if np.ndim(input_rows) == 1:
        return item_factors.astype(np.float64) @ fold_in(item_factors, input_rows, input_weights, reg)
    folded = np.stack([fold_in(item_factors, r, w, reg) for r, w in zip(input_rows, input_weights)])  # (Q, k)
    return folded.astype(np.float64) @ item_factors.T.astype(np.float64)


def content_scores(genre_units: np.ndarray, input_rows: np.ndarray, input_weights: np.ndarray) -> np.ndarray:
    """Each movie's genre unit vector against the rating-weighted genre profile of the inputs: (I,) or (Q, I) float64.

    genre_units (I, G) from unit_rows: with one input, the genre cosine to it.
    """
    profile = np.einsum("...n,...ng->...g", input_weights, genre_units[input_rows].astype(np.float64))
    return profile @ genre_units.T.astype(np.float64)


def blend(graph_z: np.ndarray | None, mf_z: np.ndarray | None, pop_z: np.ndarray, content_z: np.ndarray,
          weights: dict[str, float], alpha: float, ease_z: np.ndarray | None = None) -> np.ndarray:
    """alpha * z(w_graph graph_z + w_ease ease_z + w_mf mf_z + w_pop pop_z) + (1 - alpha) * content_z, along the
    last axis.

    Every part (I,) or (Q, I) already z-scored (zscore of graph_scores, ease_scores, mf_scores, content_scores;
    popularity()), so a search over weights standardises each part once; a part that is None or has
    weight 0 is left out. This is the definition that ranker.Ranker computes fast.
    """
    cf = weights["popularity"] * pop_z
    if graph_z is not None and weights["graph"]:
        cf = cf + weights["graph"] * graph_z
    if ease_z is not None and weights.get("ease", 0.0):
        cf = cf + weights["ease"] * ease_z
    if mf_z is not None and weights["mf"]:
        cf = cf + weights["mf"] * mf_z
    return alpha * zscore(cf) + (1.0 - alpha) * content_z


def explanations(inputs: np.ndarray, pop: np.ndarray, content_z: np.ndarray, alpha: float
                 ) -> tuple[list[list[tuple[int, float]]], list[str], np.ndarray, np.ndarray]:
    """What carried each of k recommendations, from the parts of its score.

    inputs (n, k) float64: each input movie's term of the result's z(collaborative) (they sum, with
    pop (k,), to it: Ranker.contributions); content_z (k,): its z(genre similarity). Returns per result
    its driver: DRIVER_GENRE or DRIVER_POPULARITY when that part is at least MOSTLY_SHARE of the score's
    positive parts (alpha * collaborative terms, (1 - alpha) * genre), else DRIVER_INPUTS ("" when
    nothing is positive); when it is the inputs, the ones named as reasons, [(input index, share)]
    largest first: at most N_REASONS, each with at least REASON_MIN_SHARE of the collaborative score's
    positive parts (the inputs' and popularity's); and the genre and popularity shares of the score's
    positive parts (k,) float64.
    """
    own = np.maximum(inputs, 0.0)  # (n, k)
    pop_plus = np.maximum(pop, 0.0)  # (k,)
    cf_total = own.sum(axis=0) + pop_plus
    share = own / np.where(cf_total > 0, cf_total, 1.0)  # (n, k)
    genre = (1.0 - alpha) * np.maximum(content_z, 0.0)
    total = alpha * cf_total + genre
    safe = np.where(total > 0, total, 1.0)
    genre_share, pop_share = np.where(total > 0, genre / safe, 0.0), np.where(total > 0, alpha * pop_plus / safe, 0.0)
    # One sort for all results, and Python floats in the loop: per-element numpy indexing cost more than the rest.
    order = np.argsort(-share, axis=0, kind="stable")[:N_REASONS]  # (<= N_REASONS, k)
    top_inputs, top_shares = order.T.tolist(), np.take_along_axis(share, order, axis=0).T.tolist()
    reasons, drivers = [], []
    for t, g, p, inputs_j, shares_j in zip(total.tolist(), genre_share.tolist(), pop_share.tolist(), top_inputs,
                                           top_shares):
        if t <= 0:
            drivers.append("")
        elif g >= MOSTLY_SHARE:
            drivers.append(DRIVER_GENRE)
        elif p >= MOSTLY_SHARE:
            drivers.append(DRIVER_POPULARITY)
        else:
            drivers.append(DRIVER_INPUTS)
        named: list[tuple[int, float]] = []
        if drivers[-1] == DRIVER_INPUTS:
            named = [(i, x) for i, x in zip(inputs_j, shares_j) if x >= REASON_MIN_SHARE]
        reasons.append(named)
    return reasons, drivers, genre_share, pop_share
