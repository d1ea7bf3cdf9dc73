"""Biased matrix factorisation trained by (optionally confidence-weighted) SGD in a numba kernel."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numba
import numpy as np

# Ratings above this count train with the block-shuffled Hogwild kernel on every core (lock-free,
# so runs are no longer bit-for-bit reproducible); below it the serial kernel is fast enough and exact.
PARALLEL_MIN_RATINGS = 2_000_000
BLOCK = 4096  # ratings per block of the parallel kernel: long sequential runs, still many blocks to shuffle


@dataclass(frozen=True)
class TrainParams:
    """Everything that determines a training run (recorded in the artifact manifest)."""

    # Defaults: the best of a 40-trial random search (`python -m trainer tune --trials 40 --seed 5`)
    # on a validation split carved out of the 80% training part of ML-100K, so the 20% test part
    # was not used to choose (bench/trainer/RESULTS.md). Many factors held back by a strong L2, a
    # weaker L2 on the biases, no confidence weighting (no trial in the top 10 used it).
    factors: int = 200
    epochs: int = 64
    lr: float = 0.007
    reg: float = 0.08
    conf_scale: float = 0.0  # a rating's step is scaled by 1 + conf_scale * rating; 0 disables
    init_std: float = 0.01
    lr_decay: float = 1.0  # lr is multiplied by this after every epoch
    seed: int = 42
    reg_bias: float = 0.02  # L2 on the biases; negative means "same as reg"
    patience: int = 0  # with a validation slice: stop after this many epochs without improvement (0: never)

    def __post_init__(self) -> None:
        checks = {
            "factors": self.factors >= 1, "epochs": self.epochs >= 0, "lr": self.lr > 0,
            "reg": self.reg >= 0, "conf_scale": self.conf_scale >= 0, "init_std": self.init_std >= 0,
            "lr_decay": 0 < self.lr_decay <= 1, "patience": self.patience >= 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid training parameters: {', '.join(f'{n}={getattr(self, n)!r}' for n in bad)}")

    @property
    def bias_reg(self) -> float:
        return float(self.reg if self.reg_bias < 0 else self.reg_bias)

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

    def predict(self, users: np.ndarray, items: np.ndarray, chunk: int = 1 << 20) -> np.ndarray:
        """(N,) float32 unclipped predictions for parallel (N,) user and item index arrays."""
        out = np.empty(len(users), dtype=np.float32)
        for s in range(0, len(users), chunk):  # chunks bound the (chunk, k) temporaries on big sets
            u, i = users[s:s + chunk], items[s:s + chunk]
            dots = np.einsum("nk,nk->n", self.user_factors[u], self.item_factors[i])
            out[s:s + chunk] = self.global_mean + self.user_bias[u] + self.item_bias[i] + dots
        return out


@numba.njit(cache=True, nogil=True, fastmath=True, inline="always")
def _step(j, users, items, ratings, global_mean, user_factors, item_factors, user_bias, item_bias,
          lr, reg, reg_bias, conf_scale):
    """One float32 SGD update for rating j; returns its squared error before the update."""
    k = user_factors.shape[1]
    u = users[j]
    i = items[j]
    r = ratings[j]
    pred = np.float32(global_mean) + user_bias[u] + item_bias[i]
    for f in range(k):
        pred += user_factors[u, f] * item_factors[i, f]
    err = r - pred
    step = np.float32(lr) * (np.float32(1.0) + np.float32(conf_scale) * r)
    user_bias[u] += step * (err - np.float32(reg_bias) * user_bias[u])
    item_bias[i] += step * (err - np.float32(reg_bias) * item_bias[i])
    rg = np.float32(reg)
    for f in range(k):
        pu = user_factors[u, f]
        qi = item_factors[i, f]
        user_factors[u, f] = pu + step * (err * qi - rg * pu)
        item_factors[i, f] = qi + step * (err * pu - rg * qi)
    return np.float64(err) * err


@numba.njit(cache=True, nogil=True, fastmath=True)
def sgd_epoch(users, items, ratings, order, global_mean, user_factors, item_factors, user_bias, item_bias,
              lr, reg, reg_bias, conf_scale):
    """One SGD pass over ratings in the given order, updating the float32 arrays in place.

    users, items: (N,) int32 indices; ratings: (N,) float32; order: (N,) int32/int64 permutation.
    Each rating's whole step (error and L2 terms) is scaled by c = 1 + conf_scale * rating,
    so high ratings pull harder. Arithmetic and storage are float32 (so the loops vectorise).
    Returns the sum of squared errors seen before each update (float64).
    """
    sse = 0.0
    for n in range(order.shape[0]):
        sse += _step(order[n], users, items, ratings, global_mean, user_factors, item_factors,
                     user_bias, item_bias, lr, reg, reg_bias, conf_scale)
    return sse


@numba.njit(cache=True, nogil=True, fastmath=True, parallel=True)
def sgd_epoch_blocks(users, items, ratings, block_order, block_size, global_mean, user_factors, item_factors,
                     user_bias, item_bias, lr, reg, reg_bias, conf_scale, n_threads):
    """sgd_epoch over ratings stored in an already shuffled order, visited block by block (Hogwild!).

    block_order: (B,) int64 permutation of the blocks of block_size consecutive ratings. Each of
    n_threads threads takes a contiguous share of block_order and runs lock-free: two threads
    rarely touch the same row at once on large sparse data, and a lost update there costs nothing
    measurable (bench/trainer/RESULTS.md). Reading the rating arrays sequentially inside a block,
    instead of through a random permutation, removes three cache misses per rating.
    """
    n = users.shape[0]
    n_blocks = block_order.shape[0]
    sse = np.zeros(n_threads)
    for t in numba.prange(n_threads):
        acc = 0.0
        for b in range(t * n_blocks // n_threads, (t + 1) * n_blocks // n_threads):
            start = block_order[b] * block_size
            for j in range(start, min(start + block_size, n)):
                acc += _step(j, users, items, ratings, global_mean, user_factors, item_factors,
                             user_bias, item_bias, lr, reg, reg_bias, conf_scale)
        sse[t] = acc
    return sse.sum()


@numba.njit(cache=True, nogil=True, fastmath=True)
def squared_error(users, items, ratings, global_mean, user_factors, item_factors, user_bias, item_bias):
    """Sum of squared errors of clipped-to-[1, 5] predictions on (N,) index/rating arrays (float64)."""
    k = user_factors.shape[1]
    sse = 0.0
    for j in range(users.shape[0]):
        u = users[j]
        i = items[j]
        pred = np.float32(global_mean) + user_bias[u] + item_bias[i]
        for f in range(k):
            pred += user_factors[u, f] * item_factors[i, f]
        pred = min(max(pred, np.float32(1.0)), np.float32(5.0))
        err = np.float64(ratings[j] - pred)
        sse += err * err
    return sse


def warm_up() -> None:
    """Compiles (or loads the cached) kernels so later timings measure training only."""
    one = np.zeros(1, dtype=np.int32)
    factors = np.zeros((1, 1), dtype=np.float32)
    args = (one, one, np.ones(1, np.float32))
    rest = (0.0, factors, factors.copy(), np.zeros(1, np.float32), np.zeros(1, np.float32), 0.01, 0.01, 0.01, 0.0)
    for order in (np.zeros(1, np.int64), np.zeros(1, np.int32)):
        sgd_epoch(*args, order, *rest)
    sgd_epoch_blocks(*args, np.zeros(1, np.int64), 1, *rest, 1)
    squared_error(*args, 0.0, factors, factors, np.zeros(1, np.float32), np.zeros(1, np.float32))


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


@dataclass(frozen=True)
class Validation:
    """A held-out slice for early stopping: (V,) int32 user and item indices, (V,) float32 ratings."""

    users: np.ndarray
    items: np.ndarray
    ratings: np.ndarray

    def rmse(self, model: MFModel) -> float:
        sse = squared_error(self.users, self.items, self.ratings, model.global_mean, model.user_factors,
                            model.item_factors, model.user_bias, model.item_bias)
        return float(np.sqrt(sse / max(len(self.ratings), 1)))


def fit(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, n_items: int,
        params: TrainParams, on_epoch: Callable[[int, float], None] | None = None,
        validation: Validation | None = None, parallel: bool | None = None) -> MFModel:
    """Trains a model on (N,) user indices < n_users, item indices < n_items and float32 ratings.

    The seed fixes both the initial factors and every epoch's shuffle, so equal inputs give
    equal models (on the serial kernel). on_epoch(epoch, train_rmse) is called after each pass.
    With a validation slice and params.patience > 0, training stops once the validation RMSE has
    not improved for `patience` epochs, and the model of the best epoch is returned; the number
    of epochs it took is then in fit.best_epochs (see fit_with_stopping).
    parallel: block-shuffled Hogwild kernel on all cores; None chooses it above PARALLEL_MIN_RATINGS ratings.
    """
    return fit_with_stopping(users, items, ratings, n_users, n_items, params, on_epoch, validation, parallel)[0]


def fit_with_stopping(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, n_items: int,
                      params: TrainParams, on_epoch: Callable[[int, float], None] | None = None,
                      validation: Validation | None = None,
                      parallel: bool | None = None) -> tuple[MFModel, int, list[float]]:
    """fit(), also returning the number of epochs of the returned model and the validation curve."""
    users = np.ascontiguousarray(users, dtype=np.int32)
    items = np.ascontiguousarray(items, dtype=np.int32)
    ratings = np.ascontiguousarray(ratings, dtype=np.float32)
    if not (len(users) == len(items) == len(ratings)) or len(ratings) == 0:
        raise ValueError("users, items and ratings must be non-empty and of equal length")
    if parallel is None:
        parallel = len(ratings) > PARALLEL_MIN_RATINGS
    rng = np.random.default_rng(params.seed)
    model = init_model(n_users, n_items, float(ratings.mean(dtype=np.float64)), params, rng)
    lr = float(params.lr)  # plain floats, so an int-valued parameter does not compile a second kernel
    reg, reg_bias, conf_scale = float(params.reg), params.bias_reg, float(params.conf_scale)
    if parallel:
        # Shuffled once physically; each epoch then visits the blocks in a new seeded order.
        perm = rng.permutation(len(ratings))
        users, items, ratings = users[perm], items[perm], ratings[perm]
        del perm
        blocks = np.arange((len(ratings) + BLOCK - 1) // BLOCK, dtype=np.int64)
        threads = numba.get_num_threads()
    else:
        order = np.arange(len(ratings), dtype=np.int32 if len(ratings) < 2**31 else np.int64)
    curve: list[float] = []
    best: tuple[float, int, MFModel | None] = (np.inf, params.epochs, None)
    stopping = validation is not None and params.patience > 0
    arrays = (model.global_mean, model.user_factors, model.item_factors, model.user_bias, model.item_bias)
    for epoch in range(params.epochs):
        if parallel:
            rng.shuffle(blocks)
            sse = sgd_epoch_blocks(users, items, ratings, blocks, BLOCK, *arrays, lr, reg, reg_bias, conf_scale,
                                   threads)
        else:
            rng.shuffle(order)
            sse = sgd_epoch(users, items, ratings, order, *arrays, lr, reg, reg_bias, conf_scale)
        lr *= params.lr_decay
        if on_epoch is not None:
            on_epoch(epoch, float(np.sqrt(sse / len(ratings))))
        if validation is not None:
            curve.append(validation.rmse(model))
            if stopping and curve[-1] < best[0]:
                best = (curve[-1], epoch + 1, _copy(model))
            elif stopping and epoch + 1 - best[1] >= params.patience:
                break
    if stopping and best[2] is not None:
        return best[2], best[1], curve
    return model, params.epochs, curve


def _copy(model: MFModel) -> MFModel:
    return MFModel(model.global_mean, model.user_factors.copy(), model.item_factors.copy(),
                   model.user_bias.copy(), model.item_bias.copy())
