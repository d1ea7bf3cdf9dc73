"""`python -m bench.ranking.latency`: Recommend RPC latency at 1,682 and 62,000 movies, over real gRPC.

Each catalog is served by a ScorerServicer on a loopback port in this process; a client sends
Recommend calls (5 liked movies with ratings, top 10, explanations on) one at a time. The baseline,
measured on the same server and channel, is the gRPC health Check: the cost of an RPC doing nothing.
"""
from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # as the scorer's entry point does

import argparse  # noqa: E402
import asyncio  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Awaitable, Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import grpc  # noqa: E402
import numpy as np  # noqa: E402
from grpc_health.v1 import health_pb2, health_pb2_grpc  # noqa: E402

from movierec.v1 import scorer_pb2, scorer_pb2_grpc  # noqa: E402
from services.common.artifact import ArtifactError, CatalogMovie, load_artifact, write_artifact  # noqa: E402
from services.common.grpc_server import GrpcService  # noqa: E402
from services.scorer.model import HybridModel  # noqa: E402
from services.scorer.server import ScorerServicer  # noqa: E402

N_GENRES, FACTORS, NEIGHBORS = 19, 50, 200
SERVING = {"default_alpha": 0.9, "weights": {"graph": 1.0, "mf": 0.2, "popularity": 0.2}}


def synthetic_artifact(root: Path, n_movies: int, seed: int = 0) -> Path:
    """A random artifact with n_movies, an item graph of NEIGHBORS per movie and tuned-style serving weights."""
    rng = np.random.default_rng(seed)
    n_users = 1000
    arrays = {
        "global_mean": np.float32(3.5), "user_ids": np.arange(1, n_users + 1, dtype=np.int64),
        "item_ids": np.arange(1, n_movies + 1, dtype=np.int64),
        "user_factors": rng.normal(0, 0.1, (n_users, FACTORS)).astype(np.float32),
        "item_factors": rng.normal(0, 0.1, (n_movies, FACTORS)).astype(np.float32),
        "user_bias": rng.normal(0, 0.1, n_users).astype(np.float32),
        "item_bias": rng.normal(0, 0.1, n_movies).astype(np.float32),
        "neighbor_rows": rng.integers(0, n_movies, (n_movies, NEIGHBORS), dtype=np.int32),
        "neighbor_weights": np.sort(rng.random((n_movies, NEIGHBORS), dtype=np.float32), axis=1)[:, ::-1].copy(),
    }
    genres = [f"G{g}" for g in range(N_GENRES)]
    matrix = (rng.random((n_movies, N_GENRES)) < 0.15).astype(np.float32)
    movies = [CatalogMovie(i + 1, f"Movie {i + 1}", 1950 + i % 70, tuple(g for g, on in zip(genres, row) if on),
                           int(rng.integers(0, 5000)), 3.5) for i, row in enumerate(matrix)]
    manifest = {"dataset": {"name": f"synthetic-{n_movies}"}, "serving": SERVING}
    return write_artifact(root, f"synthetic-{n_movies}", arrays, matrix, genres, movies, manifest)


async def _timed(call: Callable[[int], Awaitable[object]], n: int) -> np.ndarray:
    """Latencies (n,) in ms of n sequential awaited calls (after 50 warm-up calls)."""
    for i in range(50):
        await call(i)
    out = np.empty(n)
    for i in range(n):
        start = time.perf_counter()
        await call(i)
        out[i] = (time.perf_counter() - start) * 1000
    return out


async def measure(model: HybridModel, n: int, seed: int = 1) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    ids = [m.movie_id for m in model.movies]
    queries = [scorer_pb2.RecommendRequest(
        liked=[scorer_pb2.LikedMovie(movie_id=int(m), rating=float(r))
               for m, r in zip(rng.choice(ids, 5, replace=False), rng.choice([3.0, 4.0, 5.0], 5))], top_k=10)
        for _ in range(64)]
    servicer = ScorerServicer(model)
    service = GrpcService("movierec.v1.Scorer", "127.0.0.1:0",
                          lambda s: scorer_pb2_grpc.add_ScorerServicer_to_server(servicer, s), grace=0.5)
    await service.start()
    try:
        async with grpc.aio.insecure_channel(service.address) as channel:
            stub, health = scorer_pb2_grpc.ScorerStub(channel), health_pb2_grpc.HealthStub(channel)
            check = health_pb2.HealthCheckRequest(service="movierec.v1.Scorer")
            base = await _timed(lambda i: health.Check(check), n)
            rec = await _timed(lambda i: stub.Recommend(queries[i % len(queries)]), n)
    finally:
        await service.stop()
    rows = [model.rows_of([q.movie_id for q in r.liked]) for r in queries]
    ratings = [np.array([q.rating for q in r.liked], dtype=np.float32) for r in queries]
    compute, cpu = np.empty(n), np.empty(n)
    for i in range(n):
        start, start_cpu = time.perf_counter(), time.thread_time()
        model.recommend(rows[i % 64], ratings[i % 64], 10, model.default_alpha)
        compute[i] = (time.perf_counter() - start) * 1000
        cpu[i] = (time.thread_time() - start_cpu) * 1000  # CPU time: what the call costs without contention
    return {"rpc_p50": float(np.percentile(rec, 50)), "rpc_p99": float(np.percentile(rec, 99)),
            "compute_p99": float(np.percentile(compute, 99)), "cpu_p50": float(np.percentile(cpu, 50)),
            "cpu_p99": float(np.percentile(cpu, 99)), "base_p50": float(np.percentile(base, 50)),
            "base_p99": float(np.percentile(base, 99))}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifact", type=Path, default=Path("artifacts"),
                        help="the 1,682-movie artifact (tuned with bench.ranking.tune); a synthetic one if missing")
    parser.add_argument("--calls", type=int, default=3000)
    args = parser.parse_args(argv)
    limits = {1682: 1.0, 62000: 10.0}  # ML-100K size (1,681 after the trainer drops one) and ML-25M size
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for n_movies, limit in limits.items():
            try:
                art = load_artifact(args.artifact) if n_movies == 1682 else None
            except ArtifactError as e:
                print(f"{args.artifact}: {e}; using a synthetic artifact")
                art = None
            if art is None or abs(len(art.movies) - n_movies) > 10:
                art = load_artifact(synthetic_artifact(Path(tmp) / str(n_movies), n_movies))
            model = HybridModel(art)
            r = asyncio.run(measure(model, args.calls))
            ok &= r["rpc_p99"] <= limit
            print(f"{len(model.movies):>6} movies ({art.version}, graph {model.neighbor_rows is not None}): Recommend RPC "
                  f"p50 {r['rpc_p50']:.3f} ms, p99 {r['rpc_p99']:.3f} ms (limit {limit:g}); model alone p99 "
                  f"{r['compute_p99']:.3f} ms wall, CPU time p50 {r['cpu_p50']:.3f} / p99 {r['cpu_p99']:.3f} ms; "
                  f"baseline health-check RPC p50 {r['base_p50']:.3f} / p99 "
                  f"{r['base_p99']:.3f} ms; ratio p99 / baseline p99 = {r['rpc_p99'] / r['base_p99']:.2f}")
    print(f"within limits: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
