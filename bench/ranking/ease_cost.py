"""`python -m bench.ranking.ease_cost`: what the EASE part adds to model.recommend, same process.

For random catalogs of 1,682 movies (EASE part over all of them) and 62,000 (over 4,000, the trainer's
cap), and a trained artifact given with --artifact, the same artifact is served twice, with its EASE
weight and with it set to 0; the two are called in turn, request by request (5 rated movies, top 10,
explanations on), so the shared machine's drift hits both alike.
Reported: CPU-time p50 / p99 per setting and the p50 difference.
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
from trainer.ease import MAX_ITEMS  # noqa: E402

CATALOGS = (1682, 62000)


def cpu_ms(models: dict[str, HybridModel], calls: int) -> dict[str, np.ndarray]:
    """CPU ms (calls,) of model.recommend per model, interleaved call by call on the same requests."""
    return interleaved_cpu_ms(next(iter(models.values())), {name: (lambda rows, ratings, m=m: m.recommend(
        rows, ratings, 10, m.default_alpha)) for name, m in models.items()}, calls)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--artifact", type=Path, default=None,
                        help="also a trained artifact with an EASE part (e.g. `python -m trainer train`'s on ML-100K)")
    args = parser.parse_args(argv)
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores, shared)")
    with tempfile.TemporaryDirectory() as tmp:
        arts = [load_artifact(synthetic_graph_artifact(Path(tmp) / str(n), n, ease_movies=min(n, MAX_ITEMS)))
                for n in CATALOGS]
        if args.artifact is not None:
            arts.insert(0, load_artifact(args.artifact))
        for art in arts:
            with_ease, without = HybridModel(art), HybridModel(art)
            if with_ease.ease_rows is None or not with_ease.weights["ease"]:
                print(f"{art.version}: no weighted EASE part, skipped")
                continue
            without.weights = {**without.weights, "ease": 0.0}
            times = cpu_ms({"with EASE": with_ease, "without": without}, args.calls)
            print(f"{with_ease.n_items} movies ({art.version}), EASE part over {len(with_ease.ease_rows)} of them, "
                  f"weight {with_ease.weights['ease']}, {args.calls} calls each, CPU ms:")
            for name, t in times.items():
                print(f"  {name:9s}: p50 {np.percentile(t, 50):.3f}  p99 {np.percentile(t, 99):.3f}")
            diff = np.percentile(times["with EASE"], 50) - np.percentile(times["without"], 50)
            print(f"  p50 difference: {diff:+.3f}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
