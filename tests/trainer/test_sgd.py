"""The numba SGD kernel against a slow, obviously-correct version, and fit() on synthetic data."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from trainer.evaluate import random_split, rmse
from trainer.sgd import (
    REFERENCE_PARAMS,
    MFModel,
    TrainParams,
    Validation,
    fit,
    fit_with_stopping,
    init_model,
    sgd_epoch,
    sgd_epoch_blocks,
)

TINY = TrainParams(factors=4, epochs=25, lr=0.02, reg=0.02, conf_scale=0.0, init_std=0.1, seed=5)


def reference_epoch(users, items, ratings, order, model: MFModel, lr, reg, conf_scale, reg_bias=None) -> float:
    """One SGD pass written out with Python floats and lists; returns the summed squared error."""
    reg_bias = reg if reg_bias is None else reg_bias
    P, Q = model.user_factors.tolist(), model.item_factors.tolist()
    bu, bi = model.user_bias.tolist(), model.item_bias.tolist()
    sse = 0.0
    for j in order.tolist():
        u, i, r = int(users[j]), int(items[j]), float(ratings[j])
        err = r - (model.global_mean + bu[u] + bi[i] + sum(p * q for p, q in zip(P[u], Q[i])))
        sse += err ** 2
        step = lr * (1 + conf_scale * r)
        bu[u] += step * (err - reg_bias * bu[u])
        bi[i] += step * (err - reg_bias * bi[i])
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
        # float32 arithmetic in the kernel against Python's float64
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-4, atol=1e-5, err_msg=name)


def tiny_problem(seed: int = 0, n_users: int = 7, n_items: int = 5, n: int = 30):
    rng = np.random.default_rng(seed)
    users = rng.integers(0, n_users, n).astype(np.int32)
    items = rng.integers(0, n_items, n).astype(np.int32)  # repeats on purpose: the order matters
    ratings = rng.integers(1, 6, n).astype(np.float32)
    return users, items, ratings, n_users, n_items


@pytest.mark.parametrize("kernel", ["serial", "blocks-1-thread"])
@pytest.mark.parametrize("conf_scale", [0.0, 0.3])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kernel_matches_reference_for_one_epoch(conf_scale, seed, kernel):
    users, items, ratings, n_users, n_items = tiny_problem(seed)
    rng = np.random.default_rng(seed)
    start = init_model(n_users, n_items, float(ratings.mean()), replace(TINY, init_std=0.3), rng)
    order = rng.permutation(len(ratings))
    fast, slow = copy(start), copy(start)
    rest = (fast.global_mean, fast.user_factors, fast.item_factors, fast.user_bias, fast.item_bias,
            0.05, 0.1, 0.02, conf_scale)
    if kernel == "serial":
        sse_fast = sgd_epoch(users, items, ratings, order, *rest)
    else:
        # The data stored in `order`, blocks of 7 visited in reverse: the pass the reference makes
        # over that same sequence of ratings.
        n_blocks = -(-len(order) // 7)
        stored = np.concatenate([order[b * 7:(b + 1) * 7] for b in range(n_blocks)][::-1])
        sse_fast = sgd_epoch_blocks(users[order], items[order], ratings[order], np.arange(n_blocks)[::-1].copy(),
                                    7, *rest, 1)
        order = stored
    sse_slow = reference_epoch(users, items, ratings, order, slow, 0.05, 0.1, conf_scale, reg_bias=0.02)
    assert sse_fast == pytest.approx(sse_slow, rel=1e-4)
    assert_same_model(fast, slow)
    assert not np.allclose(fast.user_factors, start.user_factors)  # the epoch did move things


def test_fit_is_init_then_seeded_shuffles_with_decaying_lr():
    users, items, ratings, n_users, n_items = tiny_problem(4)
    params = TrainParams(factors=3, epochs=3, lr=0.05, reg=0.1, conf_scale=0.2, init_std=0.2, lr_decay=0.5, seed=9)
    fitted = fit(users, items, ratings, n_users, n_items, params)

    rng = np.random.default_rng(params.seed)
    slow = init_model(n_users, n_items, float(ratings.mean()), params, rng)
    lr = params.lr
    order = np.arange(len(ratings), dtype=np.int32)
    for _ in range(params.epochs):
        rng.shuffle(order)
        reference_epoch(users, items, ratings, order, slow, lr, params.reg, params.conf_scale, params.bias_reg)
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


def test_early_stopping_returns_the_best_epoch_and_stops_after_patience(synthetic):
    users, items = synthetic.indices()
    train, valid = random_split(synthetic.n_ratings, 0.2, seed=2)
    validation = Validation(users[valid], items[valid], synthetic.rating[valid])
    args = (users[train], items[train], synthetic.rating[train], len(synthetic.user_ids()), len(synthetic.movies))
    # A high lr with no L2 overfits quickly, so the validation curve turns up well before 300 epochs.
    params = replace(TINY, epochs=300, lr=0.05, reg=0.0, patience=4)
    model, best, curve = fit_with_stopping(*args, params, validation=validation)
    assert best == int(np.argmin(curve)) + 1
    assert len(curve) == best + params.patience < 300
    assert validation.rmse(model) == pytest.approx(min(curve), rel=1e-6)
    again = fit(*args, replace(params, epochs=best, patience=0))
    assert_same_model(model, again)


def test_hogwild_on_two_threads_learns_as_well_as_serial(synthetic):
    users, items = synthetic.indices()
    train, test = random_split(synthetic.n_ratings, 0.2, seed=1)
    args = (users[train], items[train], synthetic.rating[train], len(synthetic.user_ids()), len(synthetic.movies))
    actual = synthetic.rating[test]
    serial = rmse(fit(*args, TINY, parallel=False).predict(users[test], items[test]), actual)
    hogwild = rmse(fit(*args, TINY, parallel=True).predict(users[test], items[test]), actual)
    assert hogwild < serial * 1.05
