"""Seconds of the full RP3beta graph build (trainer.item_graph.build_graph), numba on 1 thread vs all.

Usage: .venv/bin/python bench/trainer/graph_threads.py [--size ml-1m] [--repeats 3]
Alternates 1 thread and all threads in one process (median of each), so the ratio is comparable on a
shared machine; prints the load average.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numba  # noqa: E402
import numpy as np  # noqa: E402

from trainer import item_graph  # noqa: E402
from trainer.synthetic import synthetic_from_spec  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="ml-1m")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    data = synthetic_from_spec(args.size)
    users, items = data.indices()
    inter = item_graph.interactions(users, items, data.rating, len(data.user_ids()), len(data.movies), 0.5)
    item_graph.warm_up()
    times: dict[int, list[float]] = {1: [], numba.config.NUMBA_NUM_THREADS: []}
    for _ in range(args.repeats):
        for threads in times:
            numba.set_num_threads(threads)
            start = time.perf_counter()
            item_graph.build_graph(inter, 0.5, 0.4, 200)
            times[threads].append(time.perf_counter() - start)
    one, all_ = (float(np.median(v)) for v in times.values())
    print(f"{args.size}: graph build 1 thread {one:.2f} s, {max(times)} threads {all_:.2f} s (x{one / all_:.2f}); "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
