"""The client side of `python -m bench.ranking.latency`: sequential calls from a process of its own, sync stub.

`python -m bench.ranking.latency_client ADDRESS REQUESTS.json CALLS` prints one JSON object:
per-call latencies in ms of CALLS gRPC health Checks, then of CALLS Recommend calls (cycling over
the requests), each after 100 warm-up calls. This is how another service calls the scorer: its own
process, a blocking stub, one long-lived channel.
"""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from movierec.v1 import scorer_pb2, scorer_pb2_grpc

WARM_UP = 100


def _timed(call: Callable[[int], object], n: int) -> list[float]:
    for i in range(WARM_UP):
        call(i)
    out = []
    for i in range(n):
        start = time.perf_counter()
        call(i)
        out.append((time.perf_counter() - start) * 1000)
    return out


def main(argv: list[str]) -> int:
    address, path, calls = argv[0], argv[1], int(argv[2])
    requests = [scorer_pb2.RecommendRequest(liked=[scorer_pb2.LikedMovie(movie_id=m, rating=r) for m, r in q],
                                            top_k=10) for q in json.loads(open(path).read())]
    with grpc.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        stub = scorer_pb2_grpc.ScorerStub(channel)
        check = health_pb2.HealthCheckRequest(service="movierec.v1.Scorer")
        base = _timed(lambda i: health.Check(check, timeout=5), calls)
        rec = _timed(lambda i: stub.Recommend(requests[i % len(requests)], timeout=5), calls)
    print(json.dumps({"health": base, "recommend": rec}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
