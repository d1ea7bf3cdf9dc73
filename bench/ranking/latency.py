"""`python -m bench.ranking.latency`: Recommend RPC latency at 1,682 and 62,000 movies, over real gRPC.

Each catalog is served by the scorer's servicer in a GrpcService (the services' server, with its
interceptors) on a loopback port in this process. A client in a process of its own
(bench/ranking/latency_client.py: blocking stub, one channel, as internal callers use) sends
Recommend calls one at a time (5 rated movies, top 10, explanations on); the baseline, on the same
channel, is the gRPC health Check, an RPC that does nothing. The servicer also times its own
handling of each Recommend (request checks + model + reply messages; not transport or
(de)serialisation), and the model alone is timed in-process afterwards. Each catalog is measured with
its re-rank stage and with the blend alone (a synthetic catalog gets a stage of the trainer's size,
rerank_train.ROUNDS trees of 15 leaves, trained on random features), and the two models' CPU per
Recommend is compared interleaved in one loop.
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # as the scorer's entry point does

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Mapping, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TypeVar  # noqa: E402

import numpy as np  # noqa: E402

from movierec.artifact import ArtifactError, load_artifact  # noqa: E402
from scripts.stack import ROOT  # noqa: E402
from services.scorer.model import HybridModel  # noqa: E402
from services.scorer.server import ScorerServicer  # noqa: E402
from testing.artifacts import backwards_rerank_model, synthetic_graph_artifact  # noqa: E402
from testing.reference_ranker import ReferenceModel  # noqa: E402
from testing.servers import grpc_service  # noqa: E402
from trainer.rerank_train import CANDIDATES, LIGHTGBM, ROUNDS  # noqa: E402


class TimedScorer(ScorerServicer):
    """The scorer's servicer, timing each Recommend it handles (wall and CPU time of this thread)."""

    def __init__(self, model: HybridModel) -> None:
        super().__init__(model)
        self.wall: list[float] = []
        self.cpu: list[float] = []

    async def Recommend(self, request, context):
        start, start_cpu = time.perf_counter(), time.thread_time()
        try:
            return await super().Recommend(request, context)
        finally:
            self.cpu.append((time.thread_time() - start_cpu) * 1000)
            self.wall.append((time.perf_counter() - start) * 1000)


def _queries(model: HybridModel, seed: int = 1, n: int = 64) -> list[list[tuple[int, float]]]:
    """n requests of 5 distinct movies with ratings 3, 4 or 5: [(movie_id, rating)] each."""
    rng = np.random.default_rng(seed)
    ids = [m.movie_id for m in model.movies]
    return [[(int(m), float(r)) for m, r in zip(rng.choice(ids, 5, replace=False), rng.choice([3.0, 4.0, 5.0], 5))]
            for _ in range(n)]


async def _rpc(model: HybridModel, queries: list, calls: int, work: Path) -> dict[str, np.ndarray]:
    """Serves model and runs the client process against it; latencies (calls,) in ms per kind."""
    servicer = TimedScorer(model)
    service = grpc_service(servicer)
    path = work / "requests.json"
    path.write_text(json.dumps(queries))
    await service.start()
    try:
        client = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.ranking.latency_client", service.address, str(path), str(calls),
            cwd=ROOT, stdout=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
        out, _ = await client.communicate()
        if client.returncode != 0:
            raise RuntimeError(f"latency client exited {client.returncode}")
    finally:
        await service.stop()
    got = json.loads(out)
    return {"rpc": np.array(got["recommend"]), "health": np.array(got["health"]),
            "handler": np.array(servicer.wall[-calls:]), "handler_cpu": np.array(servicer.cpu[-calls:])}


K = TypeVar("K")


def interleaved_cpu_ms(model: HybridModel, variants: Mapping[K, Callable[[np.ndarray, np.ndarray], object]],
                       calls: int, warm_up: int = 50) -> dict[K, np.ndarray]:
    """CPU ms (calls,) of each variant (a call taking input rows and ratings), the variants called in turn on
    the same requests (model's catalog), so the shared machine's drift hits every variant alike."""
    queries = _queries(model)
    rows = [model.rows_of([m for m, _ in q]) for q in queries]
    ratings = [np.array([r for _, r in q], dtype=np.float32) for q in queries]
    out = {key: np.empty(calls) for key in variants}
    for i in range(-warm_up, calls):
        j = i % len(queries)
        for key, variant in variants.items():
            start = time.thread_time()
            variant(rows[j], ratings[j])
            if i >= 0:
                out[key][i] = (time.thread_time() - start) * 1000
    return out


def _model_alone(model: HybridModel, queries: list, calls: int) -> dict[str, np.ndarray]:
    """model.recommend called directly (as the servicer does, explanations on): wall and CPU ms per call."""
    rows = [model.rows_of([m for m, _ in q]) for q in queries]
    ratings = [np.array([r for _, r in q], dtype=np.float32) for q in queries]
    wall, cpu = np.empty(calls), np.empty(calls)
    for i in range(-100, calls):  # 100 warm-up calls
        j = i % len(queries)
        start, start_cpu = time.perf_counter(), time.thread_time()
        model.recommend(rows[j], ratings[j], 10, model.default_alpha)
        if i >= 0:
            wall[i], cpu[i] = (time.perf_counter() - start) * 1000, (time.thread_time() - start_cpu) * 1000
    return {"model": wall, "model_cpu": cpu}


