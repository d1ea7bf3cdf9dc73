"""Seconds per BPMF Gibbs sweep on MovieLens-shaped synthetic sets, one numba thread against all, same process.

Usage: .venv/bin/python bench/trainer/sweeps.py [--sizes ml-1m ml-25m] [--sweeps 4]
For each size: the set is generated, then the default BPMF (trainer.bpmf.BPMFParams(), implicit
feedback where the sides are narrow enough) runs `--sweeps` sweeps with numba on 1 thread, then on
every core, alternating twice; the median seconds per sweep of each are printed with their ratio
and the load average (the machine is shared: only the ratio within one run is comparable).
Peak RSS of the process is printed at the end.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numba  # noqa: E402
import numpy as np  # noqa: E402

from trainer.bpmf import BPMFParams, fit_bpmf  # noqa: E402
from trainer.synthetic import synthetic_from_spec  # noqa: E402


def per_sweep(data, params: BPMFParams) -> float:
    """Median seconds between sweeps of one run (the first sweep, with its set-up, excluded)."""
    users, items = data.indices()
    stamps = [time.perf_counter()]
    fit_bpmf(users, items, data.rating, len(data.user_ids()), len(data.movies), params,
             on_sweep=lambda s, loss: stamps.append(time.perf_counter()))
    return float(np.median(np.diff(stamps[1:])))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", default=["ml-1m", "ml-25m"])
    ap.add_argument("--sweeps", type=int, default=4)
    args = ap.parse_args()
    params = replace(BPMFParams(), burn_in=0, samples=args.sweeps, serve_factors=0)
    fit_bpmf(np.zeros(1, np.int32), np.zeros(1, np.int32), np.ones(1, np.float32), 1, 1,
             BPMFParams(factors=1, burn_in=0, samples=1))  # compile
    cores = numba.config.NUMBA_NUM_THREADS
    for size in args.sizes:
        start = time.perf_counter()
        data = synthetic_from_spec(size)
        print(f"{size}: {data.n_ratings:,} ratings, {len(data.user_ids()):,} users, {len(data.movies):,} movies "
              f"(generated in {time.perf_counter() - start:.0f} s)", flush=True)
        times: dict[int, list[float]] = {1: [], cores: []}
        for _ in range(2):
            for threads in times:
                numba.set_num_threads(threads)
                times[threads].append(per_sweep(data, params))
        one, all_ = np.median(times[1]), np.median(times[cores])
        print(f"  {size} s/sweep: 1 thread {one:.3f}, {cores} threads {all_:.3f} (x{one / all_:.2f}); "
              f"load average {os.getloadavg()[0]:.1f}", flush=True)
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")


if __name__ == "__main__":
    main()
