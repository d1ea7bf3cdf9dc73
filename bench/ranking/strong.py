"""The strongest published baselines, each tuned on the validation users the product's blend is chosen on.

RP3beta alone, EASE (all ratings / liked only, wide λ grid), iALS (implicit's AlternatingLeastSquares,
held-out users folded in with recalculate_user), SLIM-ElasticNet (scikit-learn) and Mult-VAE (Liang et
al. 2018, PyTorch on the CPU, in multvae.py).
A family maps training ratings and a grid of parameters to batch scorers: (Q, n) input rows and
ratings -> (Q, I) scores; tune() picks the grid point with the best (NDCG@10 + Recall@10) / 2 over
the validation splits (trainer.tune_ranking's seeds), fit() builds it on all of a seed's training users.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from bench.ranking.protocol import Recommender, top_k
from movierec.ranking import parts
from trainer import ease, item_graph
from trainer.heldout import LIKED, Judge, split_arrays
from trainer.tune_ranking import SPLIT_SEED, VALIDATION_SPLITS

Train = tuple[np.ndarray, np.ndarray, np.ndarray, int]  # users (N,) int32, items (N,) int32, ratings (N,), n_users
BatchScorer = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (Q, n) rows, (Q, n) ratings -> (Q, I) float
Family = Callable[[Train, int, list[dict[str, Any]]], Iterator[tuple[dict[str, Any], BatchScorer]]]


@dataclass(frozen=True)
class Validation:
    """One validation split of a seed's training ratings: its training part, judge and query inputs (Q, 5)."""

    train: Train
    judge: Judge
    rows: np.ndarray
    ratings: np.ndarray


def validation_splits(train: Train, n_items: int, seed: int, splits: int = VALIDATION_SPLITS) -> list[Validation]:
    """The held-out-user splits of these training ratings that trainer.tune_ranking scores blends on."""
    out = []
    for s in range(splits):
        split = split_arrays(*train, seed=SPLIT_SEED * (s + 1) + seed)
        out.append(Validation((split.train_users, split.train_items, split.train_ratings, split.n_train_users),
                              Judge(split.queries, n_items), np.stack([q.input_rows for q in split.queries]),
                              np.stack([q.input_ratings for q in split.queries])))
    return out


def tune(family: Family, grid: list[dict[str, Any]], splits: list[Validation],
         n_items: int) -> tuple[dict[str, Any], float]:
    """The grid point with the best mean (NDCG@10 + Recall@10) / 2 over the splits, and that score."""
    scores: dict[str, list[float]] = {}
    by_key: dict[str, dict[str, Any]] = {}
    for v in splits:
        for params, scorer in family(v.train, n_items, grid):
            key = repr(sorted(params.items()))
            by_key[key] = params
            scores.setdefault(key, []).append(sum(v.judge.ndcg_recall(scorer(v.rows, v.ratings))) / 2)
    best = max(scores, key=lambda key: np.mean(scores[key]))
    return by_key[best], float(np.mean(scores[best]))


def fit(family: Family, params: dict[str, Any], train: Train, n_items: int) -> Recommender:
    """The family at params, fitted on train, as a one-query Recommender."""
    _, scorer = next(family(train, n_items, [params]))

    def rec(rows: np.ndarray, ratings: np.ndarray, k: int) -> np.ndarray:
        return top_k(scorer(rows[None], ratings[None])[0], rows, k)
    return rec


def grid(**axes: tuple) -> list[dict[str, Any]]:
    """Every combination of the axes' values, as dicts."""
    points: list[dict[str, Any]] = [{}]
    for name, values in axes.items():
        points = [{**p, name: v} for p in points for v in values]
    return points


def _matrix(train: Train, n_items: int, liked_only: bool) -> sp.csr_matrix:
    """(U, I) float32 CSR, 1 where a user rated (liked_only: liked) an item."""
    users, items, ratings, n_users = train
    keep = ratings >= LIKED if liked_only else np.ones(len(users), dtype=bool)
    return sp.csr_matrix((np.ones(int(keep.sum()), dtype=np.float32), (users[keep], items[keep])),
                         shape=(n_users, n_items))


