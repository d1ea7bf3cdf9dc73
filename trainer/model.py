"""Which model the trainer serves by default, and one `fit_model` over both trainers (SGD MF, BPMF)."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from trainer.bpmf import BPMFParams, Chain, fit_bpmf
from trainer.sgd import MFModel, TrainParams, fit, warm_up

Params = TrainParams | BPMFParams

# BPMF won on the numbers (bench/trainer/RESULTS.md): ML-100K 80/20 test RMSE below SGD's 0.9053
# in a few seconds; both export the same arrays, so serving does not change. `--model sgd` keeps SGD.
MODELS = ("bpmf", "sgd")
DEFAULT_MODEL = "bpmf"


def default_params(model: str = DEFAULT_MODEL) -> Params:
    """The tuned defaults of `model` ("bpmf" or "sgd")."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODELS)}")
    return BPMFParams() if model == "bpmf" else TrainParams()


def params_from_manifest(recorded: dict) -> Params:
    """The training params an artifact's manifest["params"] records (its "model" key picks the trainer;
    SGD artifacts from before BPMF have none): the retrain gate refits the serving model's recipe."""
    cls: type[Params] = BPMFParams if recorded.get("model") == "bpmf" else TrainParams
    return cls(**{k: v for k, v in recorded.items() if k in cls.__dataclass_fields__})


def fit_model(users: np.ndarray, items: np.ndarray, ratings: np.ndarray, n_users: int, n_items: int,
              params: Params, on_epoch: Callable[[int, float], None] | None = None,
              chain: Chain | None = None) -> MFModel:
    """A biased MF trained by the model params belong to (SGD epochs or Gibbs sweeps report to on_epoch).

    chain (BPMF only): a Gibbs state to start from and to leave the final state in (bpmf.Chain).
    """
    if isinstance(params, BPMFParams):
        return fit_bpmf(users, items, ratings, n_users, n_items, params, on_epoch, chain)
    return fit(users, items, ratings, n_users, n_items, params, on_epoch)


def warm_up_model(params: Params) -> None:
    """Compiles (or loads the cached) kernels of params' model, so timings measure training only."""
    if isinstance(params, BPMFParams):
        fit_bpmf(np.zeros(1, np.int32), np.zeros(1, np.int32), np.ones(1, np.float32), 1, 1,
                 BPMFParams(factors=1, burn_in=0, samples=1))
    else:
        warm_up()
