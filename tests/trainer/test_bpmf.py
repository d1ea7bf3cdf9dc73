"""BPMF by Gibbs sampling: the per-row draw, concatenated samples = averaged predictors, compression, CLI."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from movierec.artifact import load_artifact
from trainer.bpmf import WARM_BURN_IN, BPMFParams, Chain, _Side, compress, fit_bpmf, sample_rows, train_rmse
from trainer.evaluate import random_split, rmse
from trainer.model import default_params
from trainer.sgd import MFModel

REPO = Path(__file__).resolve().parents[2]
SMALL = BPMFParams(factors=4, burn_in=5, samples=10, serve_factors=0, seed=3, implicit=0.0)  # plain BPMF


def test_a_draw_without_noise_is_the_ridge_solution():
    """Zero noise leaves the conditional mean (prior_prec + α VᵀV)⁻¹ (prior_prec m + α Vᵀ t), per row."""
    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, 6, 200).astype(np.int32), rng.integers(0, 30, 200).astype(np.int32)
    ratings = rng.normal(3.5, 1.0, 200)
    side = _Side.of(rows, cols, ratings, 7)  # row 6 has no ratings: its draw is the prior mean
    design = np.concatenate([rng.normal(size=(30, 3)), np.ones((30, 1))], axis=1)
    a = rng.normal(size=(4, 4))
    prior_prec, prior_mean, alpha = a @ a.T + 4 * np.eye(4), rng.normal(size=4), 1.7
    bias = rng.normal(size=30)
    prior_rhs = np.tile(prior_prec @ prior_mean, (7, 1))
    got = sample_rows(side.indptr, side.cols, side.ratings, 3.5, bias, design, prior_prec, prior_rhs, alpha,
                      np.zeros((7, 4)))
    for r in range(7):
        mine = rows == r
        v, t = design[cols[mine]], ratings[mine].astype(np.float32) - 3.5 - bias[cols[mine]]
        want = np.linalg.solve(prior_prec + alpha * v.T @ v, prior_prec @ prior_mean + alpha * v.T @ t)
        np.testing.assert_allclose(got[r], want, rtol=1e-6, atol=1e-9)  # float32 ratings, fastmath
    np.testing.assert_allclose(got[6], prior_mean, rtol=1e-8)


def test_concatenated_samples_predict_the_average_of_the_sampled_models(synthetic):
    """Sweep s of a long run equals the single kept sample of a run with burn_in s (same random stream),
    so the exported S-sample model must predict exactly the mean of those S one-sample models."""
    users, items = synthetic.indices()
    args = (users, items, synthetic.rating, len(synthetic.user_ids()), len(synthetic.movies))
    three = fit_bpmf(*args, replace(SMALL, samples=3))
    assert three.user_factors.shape == (args[3], 3 * SMALL.factors) and three.item_factors.dtype == np.float32
    singles = [fit_bpmf(*args, replace(SMALL, burn_in=SMALL.burn_in + s, samples=1)) for s in range(3)]
    want = np.mean([m.predict(users, items) for m in singles], axis=0)
    np.testing.assert_allclose(three.predict(users, items), want, atol=2e-5)
    assert np.abs(singles[0].predict(users, items) - want).max() > 0.01  # the samples do differ


def test_compression_keeps_the_predictions_of_a_low_rank_model():
    rng = np.random.default_rng(1)
    p = (rng.normal(size=(80, 6)) @ rng.normal(size=(6, 40))).astype(np.float32)  # rank 6, 40 columns
    q = rng.normal(size=(120, 40)).astype(np.float32)
    model = MFModel(3.5, p, q, rng.normal(size=80).astype(np.float32), rng.normal(size=120).astype(np.float32))
    small = compress(model, 6)
    assert small.user_factors.shape == (80, 6) and small.item_factors.shape == (120, 6)
    full = model.user_factors @ model.item_factors.T
    np.testing.assert_allclose(small.user_factors @ small.item_factors.T, full, atol=1e-3 * np.abs(full).max())
    assert compress(model, 60) is model
    lossy = compress(model, 2)
    assert np.abs(lossy.user_factors @ lossy.item_factors.T - full).max() > 0.05 * np.abs(full).max()


def test_seeded_learns_and_serves_the_requested_width(synthetic):
    users, items = synthetic.indices()
    train, test = random_split(synthetic.n_ratings, 0.2, seed=1)
    n_users, n_items = len(synthetic.user_ids()), len(synthetic.movies)
    params = replace(SMALL, serve_factors=12)
    sweeps = []
    a = fit_bpmf(users[train], items[train], synthetic.rating[train], n_users, n_items, params,
                 on_sweep=lambda s, loss: sweeps.append(loss))
    b = fit_bpmf(users[train], items[train], synthetic.rating[train], n_users, n_items, params)
    c = fit_bpmf(users[train], items[train], synthetic.rating[train], n_users, n_items, replace(params, seed=4))
    assert len(sweeps) == params.epochs == 15
    assert a.item_factors.shape == (n_items, 12) == (n_items, params.served_factors)
    for name in ("user_factors", "item_factors", "user_bias", "item_bias"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.user_bias, c.user_bias)
    actual = synthetic.rating[test]
    predicted = np.clip(a.predict(users[test], items[test]), 1, 5)
    bias_only = MFModel(a.global_mean, a.user_factors * 0, a.item_factors, a.user_bias, a.item_bias)
    assert rmse(predicted, actual) < rmse(np.clip(bias_only.predict(users[test], items[test]), 1, 5), actual)
    assert rmse(predicted, actual) < 0.9 * rmse(np.full(len(test), a.global_mean, np.float32), actual)


def test_parameters_are_validated_and_bpmf_is_the_default():
    with pytest.raises(ValueError, match="precision=0"):
        BPMFParams(precision=0)
    with pytest.raises(ValueError, match="samples=0"):
        BPMFParams(samples=0)
    assert default_params() == BPMFParams() and BPMFParams().served_factors == 100
    assert BPMFParams(serve_factors=0).served_factors == BPMFParams().factors * BPMFParams().samples


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trainer", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.integration
def test_cli_trains_bpmf_by_default_sgd_by_its_options_and_refuses_a_mix(tmp_path):
    tiny = ["--dataset", "synthetic:60x40x1500", "--no-eval"]
    done = run("train", "--out", str(tmp_path / "b"), *tiny, "--samples", "4", "--burn-in", "2", "--factors", "3")
    assert done.returncode == 0, done.stderr
    art = load_artifact(tmp_path / "b")
    assert art.manifest["params"]["model"] == "bpmf" and art.arrays["item_factors"].shape[1] == 12
    sgd = run("train", "--out", str(tmp_path / "s"), *tiny, "--epochs", "2", "--factors", "3")
    assert sgd.returncode == 0, sgd.stderr
    params = load_artifact(tmp_path / "s").manifest["params"]
    assert "model" not in params and params["epochs"] == 2 and params["lr"] > 0
    mixed = run("train", "--out", str(tmp_path / "m"), *tiny, "--samples", "4", "--lr", "0.1")
    assert mixed.returncode == 2 and "not used by --model" in mixed.stderr and "--lr" in mixed.stderr
    explicit = run("train", "--out", str(tmp_path / "m"), *tiny, "--model", "sgd", "--samples", "4")
    assert explicit.returncode == 2 and "--samples not used by --model sgd" in explicit.stderr


def test_train_rmse_kernel_matches_numpy():
    rng = np.random.default_rng(4)
    users, items = rng.integers(0, 9, 300).astype(np.int32), rng.integers(0, 14, 300).astype(np.int32)
    ratings = rng.integers(1, 6, 300).astype(np.float32)
    x, y = rng.normal(size=(9, 4)), rng.normal(size=(14, 4))  # 3 factors, then the bias
    pred = 3.2 + x[users, 3] + y[items, 3] + np.einsum("nk,nk->n", x[users, :3], y[items, :3])
    assert train_rmse(users, items, ratings, 3.2, x, y, 3) == pytest.approx(np.sqrt(np.mean((pred - ratings) ** 2)))


def test_a_fit_continues_another_fits_chain(synthetic):
    """The final fit starts from the evaluation fit's state: fewer burn-in sweeps, the state handed back."""
    users, items = synthetic.indices()
    n_users, n_items = len(synthetic.user_ids()), len(synthetic.movies)
    train, _ = random_split(synthetic.n_ratings, 0.2, seed=1)
    params = replace(SMALL, implicit=0.5)
    chain = Chain()
    fit_bpmf(users[train], items[train], synthetic.rating[train], n_users, n_items, params, chain=chain)
    assert chain.x is not None and chain.x.shape == (n_users, params.factors + 1)
    assert chain.betas[0] is not None and chain.betas[0].shape == (n_items, params.factors + 1)
    started = chain.x.copy()
    sweeps: list[float] = []
    warm = fit_bpmf(users, items, synthetic.rating, n_users, n_items, params, lambda s, loss: sweeps.append(loss),
                    chain=chain)
    assert len(sweeps) == WARM_BURN_IN + params.samples < params.epochs
    assert not np.array_equal(chain.x, started)  # the state moved on
    cold = fit_bpmf(users, items, synthetic.rating, n_users, n_items, params)
    actual = synthetic.rating
    assert rmse(warm.predict(users, items), actual) < 1.1 * rmse(cold.predict(users, items), actual)
    other = Chain(np.zeros((3, params.factors + 1)), np.zeros((4, params.factors + 1)))  # other shapes: cold start
    again = fit_bpmf(users, items, synthetic.rating, n_users, n_items, params, chain=other)
    np.testing.assert_array_equal(again.user_factors, cold.user_factors)
