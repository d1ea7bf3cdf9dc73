"""The numba SGD kernel against a slow, obviously-correct version, and fit() on synthetic data."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from trainer.evaluate import random_split, rmse
from trainer.sgd import REFERENCE_PARAMS, MFModel, TrainParams, fit, init_model, sgd_epoch

TINY = TrainParams(factors=4, epochs=25, lr=0.02, reg=0.02, conf_scale=0.0, init_std=0.1, seed=5)


def reference_epoch(users, items, ratings, order, model: MFModel, lr, reg, conf_scale) -> float:
    """One SGD pass written out with Python floats and lists; returns the summed squared error."""
    P, Q = model.user_factors.tolist(), model.item_factors.tolist()
    bu, bi = model.user_bias.tolist(), model.item_bias.tolist()
    sse = 0.0
    for j in order.tolist():
        u, i, r = int(users[j]), int(items[j]), float(ratings[j])
        err = r - (model.global_mean + bu[u] + bi[i] + sum(p * q for p, q in zip(P[u], Q[i])))
        sse += err ** 2
        step = lr * (1 + conf_scale * r)
        bu[u] += step * (err - reg * bu[u])
        bi[i] += step * (err - reg * bi[i])
        new_p = [p + step * (err * q - reg * p) for p, q in zip(P[u], Q[i])]
        Q[i] = [q + step * (err * p - reg * q) for p, q in zip(P[u], Q[i])]
        P[u] = new_p
    model.user_factors[:], model.item_factors[:] = P, Q
    model.user_bias[:], model.item_bias[:] = bu, bi
    return sse


def copy(model: MFModel) -> MFModel:
    return MFModel(model.global_mean, model.user_factors.copy(), model.item_factors.copy(),
                   model.user_bias.copy(), model.item_bias.copy())


def assert_same_model(a: MFModel, b: MFModel) -> None:
    for name in ("user_factors", "item_factors", "user_bias", "item_bias"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-5, atol=1e-6, err_msg=name)


def tiny_problem(seed: int = 0, n_users: int = 7, n_items: int = 5, n: int = 30):
    rng = np.random.default_rng(seed)
    users = rng.integers(0, n_users, n).astype(np.int32)
    items = rng.integers(0, n_items, n).astype(np.int32)  # repeats on purpose: the order matters
    ratings = rng.integers(1, 6, n).astype(np.float32)
    return users, items, ratings, n_users, n_items


@pytest.mark.parametrize("conf_scale", [0.0, 0.3])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kernel_matches_reference_for_one_epoch(conf_scale, seed):
    users, items, ratings, n_users, n_items = tiny_problem(seed)
    rng = np.random.default_rng(seed)
    start = init_model(n_users, n_items, float(ratings.mean()), replace(TINY, init_std=0.3), rng)
    order = rng.permutation(len(ratings))
    fast, slow = copy(start), copy(start)
    sse_fast = sgd_epoch(users, items, ratings, order, fast.global_mean, fast.user_factors, fast.item_factors,
                         fast.user_bias, fast.item_bias, 0.05, 0.1, conf_scale)
    sse_slow = reference_epoch(users, items, ratings, order, slow, 0.05, 0.1, conf_scale)
    assert sse_fast == pytest.approx(sse_slow, rel=1e-5)
    assert_same_model(fast, slow)
    assert not np.allclose(fast.user_factors, start.user_factors)  # the epoch did move things


def test_fit_is_init_then_seeded_shuffles_with_decaying_lr():
    users, items, ratings, n_users, n_items = tiny_problem(4)
    params = TrainParams(factors=3, epochs=3, lr=0.05, reg=0.1, conf_scale=0.2, init_std=0.2, lr_decay=0.5, seed=9)
    fitted = fit(users, items, ratings, n_users, n_items, params)

    rng = np.random.default_rng(params.seed)
    slow = init_model(n_users, n_items, float(ratings.mean()), params, rng)
    lr = params.lr
    for _ in range(params.epochs):
        reference_epoch(users, items, ratings, rng.permutation(len(ratings)), slow, lr, params.reg, params.conf_scale)
        lr *= params.lr_decay
    assert_same_model(fitted, slow)


def test_training_beats_the_global_mean_on_held_out_ratings(synthetic):
    users, items = synthetic.indices()
    train, test = random_split(synthetic.n_ratings, 0.2, seed=1)
    losses = []
    model = fit(users[train], items[train], synthetic.rating[train], len(synthetic.user_ids()),
                len(synthetic.movies), TINY, on_epoch=lambda epoch, loss: losses.append(loss))
    assert len(losses) == TINY.epochs and losses[-1] < 0.8 * losses[0]
    actual = synthetic.rating[test]
    held_out = rmse(model.predict(users[test], items[test]), actual)
    baseline = rmse(np.full(len(test), model.global_mean), actual)
    assert held_out < 0.85 * baseline


def test_same_seed_same_model_other_seed_other_model(synthetic):
    users, items = synthetic.indices()
    args = (users, items, synthetic.rating, len(synthetic.user_ids()), len(synthetic.movies))
    a, b = fit(*args, TINY), fit(*args, TINY)
    c = fit(*args, replace(TINY, seed=TINY.seed + 1))
    for name in ("user_factors", "item_factors", "user_bias", "item_bias"):
        assert np.array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.item_factors, c.item_factors)
    assert a.item_factors.dtype == np.float32 and a.item_factors.shape == (len(synthetic.movies), TINY.factors)


def test_parameters_are_validated():
    with pytest.raises(ValueError, match="factors=0"):
        replace(REFERENCE_PARAMS, factors=0)
    with pytest.raises(ValueError, match="lr_decay"):
        TrainParams(lr_decay=1.5)
    assert REFERENCE_PARAMS.to_dict()["conf_scale"] == 0.2
