"""The learning-to-rank trial's features: ranks and input summaries against plain loops."""
from __future__ import annotations

import numpy as np

from bench.ranking import ltr_features


def test_catalog_ranks_match_sorting_each_row_with_inputs_last():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(3, 12))
    inputs = np.zeros((3, 12), dtype=bool)
    inputs[np.arange(3), [0, 5, 11]] = True
    ranks = ltr_features.catalog_ranks(scores, inputs)
    for q in range(3):
        s = np.where(inputs[q], -np.inf, scores[q])
        for j in range(12):
            assert ranks[q, j] == sum(s[i] > s[j] or (s[i] == s[j] and i < j) for i in range(12))


def test_pair_summaries_are_max_mean_and_weighted_sum_over_the_inputs():
    rng = np.random.default_rng(1)
    pair = rng.normal(size=(10, 10))
    rows, weights, cand = np.array([[1, 2, 3], [4, 5, 6]]), rng.normal(size=(2, 3)), np.array([[7, 8], [9, 0]])
    top, mean, wsum = ltr_features.pair_summaries(pair, rows, weights, cand)
    for q in range(2):
        for c in range(2):
            values = [pair[r, cand[q, c]] for r in rows[q]]
            assert top[q, c] == max(values)
            assert np.isclose(mean[q, c], np.mean(values))
            assert np.isclose(wsum[q, c], sum(w * v for w, v in zip(weights[q], values)))


def test_build_names_every_column_and_takes_the_candidates_values():
    rng = np.random.default_rng(2)
    n_items, cand = 8, np.array([[3, 4], [6, 7]])
    rows, weights = np.array([[0, 1], [1, 2]]), np.ones((2, 2))
    blend = rng.normal(size=(2, n_items))
    items = {"year": np.arange(1990, 1998, dtype=float), "popularity": rng.normal(size=n_items)}
    feats, names = ltr_features.build(cand, rows, weights, weights, {"blend": blend}, ("blend",),
                                      {"w": rng.normal(size=(n_items, n_items))}, items)
    assert feats.shape == (2, 2, len(names)) and len(set(names)) == len(names)
    assert np.allclose(feats[:, :, names.index("blend")], np.take_along_axis(blend, cand, axis=1))
    assert feats[1, 1, names.index("year_after_inputs")] == 1997 - 1991.5  # inputs' years 1991 and 1992
