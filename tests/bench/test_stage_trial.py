"""The re-rank stage trial's user-based features against plain loops, and how a variant is read."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from bench.ranking import stage_trial


def _fold(rng: np.random.Generator) -> SimpleNamespace:
    liked = (rng.random((30, 12)) < 0.4).astype(np.float32)  # 30 training users, 12 movies
    rows = np.array([[0, 1, 2], [3, 4, 5]])
    weights = np.array([[1.0, 0.5, -1.0], [1.0, 1.0, 0.5]])  # a disliked input adds no overlap
    return SimpleNamespace(liked=liked, cand=np.array([[6, 7, 8], [9, 10, 11]]),
                           v=SimpleNamespace(rows=rows, weights=weights))


def test_user_knn_power_weights_each_user_by_overlap_with_the_liked_inputs():
    f = _fold(np.random.default_rng(0))
    square, cube = stage_trial.user_knn_power(f)  # type: ignore[arg-type]
    for q in range(2):
        overlap = [sum(max(w, 0.0) * f.liked[u, r] for r, w in zip(f.v.rows[q], f.v.weights[q])) for u in range(30)]
        for c, movie in enumerate(f.cand[q]):
            for power, got in ((2, square), (3, cube)):
                sims = [o ** power for o in overlap]
                expected = sum(s * f.liked[u, movie] for u, s in enumerate(sims)) / sum(sims)
                assert got[q, c] == pytest.approx(expected, rel=1e-5)


def test_co_liked_counts_are_shares_of_the_users_sharing_k_inputs():
    f = _fold(np.random.default_rng(1))
    counts = stage_trial.co_liked_counts(f)  # type: ignore[arg-type]
    for k, got in zip((1, 2, 3), counts):
        for q in range(2):
            overlap = [sum(max(w, 0.0) * f.liked[u, r] for r, w in zip(f.v.rows[q], f.v.weights[q]))
                       for u in range(30)]
            near = [u for u in range(30) if overlap[u] >= k - 1e-6]
            for c, movie in enumerate(f.cand[q]):
                expected = sum(f.liked[u, movie] for u in near) / max(len(near), 1)
                assert got[q, c] == pytest.approx(expected, rel=1e-5)


def test_variants_are_read_from_their_parts_and_unknown_features_refused():
    v = stage_trial.Variant.parse('user_knn_power,liked_share+graded+x3+{"num_leaves": 7}')
    assert v == stage_trial.Variant(("user_knn_power", "liked_share"), True, 3, (("num_leaves", 7),))
    assert stage_trial.Variant.parse("served") == stage_trial.Variant()
    with pytest.raises(ValueError, match="no such extra features"):
        stage_trial.Variant.parse("served+user_knn")


def test_ceiling_is_the_best_order_of_the_candidates_found():
    labels = np.array([[0, 1, 0, 1], [0, 0, 0, 0]])  # two queries of 4 candidates
    f = SimpleNamespace(cand=np.zeros((2, 4)), q=SimpleNamespace(labels=labels.ravel(), n_relevant=np.array([3, 1])))
    found, best = stage_trial.ceiling([f])  # type: ignore[list-item]
    assert found == pytest.approx((2 / 3 + 0) / 2)
    ideal3 = 1 + 1 / np.log2(3) + 1 / np.log2(4)
    assert best == pytest.approx(((1 + 1 / np.log2(3)) / ideal3 + 0) / 2)
