"""Training time and peak memory on MovieLens-shaped synthetic sets from 100K to 25M ratings.

Usage: .venv/bin/python bench/trainer/scale.py [--sizes ml-100k ml-1m ml-25m] [--epochs 20] [--factors 50]
Each size runs in a fresh subprocess, so its peak RSS is its own; times are also printed as
nanoseconds per rating-epoch and as a ratio to the first (smallest) size measured in this run.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# 50, not the ML-100K-tuned 200: the size a 25M-rating model is usually trained at, and 4x less work.
TRAIN_FACTORS = 50


def one(spec: str, epochs: int, factors: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from trainer.sgd import TrainParams, fit, warm_up
    from trainer.synthetic import synthetic_from_spec

    start = time.perf_counter()
    data = synthetic_from_spec(spec)
    made = time.perf_counter() - start
    warm_up()
    start = time.perf_counter()
    users, items = data.indices()
    fit(users, items, data.rating, len(data.user_ids()), len(data.movies),
        replace(TrainParams(), epochs=epochs, factors=factors))
    seconds = time.perf_counter() - start
    return {"size": spec, "ratings": data.n_ratings, "users": len(data.user_ids()), "movies": len(data.movies),
            "generate_s": round(made, 1), "train_s": round(seconds, 2),
            "ns_per_rating_epoch": round(seconds / epochs / data.n_ratings * 1e9, 1),
            "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", nargs="+", default=["ml-100k", "ml-1m", "ml-25m"])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--factors", type=int, default=TRAIN_FACTORS)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.epochs, args.factors)))
        return
    rows = []
    for spec in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--one", spec, "--epochs", str(args.epochs),
                              "--factors", str(args.factors)],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        base = rows[0]
        r = rows[-1]
        print(f"{r['size']:>8}: {r['ratings']:>11,} ratings, {r['users']:,} users, {r['movies']:,} movies | "
              f"generate {r['generate_s']} s | {args.epochs} epochs {r['train_s']} s "
              f"({r['ns_per_rating_epoch']} ns/rating-epoch, x{r['train_s'] / base['train_s']:.1f} the time of "
              f"{base['size']} for x{r['ratings'] / base['ratings']:.0f} the ratings) | peak RSS {r['peak_rss_gb']} GB "
              f"| {args.factors} factors, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}",
              flush=True)


if __name__ == "__main__":
    main()