def measure(model: HybridModel, calls: int, work: Path) -> dict[str, np.ndarray]:
    queries = _queries(model)
    return {**asyncio.run(_rpc(model, queries, calls, work)), **_model_alone(model, queries, calls)}


def _p(x: np.ndarray, q: float) -> float:
    return float(np.percentile(x, q))


def _compare(blend: HybridModel, stage: HybridModel, calls: int) -> None:
    """Model CPU per Recommend of the blend alone and with the stage, interleaved on the same requests."""
    cpu = interleaved_cpu_ms(blend, {
        "blend": lambda rows, ratings: blend.recommend(rows, ratings, 10, blend.default_alpha),
        "stage": lambda rows, ratings: stage.recommend(rows, ratings, 10, stage.default_alpha)}, calls)
    b, s = cpu["blend"], cpu["stage"]
    print(f"  model CPU per Recommend, interleaved: blend alone p50 {_p(b, 50):.3f} p99 {_p(b, 99):.3f}; "
          f"with the stage p50 {_p(s, 50):.3f} p99 {_p(s, 99):.3f}; ratio of means {s.mean() / b.mean():.2f}, "
          f"of p50s {_p(s, 50) / _p(b, 50):.2f}")


def _print(r: dict[str, np.ndarray], limit: float) -> None:
    print(f"  Recommend RPC, client in another process: p50 {_p(r['rpc'], 50):.3f}  p99 {_p(r['rpc'], 99):.3f}"
          f"  (limit {limit:g})")
    print(f"  health-check RPC (no work), same client:  p50 {_p(r['health'], 50):.3f}  "
          f"p99 {_p(r['health'], 99):.3f}")
    print(f"  servicer handling Recommend, wall:        p50 {_p(r['handler'], 50):.3f}  "
          f"p99 {_p(r['handler'], 99):.3f}   CPU p50 {_p(r['handler_cpu'], 50):.3f}  "
          f"p99 {_p(r['handler_cpu'], 99):.3f}")
    print(f"  model.recommend alone, wall:              p50 {_p(r['model'], 50):.3f}  "
          f"p99 {_p(r['model'], 99):.3f}   CPU p50 {_p(r['model_cpu'], 50):.3f}  "
          f"p99 {_p(r['model_cpu'], 99):.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifact", type=Path, default=Path("artifacts"),
                        help="the 1,682-movie artifact (as `python -m trainer train` writes it); "
                             "a synthetic one if missing")
    parser.add_argument("--artifact-62k", type=Path, default=None,
                        help="a ~62,000-movie artifact, e.g. from `python -m trainer train --dataset synthetic:ml-25m "
                             "--no-eval --factors 50 --epochs 20 --ranking defaults`; random arrays if not given")
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--ease-movies", type=int, default=0,
                        help="synthetic artifacts get an EASE part (weight 0.3) over this many of their movies "
                             "(at most the catalog; trainer/ease.py caps it at 4,000)")
    parser.add_argument("--before", action="store_true",
                        help="serve the model code this one replaced (testing/reference_ranker.py), to compare")
    args = parser.parse_args(argv)
    limits = {1682: 1.0, 62000: 10.0}  # ML-100K size (1,681 after the trainer drops one) and ML-25M size
    ok = True
    print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores; figures are noisy above ~1)")
    # features random, so it costs what a trained stage of this size does: ROUNDS trees of up to 15 leaves
    stage_text = backwards_rerank_model(CANDIDATES, queries=400, rounds=ROUNDS, leaves=int(LIGHTGBM["num_leaves"]))
    with tempfile.TemporaryDirectory() as tmp:
        for n_movies, limit in limits.items():
            given = args.artifact if n_movies == 1682 else args.artifact_62k
            try:
                art = load_artifact(given) if given is not None else None
            except ArtifactError as e:
                print(f"{given}: {e}; using a synthetic artifact")
                art = None
            if art is None or abs(len(art.movies) - n_movies) > 0.05 * n_movies:  # another size: not this row
                art = load_artifact(synthetic_graph_artifact(Path(tmp) / str(n_movies), n_movies,
                                                             ease_movies=min(args.ease_movies, n_movies),
                                                             rerank=(stage_text, CANDIDATES)))
            if args.before:
                variants: dict[str, HybridModel] = {"model code before (reference)": ReferenceModel(art)}
            else:
                variants = {"blend alone": HybridModel(art, rerank=False)}
                if art.rerank_model is not None:
                    variants["with the re-rank stage"] = HybridModel(art)
            served = list(variants)[-1]
            for name, model in variants.items():
                r = measure(model, args.calls, Path(tmp))
                if name == served:
                    ok &= _p(r["rpc"], 99) <= limit
                ease = 0 if model.ease_rows is None or not model.weights["ease"] else len(model.ease_rows)
                print(f"{len(model.movies):>6} movies ({art.version}, graph {model.neighbor_rows is not None}, "
                      f"EASE part over {ease} movies), {args.calls} calls, {name}, ms:")
                _print(r, limit)
            if len(variants) == 2:
                _compare(*variants.values(), args.calls)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    print(f"Recommend RPC p99 within limits: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(argv=None))