def _inputs(rows: np.ndarray, n_items: int) -> sp.csr_matrix:
    """(Q, I) float32 CSR of queries' input rows (Q, n)."""
    q, n = rows.shape
    return sp.csr_matrix((np.ones(q * n, dtype=np.float32), (np.repeat(np.arange(q), n), rows.ravel())),
                         shape=(q, n_items))


# ---- RP3beta alone ----------------------------------------------------------------------------

RP3_GRID = grid(low=(0.0, 1.0), alpha=(0.5, 0.7, 1.0), beta=(0.2, 0.3, 0.4, 0.5, 0.6), neighbors=(100, 200))


def rp3beta(train: Train, n_items: int, points: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], BatchScorer]]:
    """RP3beta (trainer.item_graph) pruned to `neighbors`, scored as the plain sum of the inputs' rows.

    low: weight of a rating below liked in the walk (0 = liked only)."""
    walks: dict[tuple[float, float], tuple[Any, np.ndarray]] = {}
    for p in points:
        if (p["low"], p["alpha"]) not in walks:
            inter = item_graph.interactions(*train[:3], train[3], n_items, p["low"])
            walk = item_graph.Walk(inter, p["alpha"])
            walks = {(p["low"], p["alpha"]): (walk, walk.block(0, n_items))}  # one dense (I, I) at a time
        walk, full = walks[p["low"], p["alpha"]]
        rows, weights = item_graph.prune(full / walk.damping(p["beta"]), p["neighbors"])
        yield p, (lambda r, s, rows=rows, weights=weights:
                  parts.graph_scores(rows, weights, r, np.ones(r.shape), n_items))


# ---- EASE ---------------------------------------------------------------------------------------

EASE_GRID = grid(lam=(25.0, 100.0, 400.0, 1600.0, 3200.0, 6400.0, 12800.0, 51200.0))
# EDLAE (Steck 2020): EASE with emphasised dropout, Λ = λI + odds * diag(G) (trainer/ease.py)
EDLAE_GRID = grid(lam=(100.0, 200.0, 400.0, 800.0, 1600.0), odds=(8.0, 16.0, 24.0, 32.0, 48.0, 64.0))


def ease_family(liked_only: bool) -> Family:
    """EASE (Steck 2019) on all ratings or on liked ones only; λ (and EDLAE's dropout odds) from the grid.

    Plain EASE's (G + λI)^-1 = V diag(1 / (e + λ)) V' from one eigendecomposition G = V diag(e) V' per
    fit, so each λ costs one (I, I) product instead of an inverse; dropout odds cost one inverse each."""
    def family(train: Train, n_items: int,
               points: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], BatchScorer]]:
        x = _matrix(train, n_items, liked_only)
        g = (x.T @ x).toarray().astype(np.float64)
        eigen: tuple[np.ndarray, np.ndarray] | None = None
        for p in points:
            if p.get("odds"):
                inv = ease.regularised_inverse(g, p["lam"], p["odds"])
            else:
                eigen = eigen or np.linalg.eigh(g)
                inv = (eigen[1] / (eigen[0] + p["lam"])) @ eigen[1].T
            b = ease.closed_form(inv)
            yield p, (lambda r, s, b=b: _inputs(r, n_items) @ b)
    return family


# ---- iALS (implicit) ----------------------------------------------------------------------------

IALS_GRID = grid(factors=(64, 128), regularization=(1.0, 10.0, 50.0), alpha=(1.0, 5.0, 20.0))
IALS_ITERATIONS = 15


def ials(train: Train, n_items: int, points: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], BatchScorer]]:
    """implicit's AlternatingLeastSquares on who-rated-what (confidence 1 + alpha); a held-out user's
    factors come from recalculate_user on their inputs, scores = their factors . item factors."""
    from implicit.cpu.als import AlternatingLeastSquares  # benchmark-only dependency

    x = _matrix(train, n_items, liked_only=False)
    for p in points:
        model = AlternatingLeastSquares(factors=p["factors"], regularization=p["regularization"], alpha=p["alpha"],
                                        iterations=IALS_ITERATIONS, num_threads=1, random_state=0)
        model.fit(x, show_progress=False)

        def scorer(r: np.ndarray, s: np.ndarray, model=model) -> np.ndarray:
            users = model.recalculate_user(np.arange(len(r)), _inputs(r, n_items))
            return np.asarray(users) @ np.asarray(model.item_factors).T
        yield p, scorer


