"""Builds the item-item graph offline: RP3beta walk weights from who-rated-what, top-N neighbours per movie.

RP3beta (Paudel et al. 2016; a strong graph baseline in Dacrema et al. 2019): the weight from movie
i to movie j is the probability of walking i -> a user who rated i -> j, each step's probability
raised to `alpha`, divided by j's popularity to the power `beta` (so blockbusters do not neighbour
everything). Ratings below LIKED count `low_weight` in the walk, liked ones 1.

build_graph walks from one movie at a time and keeps its top N as it goes, so a 62,000-movie catalog
never holds the dense (I, I) matrix; the artifact stores `neighbor_rows` / `neighbor_weights` (I, N),
which the scorer sums a few rows of per request. The blend search walks only from its validation
queries' input movies and keeps their top N for several betas per walk (top_rows). Walk.block, the
dense rows, stays as the plain definition the tests and the dense reference search check against.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np

from trainer.heldout import LIKED


@dataclass(frozen=True)
class Interactions:
    """Weighted who-rated-what (1 for a liked rating, low_weight below; zero weights dropped), CSR both ways.

    by user: user_ptr (U + 1,) int64, user_items (M,) int32, user_weight (M,) float64;
    by item: item_ptr (I + 1,) int64, item_users (M,) int32, item_weight (M,) float64;
    user_degree (U,) and item_degree (I,) float64 are the weight sums.
    """

    n_users: int
    n_items: int
    user_ptr: np.ndarray
    user_items: np.ndarray
    user_weight: np.ndarray
    item_ptr: np.ndarray
    item_users: np.ndarray
    item_weight: np.ndarray
    user_degree: np.ndarray
    item_degree: np.ndarray


def interactions(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, n_items: int,
                 low_weight: float) -> Interactions:
    """Interactions of (N,) user index, item row and rating arrays; a (user, item) pair must occur once."""
    weight = np.where(ratings >= LIKED, 1.0, float(low_weight))
    keep = weight > 0
    users, items, weight = users[keep], items[keep], weight[keep]

    def csr(major: np.ndarray, minor: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        order = np.argsort(major, kind="stable")
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(major, minlength=n), out=ptr[1:])
        return ptr, minor[order].astype(np.int32), weight[order]

    user_ptr, user_items, user_weight = csr(users, items, n_users)
    item_ptr, item_users, item_weight = csr(items, users, n_items)
    return Interactions(n_users, n_items, user_ptr, user_items, user_weight, item_ptr, item_users, item_weight,
                        np.bincount(users, weight, n_users), np.bincount(items, weight, n_items))


@numba.njit(cache=True, nogil=True)
def _walk_block(start, item_ptr, item_users, item_step, user_ptr, user_items, user_step, out):
    """out[b, j] = sum over users u of item i = start + b: item_step (i -> u) * user_step (u -> j).

    Sparse: each user's list is visited once per movie they rated; out (B, I) float64 zeroed.
    """
    for b in range(out.shape[0]):
        row = out[b]
        for p in range(item_ptr[start + b], item_ptr[start + b + 1]):
            u = item_users[p]
            a = item_step[p]
            for q in range(user_ptr[u], user_ptr[u + 1]):
                row[user_items[q]] += a * user_step[q]


class Walk:
    """RP3 walk probabilities of one Interactions for one alpha; blocks of rows before the beta damping."""

    def __init__(self, inter: Interactions, alpha: float) -> None:
        self.inter = inter
        # P(i -> u) = x_ui / deg(i) and P(u -> j) = x_uj / deg(u), each raised to alpha.
        item_deg = np.repeat(inter.item_degree, np.diff(inter.item_ptr))
        user_deg = np.repeat(inter.user_degree, np.diff(inter.user_ptr))
        self.item_step = (inter.item_weight / item_deg) ** alpha
        self.user_step = (inter.user_weight / user_deg) ** alpha

    def block(self, start: int, stop: int) -> np.ndarray:
        """(stop - start, I) float64 walk weights of rows start..stop-1 (no popularity damping)."""
        i = self.inter
        out = np.zeros((stop - start, i.n_items))
        _walk_block(start, i.item_ptr, i.item_users, self.item_step, i.user_ptr, i.user_items, self.user_step, out)
        return out

    def damping(self, beta: float) -> np.ndarray:
        """(I,) float64 divisor of column j: popularity (weighted degree, at least 1) ** beta."""
        return np.maximum(self.inter.item_degree, 1.0) ** beta


def prune(weights: np.ndarray, n: int, first_row: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Top-n neighbours of every row of a (B, I) block whose row b is movie first_row + b.

    Returns rows (B, n) int32 and weights (B, n) float32, largest first, never a movie itself.
    Rows with fewer than n positive weights are filled with zero (or negative) ones; they add nothing.
    """
    n = min(n, weights.shape[1] - 1)
    w = weights.copy()
    b = np.arange(w.shape[0])
    w[b, first_row + b] = -np.inf  # never one's own neighbour
    top = np.argpartition(-w, n - 1, axis=1)[:, :n]
    vals = np.take_along_axis(w, top, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    rows = np.take_along_axis(top, order, axis=1).astype(np.int32)
    return rows, np.take_along_axis(vals, order, axis=1).astype(np.float32)


@numba.njit(cache=True, nogil=True)
def _walk_top(n, targets, item_ptr, item_users, item_step, user_ptr, user_items, user_step, dampings, out_rows,
              out_weights):
    """Top-n RP3beta neighbours of the movies `targets` (R,), for each damping, sparse: row i is accumulated
    over the movies its walks reach (a dense (I,) accumulator reset entry by entry), damped, n largest kept.

    dampings (D, I) float64; out_rows (D, R, n) int32 and out_weights (D, R, n) float32 are filled largest
    first; a movie whose walks reach fewer than n others gets zero-weight fillers (the lowest rows not
    reached), as prune would. One walk serves every damping: the search tries several betas per walk.
    """
    n_items = dampings.shape[1]
    acc = np.zeros(n_items)
    seen = np.full(n_items, -1)  # seen[j] == r: target r's walks reached j
    reached = np.empty(n_items, dtype=np.int64)
    for r in range(targets.shape[0]):
        i = targets[r]
        m = 0
        for p in range(item_ptr[i], item_ptr[i + 1]):
            u = item_users[p]
            a = item_step[p]
            for q in range(user_ptr[u], user_ptr[u + 1]):
                j = user_items[q]
                if seen[j] != r:
                    seen[j] = r
                    acc[j] = 0.0
                    if j != i:  # never one's own neighbour
                        reached[m] = j
                        m += 1
                acc[j] += a * user_step[q]
        for d in range(dampings.shape[0]):
            cols = reached[:m]
            vals = np.empty(m)
            for t in range(m):
                vals[t] = acc[cols[t]] / dampings[d, cols[t]]
            if m > n:  # keep the n largest: those above the n-th largest value, then ties in reach order
                threshold = np.partition(vals, m - n)[m - n]
                keep = np.empty(n, dtype=np.int64)
                k = 0
                for t in range(m):
                    if vals[t] > threshold:
                        keep[k] = t
                        k += 1
                for t in range(m):
                    if k < n and vals[t] == threshold:
                        keep[k] = t
                        k += 1
                cols, vals = cols[keep], vals[keep]
            order = np.argsort(-vals, kind="mergesort")
            k = len(order)
            for t in range(k):
                out_rows[d, r, t] = cols[order[t]]
                out_weights[d, r, t] = vals[order[t]]
            j = 0
            while k < n:  # fillers of weight 0
                if j != i and seen[j] != r:
                    out_rows[d, r, k] = j
                    out_weights[d, r, k] = 0.0
                    k += 1
                j += 1


@numba.njit(cache=True, nogil=True, parallel=True)
def _walk_top_chunks(n, chunks, targets, item_ptr, item_users, item_step, user_ptr, user_items, user_step, dampings,
                     out_rows, out_weights):
    """_walk_top over `chunks` contiguous slices of targets in parallel, each with its own buffers."""
    size = (targets.shape[0] + chunks - 1) // chunks
    for c in numba.prange(chunks):
        lo = c * size
        hi = min(lo + size, targets.shape[0])
        if lo < hi:
            _walk_top(n, targets[lo:hi], item_ptr, item_users, item_step, user_ptr, user_items, user_step, dampings,
                      out_rows[:, lo:hi], out_weights[:, lo:hi])


def top_rows(inter: Interactions, alpha: float, betas: Sequence[float], n: int,
             targets: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The pruned RP3beta rows of `targets` (R,) movies (all by default), one set per beta in one walk:
    rows (len(betas), R, n) int32 and weights (len(betas), R, n) float32, largest first.

    Sparse: time is the target movies' walks (for each, the ratings of the users who rated it) plus the
    movies each reaches; memory is the result and a few (I,) arrays, never (I, I). Equal to
    prune(Walk.block / damping(beta), n) on those rows up to the order of tied weights.
    """
    walk = Walk(inter, alpha)
    targets = np.arange(inter.n_items) if targets is None else np.asarray(targets, dtype=np.int64)
    n = min(n, inter.n_items - 1)
    rows = np.empty((len(betas), len(targets), n), dtype=np.int32)
    weights = np.empty((len(betas), len(targets), n), dtype=np.float32)
    dampings = np.stack([walk.damping(b) for b in betas])
    # Every core walks its share; rows are dealt round-robin (order) so popular, costly movies spread evenly.
    chunks = 4 * numba.get_num_threads()
    order = np.argsort(np.arange(len(targets)) % chunks, kind="stable")
    _walk_top_chunks(n, chunks, targets[order], inter.item_ptr, inter.item_users, walk.item_step, inter.user_ptr,
                     inter.user_items, walk.user_step, dampings, rows, weights)
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return rows[:, back], weights[:, back]


def build_graph(inter: Interactions, alpha: float, beta: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The pruned RP3beta graph of every movie: rows (I, n) int32 and weights (I, n) float32, largest first.

    Time is the walks' length (sum over users of their ratings squared); a 62,000-movie catalog fits.
    """
    rows, weights = top_rows(inter, alpha, [beta], n)
    return rows[0], weights[0]


def warm_up() -> None:
    """Compiles (or loads the cached) walk kernels, so timings measure the build only."""
    inter = interactions(np.zeros(1, np.int32), np.zeros(1, np.int32), np.full(1, 5.0, np.float32), 1, 2, 0.5)
    Walk(inter, 0.5).block(0, 2)
    build_graph(inter, 0.5, 0.5, 1)
