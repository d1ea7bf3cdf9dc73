"""Biased matrix factorisation trained by (optionally confidence-weighted) SGD in a numba kernel."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numba
import numpy as np


@dataclass(frozen=True)
class TrainParams:
    """Everything that determines a training run (recorded in the artifact manifest)."""

    # Defaults from a small search on a validation split inside the 80% training part of
    # ML-100K (see trainer/README.md): more epochs and a stronger L2 than the reference, half
    # the factors, and no confidence weighting, which never lowered held-out RMSE in the search.
    factors: int = 50
    epochs: int = 60
    lr: float = 0.005
    reg: float = 0.05
    conf_scale: float = 0.0  # a rating's step is scaled by 1 + conf_scale * rating; 0 disables
    init_std: float = 0.01
    lr_decay: float = 1.0  # lr is multiplied by this after every epoch
    seed: int = 42

    def __post_init__(self) -> None:
        checks = {
            "factors": self.factors >= 1, "epochs": self.epochs >= 0, "lr": self.lr > 0,
            "reg": self.reg >= 0, "conf_scale": self.conf_scale >= 0, "init_std": self.init_std >= 0,
            "lr_decay": 0 < self.lr_decay <= 1,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid training parameters: {', '.join(f'{n}={getattr(self, n)!r}' for n in bad)}")

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


# The configuration the project started from; TrainParams() is the tuned default.
REFERENCE_PARAMS = TrainParams(factors=100, epochs=15, lr=0.005, reg=0.015, conf_scale=0.2,
                               init_std=0.01, lr_decay=1.0, seed=42)


@dataclass
class MFModel:
    """r̂(u, i) = global_mean + user_bias[u] + item_bias[i] + user_factors[u] · item_factors[i].

    user_factors (U, k) float32, item_factors (I, k) float32, user_bias (U,) float32,
    item_bias (I,) float32; rows are the user/item indices the model was trained with.
    """

    global_mean: float
    user_factors: np.ndarray
    item_factors: np.ndarray
    user_bias: np.ndarray
    item_bias: np.ndarray

    def predict(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """(N,) float32 unclipped predictions for parallel (N,) user and item index arrays."""
        dots = np.einsum("nk,nk->n", self.user_factors[users], self.item_factors[items])
        return (self.global_mean + self.user_bias[users] + self.item_bias[items] + dots).astype(np.float32)


@numba.njit(cache=True, nogil=True)
def sgd_epoch(users, items, ratings, order, global_mean, user_factors, item_factors, user_bias, item_bias,
              lr, reg, conf_scale):
    """One SGD pass over ratings in the given order, updating the float32 arrays in place.

    users, items: (N,) int32 indices; ratings: (N,) float32; order: (N,) int64 permutation.
    Each rating's whole step (error and L2 terms) is scaled by c = 1 + conf_scale * rating,
    so high ratings pull harder. Arithmetic is float64, storage float32.
    Returns the sum of squared errors seen before each update (float64).
    """
    k = user_factors.shape[1]
    sse = 0.0
    for n in range(order.shape[0]):
        j = order[n]
        u = users[j]
        i = items[j]
        r = np.float64(ratings[j])
        pred = global_mean + user_bias[u] + item_bias[i]
        for f in range(k):
            pred += np.float64(user_factors[u, f]) * item_factors[i, f]
        err = r - pred
        sse += err * err
        step = lr * (1.0 + conf_scale * r)
        bu = np.float64(user_bias[u])
        bi = np.float64(item_bias[i])
        user_bias[u] = bu + step * (err - reg * bu)
        item_bias[i] = bi + step * (err - reg * bi)
        for f in range(k):
            pu = np.float64(user_factors[u, f])
            qi = np.float64(item_factors[i, f])
            user_factors[u, f] = pu + step * (err * qi - reg * pu)
            item_factors[i, f] = qi + step * (err * pu - reg * qi)
    return sse


def warm_up() -> None:
    """Compiles (or loads the cached) kernel so later timings measure training only."""
    one = np.zeros(1, dtype=np.int32)
    factors = np.zeros((1, 1), dtype=np.float32)
    sgd_epoch(one, one, np.ones(1, np.float32), np.zeros(1, np.int64), 0.0, factors, factors.copy(),
              np.zeros(1, np.float32), np.zeros(1, np.float32), 0.01, 0.01, 0.0)


def init_model(n_users: int, n_items: int, global_mean: float, params: TrainParams,
               rng: np.random.Generator) -> MFModel:
    """Factors drawn from N(0, init_std), biases zero."""
    k = params.factors
    return MFModel(
        global_mean=float(global_mean),
        user_factors=rng.normal(0.0, params.init_std, (n_users, k)).astype(np.float32),
        item_factors=rng.normal(0.0, params.init_std, (n_items, k)).astype(np.float32),
        user_bias=np.zeros(n_users, dtype=np.float32),
        item_bias=np.zeros(n_items, dtype=np.float32),
    )


def fit(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, n_items: int,
        params: TrainParams, on_epoch: Callable[[int, float], None] | None = None) -> MFModel:
    """Trains a model on (N,) user indices < n_users, item indices < n_items and float32 ratings.

    The seed fixes both the initial factors and every epoch's shuffle, so equal inputs give
    equal models. on_epoch(epoch, train_rmse) is called after each pass.
    """
    users = np.ascontiguousarray(users, dtype=np.int32)
    items = np.ascontiguousarray(items, dtype=np.int32)
    ratings = np.ascontiguousarray(ratings, dtype=np.float32)
    if not (len(users) == len(items) == len(ratings)) or len(ratings) == 0:
        raise ValueError("users, items and ratings must be non-empty and of equal length")
    rng = np.random.default_rng(params.seed)
    model = init_model(n_users, n_items, float(ratings.mean(dtype=np.float64)), params, rng)
    lr = float(params.lr)  # plain floats, so an int-valued parameter does not compile a second kernel
    reg, conf_scale = float(params.reg), float(params.conf_scale)
    for epoch in range(params.epochs):
        order = rng.permutation(len(ratings))
        sse = sgd_epoch(users, items, ratings, order, model.global_mean, model.user_factors,
                        model.item_factors, model.user_bias, model.item_bias, lr, reg, conf_scale)
        lr *= params.lr_decay
        if on_epoch is not None:
            on_epoch(epoch, float(np.sqrt(sse / len(ratings))))
    return model
