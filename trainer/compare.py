"""`python -m trainer evaluate`: baselines, reference, SGD MF, BPMF with and without implicit feedback, Surprise SVD."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from trainer.bpmf import BPMFParams
from trainer.dataset import Dataset
from trainer.evaluate import bias_only, evaluate_indices, kfold_splits, mae, random_split, rmse
from trainer.model import Params, default_params
from trainer.sgd import REFERENCE_PARAMS, TrainParams

# (name, trainer) where trainer(dataset, train, test) -> (rmse, mae, seconds)
Contender = tuple[str, Callable[[Dataset, np.ndarray, np.ndarray], tuple[float, float, float]]]


def _global_mean(dataset: Dataset, train: np.ndarray, test: np.ndarray) -> tuple[float, float, float]:
    start = time.perf_counter()
    mean = float(dataset.rating[train].mean(dtype=np.float64))
    seconds = time.perf_counter() - start
    predicted = np.full(len(test), mean, dtype=np.float32)
    return rmse(predicted, dataset.rating[test]), mae(predicted, dataset.rating[test]), seconds


def _ours(params: Params) -> Callable[[Dataset, np.ndarray, np.ndarray], tuple[float, float, float]]:
    def run(dataset: Dataset, train: np.ndarray, test: np.ndarray) -> tuple[float, float, float]:
        err, abs_err, _, seconds = evaluate_indices(dataset, params, train, test)
        return err, abs_err, seconds
    return run


def _surprise_svd(dataset: Dataset, train: np.ndarray, test: np.ndarray) -> tuple[float, float, float]:
    """Surprise's SVD with its defaults (100 factors, 20 epochs, lr 0.005, reg 0.02), seeded."""
    import pandas as pd
    import surprise

    frame = pd.DataFrame({"u": dataset.user_id[train], "i": dataset.movie_id[train], "r": dataset.rating[train]})
    reader = surprise.Reader(rating_scale=dataset.rating_scale)
    start = time.perf_counter()
    trainset = surprise.Dataset.load_from_df(frame, reader).build_full_trainset()
    algo = surprise.SVD(random_state=0)
    algo.fit(trainset)
    seconds = time.perf_counter() - start
    predicted = np.array([algo.predict(int(u), int(i)).est for u, i in
                          zip(dataset.user_id[test], dataset.movie_id[test])], dtype=np.float32)
    return rmse(predicted, dataset.rating[test]), mae(predicted, dataset.rating[test]), seconds


def surprise_available() -> bool:
    try:
        import surprise  # noqa: F401
    except ImportError:
        return False
    return True


def contenders(default: Params, with_surprise: bool = True) -> list[Contender]:
    """Every row of the table; `default` (the served model's params) replaces its model's own defaults."""
    sgd = default if isinstance(default, TrainParams) else TrainParams()
    bpmf = default if isinstance(default, BPMFParams) else BPMFParams()

    def mark(params: Params) -> str:  # the model `python -m trainer train` serves without options
        return " = served default" if params == default_params() else ""
    out: list[Contender] = [
        ("global mean", _global_mean),
        ("bias only (tuned SGD, no factors)", _ours(bias_only(sgd))),
        ("reference (100 f, lr .005, reg .015, 15 ep, conf 1+.2r)", _ours(REFERENCE_PARAMS)),
        (f"SGD MF ({sgd.factors} f, {sgd.epochs} ep){mark(sgd)}", _ours(sgd)),
        (f"BPMF ({bpmf.factors} f x {bpmf.samples} samples, no implicit)", _ours(replace(bpmf, implicit=0.0))),
        (f"BPMF ({bpmf.factors} f x {bpmf.samples} samples, implicit {bpmf.implicit:g}, {bpmf.served_factors} served)"
         f"{mark(bpmf)}", _ours(bpmf)),
    ]
    if bpmf.implicit == 0:
        del out[-2]  # the served BPMF is already the plain one
    if with_surprise and surprise_available():
        out.append(("surprise SVD (library defaults)", _surprise_svd))
    return out


@dataclass(frozen=True)
class Row:
    name: str
    rmse: list[float]
    mae: list[float]
    seconds: list[float]

    def cells(self) -> list[str]:
        def fmt(values: list[float], digits: int) -> str:
            mean = f"{np.mean(values):.{digits}f}"
            return mean if len(values) == 1 else f"{mean} ± {np.std(values):.{digits}f}"
        return [self.name, fmt(self.rmse, 4), fmt(self.mae, 4), fmt(self.seconds, 2)]


def splits(dataset: Dataset, kind: str, seed: int = 42) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """`80/20`: one random split; `5-fold`: five disjoint test parts."""
    if kind == "80/20":
        yield random_split(dataset.n_ratings, 0.2, seed)
    else:
        yield from kfold_splits(dataset.n_ratings, int(kind.split("-")[0]), seed)


def compare(dataset: Dataset, default: Params, kind: str = "80/20", seed: int = 42,
            with_surprise: bool = True, on_row: Callable[[Row], None] | None = None) -> list[Row]:
    """Every contender on the same split(s); a row per contender, with one value per split."""
    folds = list(splits(dataset, kind, seed))
    rows = []
    for name, run in contenders(default, with_surprise):
        results = [run(dataset, train, test) for train, test in folds]
        row = Row(name, *[[r[j] for r in results] for j in range(3)])
        rows.append(row)
        if on_row is not None:
            on_row(row)
    return rows


HEADER = ["model", "RMSE", "MAE", "train s"]


def markdown(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---|---|---|"]
    return "\n".join(lines + ["| " + " | ".join(r.cells()) + " |" for r in rows])
