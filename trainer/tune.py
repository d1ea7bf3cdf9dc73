"""Random search over TrainParams on a validation split inside the training part, with early stopping."""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from trainer.dataset import Dataset
from trainer.evaluate import random_split
from trainer.sgd import TrainParams, Validation, fit_with_stopping, warm_up

# name -> candidate values; each trial draws one value per name. Narrowed around the winners of a
# first, wider 60-trial search on ML-100K (factors 20-200, lr .003-.015, reg .02-.1, init .01-.1,
# conf 0-.2, decay .9-1): big factor counts with a strong L2 and a weak one on the biases won.
SPACE: dict[str, Sequence[float | int]] = {
    "factors": (50, 100, 200, 300),
    "lr": (0.005, 0.007, 0.01, 0.015),
    "reg": (0.05, 0.06, 0.07, 0.08, 0.1),
    "reg_bias": (0.0, 0.005, 0.01, 0.02),
    "lr_decay": (0.97, 0.99, 1.0),
    "init_std": (0.01, 0.05),
    "conf_scale": (0.0, 0.0, 0.1),  # 0 twice: it is the value to beat
}
MAX_EPOCHS = 200
PATIENCE = 5


@dataclass(frozen=True)
class Trial:
    """One searched configuration: its validation RMSE at the best epoch and how long it took."""

    params: TrainParams
    valid_rmse: float
    epochs: int
    seconds: float

    def row(self) -> dict[str, float | int]:
        p = self.params
        return {"valid_rmse": round(self.valid_rmse, 5), "epochs": self.epochs, "seconds": round(self.seconds, 2),
                "factors": p.factors, "lr": p.lr, "reg": p.reg, "reg_bias": p.reg_bias, "lr_decay": p.lr_decay,
                "init_std": p.init_std, "conf_scale": p.conf_scale}


def draw(rng: np.random.Generator, base: TrainParams) -> TrainParams:
    """One random configuration from SPACE, stopping early on the validation slice."""
    values = {name: type(getattr(base, name))(choices[int(rng.integers(len(choices)))])
              for name, choices in SPACE.items()}
    return replace(base, epochs=MAX_EPOCHS, patience=PATIENCE, **values)


def search(dataset: Dataset, trials: int = 30, seed: int = 0, test_fraction: float = 0.2, split_seed: int = 42,
           base: TrainParams | None = None, on_trial: Callable[[Trial], None] | None = None) -> list[Trial]:
    """Trials sorted best first. The held-out test part of the (split_seed) split is never touched:

    the search trains on 80% of the training part and validates on the other 20%, so the test
    RMSE reported by `evaluate` afterwards is still an honest estimate. The first trial is `base`
    (the current default), so the search can only keep or beat it.
    """
    base = base or TrainParams()
    users, items = dataset.indices()
    n_users, n_items = len(dataset.user_ids()), len(dataset.movies)
    train, _ = random_split(dataset.n_ratings, test_fraction, split_seed)
    inner, valid = random_split(len(train), 0.2, split_seed + 1)
    inner, valid = train[inner], train[valid]
    validation = Validation(users[valid], items[valid], dataset.rating[valid])
    rng = np.random.default_rng(seed)
    warm_up()
    candidates = [replace(base, epochs=MAX_EPOCHS, patience=PATIENCE)]
    candidates += [draw(rng, base) for _ in range(trials - 1)]
    results = []
    for params in candidates:
        start = time.perf_counter()
        _, epochs, curve = fit_with_stopping(users[inner], items[inner], dataset.rating[inner], n_users, n_items,
                                             params, validation=validation)
        trial = Trial(replace(params, epochs=epochs, patience=0), min(curve), epochs, time.perf_counter() - start)
        results.append(trial)
        if on_trial is not None:
            on_trial(trial)
    return sorted(results, key=lambda t: t.valid_rmse)


def table(trials: Sequence[Trial]) -> str:
    """A markdown table of trials, best first."""
    rows = [t.row() for t in trials]
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(r[h]) for h in head) + " |" for r in rows]
    return "\n".join(lines)
