"""Wall time of the default model on ML-100K, data loading included, against Surprise's SVD in the same process.

Usage: .venv/bin/python bench/trainer/wall.py [--repeat 3]
Each repeat: parse the cached ML-100K files, index them, train the default on all 100K ratings
(the served model), timed as one; then the same for Surprise's SVD (its own data loading
included) when scikit-surprise is installed. The kernel is compiled before the first repeat
(numba caches it on disk, so a fresh process loads it in ~0.2 s, reported separately).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from trainer.movielens import load_movielens  # noqa: E402
from trainer.sgd import TrainParams, fit, warm_up  # noqa: E402


def ours() -> float:
    start = time.perf_counter()
    data = load_movielens()
    users, items = data.indices()
    fit(users, items, data.rating, len(data.user_ids()), len(data.movies), TrainParams())
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
    start = time.perf_counter()
    warm_up()
    print(f"kernel load/compile {time.perf_counter() - start:.2f} s; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores")
    for r in range(args.repeat):
        a, b = ours(), surprise_svd()
        theirs = "not installed" if b is None else f"{b:.2f} s (ours is x{b / a:.2f} its speed)"
        print(f"repeat {r + 1}: default ({TrainParams().factors} factors, {TrainParams().epochs} epochs) load + "
              f"train {a:.2f} s | Surprise SVD (100 factors, 20 epochs) load + train {theirs}", flush=True)


if __name__ == "__main__":
    main()
