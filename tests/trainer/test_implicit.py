"""Implicit feedback in BPMF: the link matrix's solves and draws against dense algebra, and when it is used."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import trainer.bpmf as bpmf
from trainer.bpmf import BPMFParams, _Side, fit_bpmf
from trainer.evaluate import random_split, rmse
from trainer.implicit import Link

SMALL = BPMFParams(factors=3, burn_in=3, samples=4, serve_factors=0, seed=5)


def _sides(n_rows: int, n_cols: int, seed: int = 0) -> tuple[_Side, _Side, np.ndarray]:
    """Both CSR views of random distinct (row, col) pairs and the dense (R, C) F (rows scaled by 1/√n_r)."""
    rng = np.random.default_rng(seed)
    key = np.unique(rng.integers(0, n_rows, 400) * n_cols + rng.integers(0, n_cols, 400))
    rows, cols = (key // n_cols).astype(np.int32), (key % n_cols).astype(np.int32)
    dense = np.zeros((n_rows, n_cols))
    dense[rows, cols] = 1.0
    counts = dense.sum(axis=1)
    dense /= np.sqrt(np.maximum(counts, 1))[:, None]
    ones = np.ones(len(rows))
    return _Side.of(rows, cols, ones, n_rows), _Side.of(cols, rows, ones, n_cols), dense


@pytest.mark.parametrize("n_rows,n_cols", [(40, 25), (25, 40)])  # direct K⁻¹, then Woodbury
def test_solve_and_shift_match_dense_algebra(n_rows, n_cols):
    mine, other, f = _sides(n_rows, n_cols)
    link = Link.of(mine.indptr, mine.cols, other.indptr, other.cols, n_cols, 0.7)
    assert link.inverse.shape == (min(n_rows, n_cols),) * 2
    z = np.random.default_rng(1).normal(size=(n_cols, 3))
    np.testing.assert_allclose(link.solve(z), np.linalg.solve(f.T @ f + 0.7 * np.eye(n_cols), z), atol=1e-10)
    np.testing.assert_allclose(link.mean_shift(z), f @ z, atol=1e-12)


class _ZeroNormal:
    """A generator whose normal draws are all 0: the β draw becomes its conditional mean."""

    def standard_normal(self, shape):
        return np.zeros(shape)


def test_a_noiseless_link_draw_is_the_ridge_solution():
    mine, other, f = _sides(30, 20, seed=2)
    link = Link.of(mine.indptr, mine.cols, other.indptr, other.cols, 20, 0.5)
    rng = np.random.default_rng(3)
    x, mean = rng.normal(size=(30, 4)), rng.normal(size=4)
    a = rng.normal(size=(4, 4))
    beta = link.sample(x, mean, a @ a.T + np.eye(4), _ZeroNormal())
    np.testing.assert_allclose(beta, np.linalg.solve(f.T @ f + 0.5 * np.eye(20), f.T @ (x - mean)), atol=1e-10)


def test_implicit_fit_is_seeded_differs_from_plain_and_is_skipped_when_too_wide(synthetic, monkeypatch):
    users, items = synthetic.indices()
    args = (users, items, synthetic.rating, len(synthetic.user_ids()), len(synthetic.movies))
    a, b = fit_bpmf(*args, SMALL), fit_bpmf(*args, SMALL)
    plain = fit_bpmf(*args, replace(SMALL, implicit=0.0))
    np.testing.assert_array_equal(a.user_factors, b.user_factors)
    assert np.abs(a.predict(users, items) - plain.predict(users, items)).max() > 1e-3
    monkeypatch.setattr(bpmf, "IMPLICIT_MAX_WIDTH", min(args[3], args[4]) - 1)
    wide = fit_bpmf(*args, SMALL)
    np.testing.assert_array_equal(wide.user_factors, plain.user_factors)


def test_implicit_is_on_by_default_and_validated():
    assert BPMFParams().implicit > 0
    with pytest.raises(ValueError, match="implicit=-1"):
        BPMFParams(implicit=-1)


def test_implicit_model_learns(synthetic):
    users, items = synthetic.indices()
    train, test = random_split(synthetic.n_ratings, 0.2, seed=1)
    model = fit_bpmf(users[train], items[train], synthetic.rating[train], len(synthetic.user_ids()),
                     len(synthetic.movies), replace(SMALL, burn_in=5, samples=10))
    actual = synthetic.rating[test]
    predicted = np.clip(model.predict(users[test], items[test]), 1, 5)
    assert rmse(predicted, actual) < 0.95 * rmse(np.full(len(test), model.global_mean), actual)
