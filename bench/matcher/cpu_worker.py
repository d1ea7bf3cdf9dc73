"""One matcher build in its own process: `python bench/matcher/cpu_worker.py CODE_ROOT ARTIFACT`.

Run by cpu.py (not by hand). Imports `services.matcher` from CODE_ROOT (this checkout, or an export
of an older commit), builds the servicer from ARTIFACT's catalog, then answers JSON commands on
stdin, one per line, with one JSON line on stdout:

    {"cmd": "pass", "requests": [[title, ...], ...]}  -> CPU and wall seconds of one pass of Resolve
    {"cmd": "answers", "requests": [...]}             -> every resolution, to compare builds

Each request is what the gRPC server does for one Resolve: parse the request bytes, run the
servicer's handler, serialise the reply (the network and grpc's C core are left out).
"""
from __future__ import annotations

import json
import sys
import time


def _rss_mib() -> dict[str, float]:
    """VmRSS and VmHWM (peak) of this process, MiB."""
    out = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                out[name] = round(int(value.split()[0]) / 1024, 1)
    return out


def _run(coroutine):
    """The value of a coroutine that never suspends (Resolve awaits only when it aborts)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise RuntimeError("the handler suspended; it should not on valid input")


def main() -> None:
    code_root, artifact = sys.argv[1], sys.argv[2]
    sys.path.insert(0, code_root)
    started, cpu_started = time.perf_counter(), time.process_time()
    from movierec.v1 import matcher_pb2
    from services.matcher.__main__ import build_index
    from services.matcher.server import MatcherServicer
    version, (index, _) = build_index(artifact)
    servicer = MatcherServicer(index, version)
    ready = {"startup_s": round(time.perf_counter() - started, 3),
             "startup_cpu_s": round(time.process_time() - cpu_started, 3), **_rss_mib()}
    print(json.dumps(ready), flush=True)

    def resolve(queries: list[str]) -> bytes:
        wire = matcher_pb2.ResolveRequest(queries=queries, max_alternatives=3).SerializeToString()
        reply = _run(servicer.Resolve(matcher_pb2.ResolveRequest.FromString(wire), None))
        return reply.SerializeToString()

    for line in sys.stdin:
        command = json.loads(line)
        if command["cmd"] == "pass":
            wall, cpu = time.perf_counter(), time.process_time()
            for queries in command["requests"]:
                resolve(queries)
            out = {"cpu_s": time.process_time() - cpu, "wall_s": time.perf_counter() - wall, **_rss_mib()}
        elif command["cmd"] == "answers":
            answers = []
            for queries in command["requests"]:
                reply = matcher_pb2.ResolveResponse.FromString(resolve(queries))
                answers += [[r.best.movie.movie_id if r.matched else None, round(r.best.confidence, 4),
                             [[a.movie.movie_id, round(a.confidence, 4)] for a in r.alternatives]]
                            for r in reply.results]
            out = {"answers": answers}
        else:
            raise ValueError(f"unknown command {command['cmd']!r}")
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
