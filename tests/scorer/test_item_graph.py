"""Item graph maths against slow, obviously-correct versions."""
from __future__ import annotations

import numpy as np

from services.scorer import item_graph


def _x(seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).random((40, 9)) < 0.35).astype(np.float64)


def test_ease_equals_one_ridge_regression_per_item_without_itself():
    x, lam = _x(), 3.0
    b = item_graph.ease_weights(x, lam)
    for j in range(x.shape[1]):
        others = [i for i in range(x.shape[1]) if i != j]
        xo = x[:, others]
        ridge = np.linalg.solve(xo.T @ xo + lam * np.eye(len(others)), xo.T @ x[:, j])
        assert np.allclose(b[others, j], ridge, atol=1e-8) and b[j, j] == 0


def test_cosine_weights_match_the_definition():
    x = _x(1)
    sim = item_graph.cosine_weights(x)
    a, c = x[:, 2], x[:, 5]
    assert np.isclose(sim[2, 5], a @ c / np.sqrt(a.sum() * c.sum())) and sim[3, 3] == 0


def test_prune_keeps_each_rows_largest_weights_in_order_never_itself():
    w = np.random.default_rng(2).normal(size=(7, 7))
    rows, weights = item_graph.prune(w, 3)
    assert rows.dtype == np.int32 and weights.dtype == np.float32 and rows.shape == (7, 3)
    for i in range(7):
        expected = [j for j in np.argsort(-w[i], kind="stable") if j != i][:3]
        assert rows[i].tolist() == expected and np.allclose(weights[i], w[i, expected])


def test_graph_scores_sum_weighted_neighbour_rows():
    rows, weights = item_graph.prune(item_graph.blended_weights(_x(3), 2.0, 0.5), 4)
    got = item_graph.graph_scores(rows, weights, np.array([1, 6]), np.array([1.0, -0.5]), 9)
    expected = np.zeros(9)
    for m, wm in ((1, 1.0), (6, -0.5)):
        for j, wj in zip(rows[m], weights[m]):
            expected[j] += wm * wj
    assert np.allclose(got, expected)