# ---- SLIM-ElasticNet (scikit-learn) ------------------------------------------------------------

# scikit-learn's objective per item is 1/(2U) |x_j - X w|^2 + alpha l1_ratio |w|_1 + alpha (1 - l1_ratio)
# |w|^2 / 2, so alpha U plays EASE's λ: alpha 1-30 at U ≈ 600 training users spans the λ EASE chooses
# (1,600-6,400). On seed 0's first validation split l1_ratio 1e-5 … 1e-3 scored within 0.002 of each other
# and 1e-2 0.04 lower; one path over the alphas costs 4-11 CPU s there (all ratings the dearer).
SLIM_GRID = grid(liked_only=(True, False), l1_ratio=(1e-5, 1e-3), alpha=(30.0, 10.0, 5.0, 3.0, 1.0),
                 neighbors=(0, 100))


def slim_weights(x: sp.spmatrix, l1_ratio: float, alphas: Sequence[float]) -> np.ndarray:
    """(A, I, I) float32 SLIM weights, one (I, I) per alpha in the order given; x: (U, I) who-rated-what.

    Column j is scikit-learn's elastic net of x's column j on the other columns (its own zeroed in place, so
    the diagonal is 0), non-negative, no intercept: ElasticNet's own solver (enet_path, on sparse input),
    warm-started from the largest alpha to the smallest as ElasticNet(warm_start=True) would be."""
    from sklearn.linear_model import enet_path  # benchmark-only dependency

    xc = sp.csc_matrix(x, dtype=np.float64)
    n_users, n_items = xc.shape
    order = sorted(set(alphas), reverse=True)
    out = np.zeros((len(order), n_items, n_items), dtype=np.float32)
    for j in range(n_items):
        start, end = xc.indptr[j], xc.indptr[j + 1]
        if start == end:
            continue  # nobody rated it: nothing to predict
        y = np.zeros(n_users)
        y[xc.indices[start:end]] = xc.data[start:end]
        kept = xc.data[start:end].copy()
        xc.data[start:end] = 0.0
        _, coefs, _ = enet_path(xc, y, l1_ratio=l1_ratio, alphas=order, positive=True, precompute=False,
                                check_input=False)
        xc.data[start:end] = kept
        out[:, :, j] = coefs.T
    return out[[order.index(a) for a in alphas]]


def top_per_column(b: np.ndarray, k: int) -> np.ndarray:
    """(I, I) b with each column's k largest weights kept and the rest zeroed."""
    if k >= b.shape[0]:
        return b
    keep = np.argpartition(-b, k - 1, axis=0)[:k]
    out = np.zeros_like(b)
    np.put_along_axis(out, keep, np.take_along_axis(b, keep, axis=0), axis=0)
    return out


def slim(train: Train, n_items: int, points: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], BatchScorer]]:
    """SLIM-ElasticNet (Ning & Karypis 2011, tuned as Ferrari Dacrema et al. 2019) on all or liked ratings:
    scores = inputs' rows of W; one warm-started path over the grid's alphas per (liked_only, l1_ratio);
    neighbors: each item's largest weights kept (0 = all)."""
    runs: dict[tuple[bool, float], list[dict[str, Any]]] = {}
    for p in points:
        runs.setdefault((p["liked_only"], p["l1_ratio"]), []).append(p)
    for (liked_only, l1_ratio), wanted in runs.items():
        alphas = sorted({p["alpha"] for p in wanted}, reverse=True)
        weights = slim_weights(_matrix(train, n_items, liked_only), l1_ratio, alphas)
        for p in wanted:
            b = weights[alphas.index(p["alpha"])]
            b = top_per_column(b, p["neighbors"]) if p["neighbors"] else b
            yield p, (lambda r, s, b=b: _inputs(r, n_items) @ b)
