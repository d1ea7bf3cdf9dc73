"""Held-out evaluation: seeded random 80/20 and k-fold splits, RMSE and MAE, global-mean and bias-only baselines."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from trainer.bpmf import Chain
from trainer.dataset import Dataset
from trainer.model import Params, fit_model, warm_up_model
from trainer.sgd import MFModel, TrainParams

RATING_MIN, RATING_MAX = 1.0, 5.0  # the ML-100K scale; Dataset.rating_scale gives a set's own


@dataclass(frozen=True)
class Evaluation:
    rmse: float
    mae: float
    global_mean_rmse: float
    train_seconds: float
    test_fraction: float
    split_seed: int
    n_train: int
    n_test: int
    rating_min: float = RATING_MIN
    rating_max: float = RATING_MAX

    def metrics(self) -> dict[str, float | int | str]:
        """The manifest's `metrics` block."""
        return {
            "rmse": round(self.rmse, 5), "mae": round(self.mae, 5),
            "global_mean_rmse": round(self.global_mean_rmse, 5), "train_seconds": round(self.train_seconds, 3),
            "test_fraction": self.test_fraction, "split_seed": self.split_seed,
            "n_train": self.n_train, "n_test": self.n_test,
            "eval_split": f"random {1 - self.test_fraction:.0%}/{self.test_fraction:.0%} of ratings, "
                          f"seed {self.split_seed}; predictions clipped to [{self.rating_min:g}, {self.rating_max:g}]",
        }


def random_split(n: int, test_fraction: float = 0.2, seed: int = 42) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) int64 index arrays partitioning range(n), test of size round(n * test_fraction)."""
    order = np.random.default_rng(seed).permutation(n)
    n_test = int(round(n * test_fraction))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def kfold_splits(n: int, folds: int = 5, seed: int = 42) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(train, test) int64 index arrays for each of `folds` disjoint test parts of a seeded shuffle."""
    order = np.random.default_rng(seed).permutation(n)
    bounds = np.linspace(0, n, folds + 1).astype(np.int64)
    for f in range(folds):
        test = order[bounds[f]:bounds[f + 1]]
        yield np.sort(np.concatenate([order[:bounds[f]], order[bounds[f + 1]:]])), np.sort(test)


def rmse(predicted: np.ndarray, actual: np.ndarray) -> float:
    return float(np.sqrt(np.mean((predicted.astype(np.float64) - actual) ** 2)))


def mae(predicted: np.ndarray, actual: np.ndarray) -> float:
    return float(np.mean(np.abs(predicted.astype(np.float64) - actual)))


def clipped_predictions(model: MFModel, users: np.ndarray, items: np.ndarray,
                        scale: tuple[float, float] = (RATING_MIN, RATING_MAX)) -> np.ndarray:
    """(N,) float32 predictions clipped to the rating scale, as the scorer serves them."""
    return np.clip(model.predict(users, items), *scale)


def bias_only(params: TrainParams) -> TrainParams:
    """The same SGD with one zero-initialised factor: μ + b_u + b_i only (the factor never moves)."""
    return replace(params, factors=1, init_std=0.0)


def evaluate_indices(dataset: Dataset, params: Params, train: np.ndarray, test: np.ndarray,
                     on_epoch: Callable[[int, float], None] | None = None,
                     chain: Chain | None = None) -> tuple[float, float, float, float]:
    """(rmse, mae, global-mean rmse, train seconds) of params trained on rows `train`, scored on `test`.

    Users and movies are indexed over the whole dataset, so one seen only in the test part is
    predicted from the biases it has (zero) and its untrained initial factors. chain: see fit_model.
    """
    users, items = dataset.indices()
    n_users, n_items = len(dataset.user_ids()), len(dataset.movies)
    warm_up_model(params)
    start = time.perf_counter()
    model = fit_model(users[train], items[train], dataset.rating[train], n_users, n_items, params, on_epoch,
                      chain)
    seconds = time.perf_counter() - start
    actual = dataset.rating[test]
    predicted = clipped_predictions(model, users[test], items[test], dataset.rating_scale)
    baseline = np.full(len(test), model.global_mean, dtype=np.float32)
    return rmse(predicted, actual), mae(predicted, actual), rmse(baseline, actual), seconds


def evaluate_split(dataset: Dataset, params: Params, test_fraction: float = 0.2, split_seed: int = 42,
                   on_epoch: Callable[[int, float], None] | None = None, chain: Chain | None = None) -> Evaluation:
    """Trains on a random (1 - test_fraction) of the ratings and scores the rest (chain: see fit_model)."""
    train, test = random_split(dataset.n_ratings, test_fraction, split_seed)
    err, abs_err, base, seconds = evaluate_indices(dataset, params, train, test, on_epoch, chain)
    lo, hi = dataset.rating_scale
    return Evaluation(err, abs_err, base, seconds, test_fraction, split_seed, len(train), len(test), lo, hi)
