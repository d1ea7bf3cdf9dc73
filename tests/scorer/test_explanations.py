"""Explanations: each input's exact term of a recommendation's score, and which of them are named."""
from __future__ import annotations

import numpy as np
import pytest

from movierec.artifact import load_artifact
from movierec.ranking.parts import (
    DRIVER_GENRE,
    DRIVER_INPUTS,
    DRIVER_POPULARITY,
    MOSTLY_SHARE,
    N_REASONS,
    REASON_MIN_SHARE,
    explanations,
)
from services.scorer.model import HybridModel
from testing.artifacts import synthetic_graph_artifact


def test_named_inputs_pass_the_threshold_at_most_three_largest_first():
    # four results (columns), five inputs (rows): their terms of z(collaborative)
    inputs = np.array([[2.0, 1.0, 0.0, 0.1],
                       [1.0, 1.0, 0.0, 0.1],
                       [0.5, 1.0, 0.0, 0.1],
                       [0.4, 1.0, 0.0, 0.1],
                       [-1.0, 0.0, 0.0, 0.1]])
    pop = np.array([0.1, 0.0, 0.0, 0.0])
    content = np.array([0.0, 0.0, 2.0, 0.0])
    reasons, drivers, genre_share, pop_share = explanations(inputs, pop, content, alpha=0.8)
    total = 2.0 + 1.0 + 0.5 + 0.4 + 0.1  # positive parts only: the disliked input's -1 is not evidence
    assert reasons[0] == [(0, pytest.approx(2.0 / total)), (1, pytest.approx(1.0 / total))]  # 0.5/4 < 0.25
    assert reasons[1] == [(0, 0.25), (1, 0.25), (2, 0.25)]  # four equal: at most N_REASONS, first ones first
    assert reasons[2] == [] and drivers[2] == DRIVER_GENRE and genre_share[2] == 1.0
    assert reasons[3] == [] and drivers[3] == DRIVER_INPUTS  # five inputs of 0.1 each: none carries it alone
    assert drivers[:2] == [DRIVER_INPUTS, DRIVER_INPUTS]
    assert pop_share[0] == pytest.approx(0.8 * 0.1 / (0.8 * total))


def test_mostly_popularity_and_nothing_positive():
    inputs = np.array([[0.2, -1.0]])
    reasons, drivers, genre_share, pop_share = explanations(inputs, np.array([1.0, -1.0]), np.array([0.1, -1.0]), 0.7)
    assert drivers == [DRIVER_POPULARITY, ""]
    assert pop_share[0] >= MOSTLY_SHARE and reasons[0] == [] and reasons[1] == []
    assert genre_share[1] == 0.0 and pop_share[1] == 0.0


def test_input_terms_sum_to_the_collaborative_score(tmp_path):
    for m in (HybridModel(load_artifact(synthetic_graph_artifact(tmp_path, 800, seed=2))),):
        rng = np.random.default_rng(0)
        for _ in range(20):
            rows = rng.choice(m.n_items, int(rng.integers(1, 9)), replace=False).astype(np.int64)
            ratings = rng.choice(np.arange(1.0, 5.5, 0.5), len(rows)).astype(np.float32)
            alpha = float(rng.choice([0.3, 0.8, 1.0]))
            ranked = m.recommend(rows, ratings, 20, alpha, explain=False)
            weights = m.rating_weights(ratings)
            scored = m._score(rows, weights, weights @ m.genre_units[rows], alpha)
            inputs, pop = m.contributions(scored, rows, weights, ranked.rows)
            np.testing.assert_allclose(inputs.sum(axis=0) + pop, ranked.collaborative, rtol=1e-4, atol=1e-4)


def test_a_result_reached_through_one_input_names_it_and_genre_only_says_so(graph_model):
    m = graph_model
    rows, ratings = np.array([0, 3, 5]), np.array([5.0, 5.0, 5.0], dtype=np.float32)
    ranked = m.recommend(rows, ratings, k=m.n_items, alpha=1.0)
    reached = {int(j): i for i, row in enumerate(rows) for j, w in zip(m.neighbor_rows[row], m.neighbor_weights[row])
               if w > 0}
    by_one = [r for r in set(reached) if sum(r in m.neighbor_rows[row] for row in rows) == 1 and r not in rows]
    assert by_one, "the graph artifact has movies reached through one input only"
    for target, reasons, driver in zip(ranked.rows.tolist(), ranked.reasons, ranked.drivers):
        assert len(reasons) <= N_REASONS and all(s >= REASON_MIN_SHARE for _, s in reasons)
        if target in by_one and driver == DRIVER_INPUTS:
            assert reasons and reasons[0][0] == int(rows[reached[target]])
    genre_only = m.recommend(rows, ratings, k=5, alpha=0.0)
    assert all(d in (DRIVER_GENRE, "") for d in genre_only.drivers)
    assert all(r == () for r in genre_only.reasons)  # mostly genre: no input named
