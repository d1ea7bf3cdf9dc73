"""Wall time of the default model on ML-100K, data loading included, against SGD MF and Surprise's SVD in one process.

Usage: .venv/bin/python bench/trainer/wall.py [--repeat 3]
Each repeat: parse the cached ML-100K files, index them, train the served default (BPMF) on all
100K ratings, timed as one; the same for the SGD MF defaults and for Surprise's SVD (its own data
loading included) when scikit-surprise is installed. Kernels are compiled before the first repeat
(numba caches them on disk, so a fresh process loads them in ~0.2-0.6 s, reported separately).
OpenBLAS runs on one thread, as `python -m trainer` sets it (trainer/__main__.py).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads, as trainer/__main__.py does
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from trainer.model import Params, default_params, fit_model, warm_up_model  # noqa: E402
from trainer.movielens import load_movielens  # noqa: E402


def ours(params: Params) -> float:
    start = time.perf_counter()
    data = load_movielens()
    users, items = data.indices()
    fit_model(users, items, data.rating, len(data.user_ids()), len(data.movies), params)
    return time.perf_counter() - start


def surprise_svd() -> float | None:
    try:
        import pandas as pd
        import surprise
    except ImportError:
        return None
    start = time.perf_counter()
    data = load_movielens()
    frame = pd.DataFrame({"u": data.user_id, "i": data.movie_id, "r": data.rating})
    trainset = surprise.Dataset.load_from_df(frame, surprise.Reader(rating_scale=(1, 5))).build_full_trainset()
    surprise.SVD(random_state=0).fit(trainset)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bpmf, sgd = default_params("bpmf"), default_params("sgd")
    start = time.perf_counter()
    warm_up_model(bpmf)
    warm_up_model(sgd)
    print(f"kernel load/compile {time.perf_counter() - start:.2f} s; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    for r in range(args.repeat):
        a, s, b = ours(bpmf), ours(sgd), surprise_svd()
        theirs = "not installed" if b is None else f"{b:.2f} s (x{b / a:.2f} BPMF's time)"
        print(f"repeat {r + 1}: load + train | BPMF default ({bpmf.factors} f x {bpmf.samples} samples, "
              f"{bpmf.burn_in} burn-in, {bpmf.served_factors} served) {a:.2f} s | SGD MF ({sgd.factors} f, "
              f"{sgd.epochs} ep) {s:.2f} s (x{s / a:.2f}) | Surprise SVD (100 f, 20 ep) {theirs} | "
              f"load average {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
