"""The RP3beta item graph against its dense, obviously-correct definition; blockwise build equals one block."""
from __future__ import annotations

import numpy as np
import pytest

from trainer import item_graph


def _ratings(n_users: int = 60, n_items: int = 25, n: int = 500, seed: int = 0):
    rng = np.random.default_rng(seed)
    pairs = rng.choice(n_users * n_items, n, replace=False)  # each (user, item) once
    users, items = (pairs // n_items).astype(np.int32), (pairs % n_items).astype(np.int32)
    return users, items, rng.choice([1.0, 2.0, 3.0, 4.0, 5.0], n).astype(np.float32)


def _dense_rp3(users, items, ratings, n_users, n_items, low, alpha, beta) -> np.ndarray:
    """W = P(i -> u)^alpha P(u -> j)^alpha / max(popularity_j, 1)^beta from the dense weighted matrix."""
    x = np.zeros((n_users, n_items))
    x[users, items] = np.where(ratings >= 4, 1.0, low)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_ui = np.nan_to_num(x / x.sum(axis=1, keepdims=True))
        p_iu = np.nan_to_num(x.T / x.sum(axis=0)[:, None])
    return (p_iu ** alpha) @ (p_ui ** alpha) / np.maximum(x.sum(axis=0), 1.0) ** beta


@pytest.mark.parametrize("low", [0.0, 0.5, 1.0])
def test_walk_weights_match_the_dense_definition(low):
    users, items, ratings = _ratings()
    inter = item_graph.interactions(users, items, ratings, 60, 25, low)
    walk = item_graph.Walk(inter, 0.7)
    got = walk.block(0, 25) / walk.damping(0.4)
    assert np.allclose(got, _dense_rp3(users, items, ratings, 60, 25, low, 0.7, 0.4), rtol=1e-12, atol=1e-15)
    assert np.allclose(walk.block(5, 9), walk.block(0, 25)[5:9])


def test_low_weight_zero_drops_ratings_below_liked():
    users, items, ratings = _ratings()
    inter = item_graph.interactions(users, items, ratings, 60, 25, 0.0)
    assert len(inter.user_items) == int((ratings >= 4).sum()) and np.all(inter.user_weight == 1.0)
    assert np.array_equal(inter.item_degree, np.bincount(items[ratings >= 4], minlength=25))


def test_prune_keeps_each_rows_largest_weights_in_order_never_itself():
    w = np.random.default_rng(2).normal(size=(7, 7))
    rows, weights = item_graph.prune(w, 3)
    assert rows.dtype == np.int32 and weights.dtype == np.float32 and rows.shape == (7, 3)
    for i in range(7):
        expected = [j for j in np.argsort(-w[i], kind="stable") if j != i][:3]
        assert rows[i].tolist() == expected and np.allclose(weights[i], w[i, expected])
    block_rows, _ = item_graph.prune(w[3:5], 3, first_row=3)  # a block: its own movies are 3 and 4
    assert block_rows.tolist() == rows[3:5].tolist()


@pytest.mark.parametrize("n_items,n,low", [(25, 6, 0.5), (25, 24, 1.0), (40, 10, 0.0)])
def test_sparse_build_keeps_each_rows_top_n_of_the_dense_walk(n_items, n, low):
    users, items, ratings = _ratings(n_items=n_items, n=400, seed=4)
    inter = item_graph.interactions(users, items, ratings, 60, n_items, low)
    rows, weights = item_graph.build_graph(inter, 0.5, 0.3, n)
    dense = _dense_rp3(users, items, ratings, 60, n_items, low, 0.5, 0.3)
    want_rows, want_weights = item_graph.prune(dense, n)
    assert rows.shape == weights.shape == (n_items, n) and rows.dtype == np.int32 and weights.dtype == np.float32
    assert np.allclose(weights, want_weights, rtol=1e-6)  # the same n largest values, in order
    for i in range(n_items):
        assert len(set(rows[i].tolist())) == n and i not in rows[i]
        assert np.allclose(dense[i, rows[i]], weights[i], rtol=1e-6)  # each kept weight is the walk's
    if low == 0.0:  # some movies have no liked ratings: their rows are all zero-weight fillers
        assert (weights == 0).all(axis=1).any()


def test_rows_reaching_fewer_than_n_movies_get_zero_weight_fillers():
    users = np.array([0, 0, 1, 1], np.int32)
    items = np.array([0, 1, 1, 2], np.int32)
    inter = item_graph.interactions(users, items, np.full(4, 5.0, np.float32), 2, 6, 1.0)
    rows, weights = item_graph.build_graph(inter, 1.0, 0.0, 3)
    assert rows[0].tolist() == [1, 2, 3] and weights[0, 0] > 0 and weights[0, 1:].tolist() == [0.0, 0.0]
    assert rows[5].tolist() == [0, 1, 2] and not weights[5].any()  # movie 5: nobody rated it
    assert rows[1, :2].tolist() in ([0, 2], [2, 0]) and (weights[1, :2] > 0).all()
