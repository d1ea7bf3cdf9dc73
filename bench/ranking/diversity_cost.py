"""`python -m bench.ranking.diversity_cost`: what the diversity re-ranking adds to model.recommend, same process.

For each catalog (an artifact given with --artifact, and the random 62,000-movie one the latency
benchmark uses), model.recommend (5 rated movies, top 10, explanations on) is called at each
diversity in turn, round-robin, so the shared machine's drift hits every setting alike; reported:
CPU-time p50 / p99 per setting and its p50 ratio to diversity 0.
"""
from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as the scorer's entry point does

import argparse  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from bench.ranking.latency import interleaved_cpu_ms  # noqa: E402
from movierec.artifact import load_artifact  # noqa: E402
from services.scorer.model import HybridModel  # noqa: E402
from testing.artifacts import synthetic_graph_artifact  # noqa: E402

DIVERSITIES = (0.0, 0.2, 1.0)


def cpu_ms(model: HybridModel, calls: int) -> dict[float, np.ndarray]:
    """CPU ms (calls,) of model.recommend per diversity, the settings interleaved call by call."""
    return interleaved_cpu_ms(model, {d: (lambda rows, ratings, d=d: model.recommend(
        rows, ratings, 10, model.default_alpha, diversity=d)) for d in DIVERSITIES}, calls)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifact", type=Path, default=Path("artifacts"), help="a trained artifact (root or version)")
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args(argv)
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores, shared)")
    with tempfile.TemporaryDirectory() as tmp:
        artifacts = [load_artifact(synthetic_graph_artifact(Path(tmp) / "62k", 62000))]
        if args.artifact.exists():
            artifacts.insert(0, load_artifact(args.artifact))
        for art in artifacts:
            model = HybridModel(art)
            times = cpu_ms(model, args.calls)
            base = float(np.percentile(times[0.0], 50))
            print(f"{model.n_items} movies ({art.version}), {args.calls} calls per setting, CPU ms:")
            for d, t in times.items():
                p50, p99 = np.percentile(t, 50), np.percentile(t, 99)
                print(f"  diversity {d:g}: p50 {p50:.3f}  p99 {p99:.3f}  p50 ratio to 0: {p50 / base:.2f}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
