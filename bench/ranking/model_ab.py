"""`python -m bench.ranking.model_ab`: CPU time of one Recommend in the scorer's model against the plain reference.

Both models (services/scorer/model.py HybridModel and testing/reference_ranker.py, the ranking core's
plain definitions) serve the same artifact in this process; calls alternate between them in
rounds of 100 (5 rated movies, top 10, explanations on), so load from other jobs hits both alike.
CPU time of the calling thread, not wall time: what a call costs, not how long it waited.
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # as the scorer's entry point does

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from movierec.artifact import load_artifact  # noqa: E402
from services.scorer.model import HybridModel  # noqa: E402
from testing.artifacts import synthetic_graph_artifact  # noqa: E402
from testing.reference_ranker import ReferenceModel  # noqa: E402


def compare(artifact, rounds: int) -> dict[str, np.ndarray]:
    """CPU ms per call (rounds * 100,) of each model on the same 64 requests."""
    models = {"now": HybridModel(artifact), "before": ReferenceModel(artifact)}
    rng = np.random.default_rng(1)
    n = models["now"].n_items
    queries = [(rng.choice(n, 5, replace=False).astype(np.int64), rng.choice([3.0, 4.0, 5.0], 5).astype(np.float32))
               for _ in range(64)]
    out: dict[str, list[float]] = {name: [] for name in models}
    for r in range(rounds + 1):  # round 0 warms up
        for name, model in models.items():
            for i in range(100):
                rows, ratings = queries[i % len(queries)]
                start = time.thread_time()
                model.recommend(rows, ratings, 10, model.default_alpha)
                if r:
                    out[name].append((time.thread_time() - start) * 1000)
    return {name: np.array(v) for name, v in out.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifacts", type=Path, nargs="*",
                        help="artifact roots or version dirs (default: a random 62,000-movie synthetic one)")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        paths = args.artifacts or [synthetic_graph_artifact(Path(tmp), 62000)]
        for path in paths:
            art = load_artifact(path)
            r = compare(art, args.rounds)
            cells = {name: "p50 {:.3f}  p99 {:.3f}  mean {:.3f}".format(*np.percentile(v, [50, 99]), v.mean())
                     for name, v in r.items()}
            print(f"{len(art.movies):>6} movies ({art.version}), CPU ms per call: now {cells['now']} | before "
                  f"{cells['before']} | mean ratio now/before {r['now'].mean() / r['before'].mean():.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
