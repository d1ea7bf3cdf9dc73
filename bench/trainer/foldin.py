"""Which `serving.foldin_reg` suits a model: ridge fold-in of held-out users, RMSE on their other ratings.

Usage: OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/trainer/foldin.py [--holdout 0.1] [--seed 0]
10% of ML-100K's users are held out; each model (the SGD MF and BPMF defaults) trains on everyone
else. For each held-out user, n of their ratings (n = 3, 5, 10, 20) are folded in as
p = argmin Σ (r - μ - b_i - q_i·p)² + λ|p|² and their remaining ratings are predicted as
clip(μ + b_i + q_i·p); the table gives that RMSE per λ, and the λ with the lowest mean over n.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from trainer.dataset import Dataset  # noqa: E402
from trainer.model import Params, default_params, fit_model, warm_up_model  # noqa: E402
from trainer.movielens import load_movielens  # noqa: E402
from trainer.sgd import MFModel  # noqa: E402

REGS = (0.3, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0)
SIZES = (3, 5, 10, 20)


def fold_in_rmse(model: MFModel, profiles: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
                 reg: float) -> float:
    """RMSE over every held-out user's other ratings; profiles: (rows, ratings, other rows, other ratings)."""
    q, b, mu = model.item_factors.astype(np.float64), model.item_bias.astype(np.float64), model.global_mean
    errors = []
    for rows, ratings, other_rows, other_ratings in profiles:
        qr = q[rows]
        p = np.linalg.solve(qr.T @ qr + reg * np.eye(q.shape[1]), qr.T @ (ratings - mu - b[rows]))
        predicted = np.clip(mu + b[other_rows] + q[other_rows] @ p, 1.0, 5.0)
        errors.append(predicted - other_ratings)
    return float(np.sqrt(np.mean(np.concatenate(errors) ** 2)))


def measure(dataset: Dataset, params: Params, holdout: float, seed: int) -> tuple[dict[int, list[float]], float]:
    """{n: RMSE per λ in REGS}, training seconds."""
    users, items = dataset.indices()
    n_users = len(dataset.user_ids())
    rng = np.random.default_rng(seed)
    held = rng.random(n_users) < holdout
    train = ~held[users]
    warm_up_model(params)
    start = time.perf_counter()
    model = fit_model(users[train], items[train], dataset.rating[train], n_users, len(dataset.movies), params)
    seconds = time.perf_counter() - start
    out: dict[int, list[float]] = {}
    for n in SIZES:
        profiles = []
        for u in np.flatnonzero(held):
            mine = np.flatnonzero(users == u)
            if len(mine) < n + 5:
                continue
            mine = rng.permutation(mine)
            profiles.append((items[mine[:n]], dataset.rating[mine[:n]].astype(np.float64),
                             items[mine[n:]], dataset.rating[mine[n:]].astype(np.float64)))
        out[n] = [fold_in_rmse(model, profiles, reg) for reg in REGS]
    return out, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holdout", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    dataset = load_movielens()
    for model in ("sgd", "bpmf"):
        params = default_params(model)
        table, seconds = measure(dataset, params, args.holdout, args.seed)
        print(f"\n{model} defaults ({params.to_dict()}), trained in {seconds:.2f} s, "
              f"load average {os.getloadavg()[0]:.1f}")
        print("| n folded in | " + " | ".join(f"λ {r:g}" for r in REGS) + " |")
        print("|---" * (len(REGS) + 1) + "|")
        for n, values in table.items():
            best = int(np.argmin(values))
            print(f"| {n} | " + " | ".join(f"**{v:.4f}**" if j == best else f"{v:.4f}"
                                           for j, v in enumerate(values)) + " |")
        mean = np.mean([table[n] for n in SIZES], axis=0)
        print("mean over n: " + ", ".join(f"λ {r:g}: {m:.4f}" for r, m in zip(REGS, mean))
              + f" -> best λ {REGS[int(np.argmin(mean))]:g}")


if __name__ == "__main__":
    main()
