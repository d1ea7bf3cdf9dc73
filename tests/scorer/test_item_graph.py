"""Scoring from the pruned item graph against a slow, obviously-correct loop."""
from __future__ import annotations

import numpy as np

from services.scorer import item_graph
from tests.scorer.graph_artifact import graph_arrays


def test_graph_scores_sum_weighted_neighbour_rows():
    rows, weights = graph_arrays(9, 4, seed=3)
    got = item_graph.graph_scores(rows, weights, np.array([1, 6]), np.array([1.0, -0.5]), 9)
    expected = np.zeros(9)
    for m, wm in ((1, 1.0), (6, -0.5)):
        for j, wj in zip(rows[m], weights[m]):
            expected[j] += wm * wj
    assert np.allclose(got, expected)
