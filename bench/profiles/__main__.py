"""Account load through the gateway: PUT /me/ratings (writes) and GET /me/recommendations at 8 connections.

Recommendations are measured twice: `recommendations` asks for each account's list again and again with
nothing changed in between (a reload, another tab: after its first request an account's answer comes from
the gateway's Redis cache), and `recs-changed` asks with an option that differs from the account's
previous request (top_k 10 and 11 in turn), so the cached answer never fits and the scorer ranks every
request, as it does for the first request after a rating. Each run prints the share of cache hits it had.

`python -m bench.profiles` starts Redis, matcher, scorer, profiles and gateway on an ML-100K artifact
(trained once into .cache/bench-profiles), once per database (a SQLite file, then a private PostgreSQL
from Debian's binaries), signs up accounts over gRPC, and drives each endpoint with wrk for a few seconds.
Each run prints its throughput and latency, the CPU milliseconds each process spent per request (a figure
that depends little on how busy the machine is) and the load average.
`--baseline COMMIT` runs a second stack from that commit's services beside this tree's (each with its own
database), alternating runs round after round so both see the same background load; the medians and
the ratios B/A are the figures to quote.
Targets (issue 16): writes >= 1,000/s with p99 <= 20 ms on PostgreSQL; /me/recommendations p99 <= 25 ms.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from bench.load.__main__ import ml100k_artifact
from bench.load.probes import cpu_seconds, cpu_task_ms
from bench.load.wrk import run_wrk
from bench.matcher.cpu import export, tree_label
from scripts.stack import ROOT, Stack
from services.client import ProfilesClient
from testing.postgres import PostgresServer

N_MOVIES = 1682  # ML-100K's movie ids are 1..1682
SEED_RATINGS = 20  # each account's stored ratings before the recommendation run
KINDS = ("writes", "recommendations", "recs-changed")


async def sign_up(address: str, accounts: int) -> list[str]:
    """Session tokens of `accounts` new accounts with SEED_RATINGS ratings each (sign-ups over gRPC: no HTTP limit)."""
    async with ProfilesClient(address, timeout=30) as profiles:
        tokens = []
        for a in range(accounts):
            seeded = [(1 + (a * 37 + i * 101) % N_MOVIES, 0.5 * (1 + (a + i) % 10)) for i in range(SEED_RATINGS)]
            session = await profiles.sign_up(f"bench{a}-{secrets.token_hex(3)}", "benchmark-password", seeded)
            tokens.append(session.token)
    return tokens


def request_lines(tokens: list[str], kind: str, n: int) -> list[str]:
    """wrk lines (bench/load/bodies.lua's request format): PUT rating i of account i % len(tokens), or GET its
    recommendations (recs-changed: top_k alternating between an account's consecutive requests)."""
    lines = []
    for i in range(n):
        token, csrf = tokens[i % len(tokens)], "bench-csrf"
        cookie = f"movierec_session={token}; movierec_csrf={csrf}"
        if kind == "writes":
            movie, rating = 1 + (i * 7919) % N_MOVIES, 0.5 * (1 + i % 10)
            lines.append(f"PUT\t/me/ratings/{movie}\t{cookie}\t{csrf}\t{json.dumps({'rating': rating})}")
        else:
            top_k = 10 + (i // len(tokens)) % 2 if kind == "recs-changed" else 10
            lines.append(f"GET\t/me/recommendations?top_k={top_k}\t{cookie}\t\t")
    return lines


@dataclass
class Side:
    """One running stack (its own database) and the wrk request files of its accounts."""

    label: str
    stack: Stack
    postgres: PostgresServer | None
    requests: dict[str, Path]

    def pids(self) -> dict[str, int]:
        found = {p.name: p.popen.pid for p in self.stack.processes}
        if self.postgres and self.postgres.proc:  # runuser's pid: cpu_seconds counts its descendants
            found["postgres"] = self.postgres.proc.pid
        return found

    def stop(self) -> None:
        self.stack.stop()
        if self.postgres:
            self.postgres.stop()


def start_side(label: str, database: str, code_root: Path, artifact: Path, work: Path, accounts: int) -> Side:
    work.mkdir(parents=True, exist_ok=True)
    postgres = PostgresServer().start() if database == "postgresql" else None
    url = postgres.new_database("bench") if postgres else f"sqlite:///{work / 'profiles.sqlite3'}"
    side = Side(label, Stack(artifact_dir=artifact, log_dir=work, database_url=url, code_root=code_root), postgres, {})
    try:
        side.stack.start_all()
        tokens = asyncio.run(sign_up(side.stack.profiles_address, accounts))
    except BaseException:
        side.stop()
        raise
    for kind in KINDS:
        side.requests[kind] = work / f"{kind}.tsv"
        side.requests[kind].write_text("\n".join(request_lines(tokens, kind, 200_000)) + "\n")
    return side


def cache_lookups(gateway_url: str) -> dict[str, float]:
    """The gateway's movierec_cache_lookups_total by result (hit, miss, unavailable), from /metrics."""
    found: dict[str, float] = {}
    with urllib.request.urlopen(f"{gateway_url}/metrics", timeout=10) as reply:
        for family in text_string_to_metric_families(reply.read().decode()):
            if family.name == "movierec_cache_lookups":
                for sample in family.samples:
                    if sample.name.endswith("_total"):
                        found[sample.labels["result"]] = found.get(sample.labels["result"], 0.0) + sample.value
    return found


def measure(side: Side, database: str, kind: str, connections: int, seconds: int) -> dict:
    """One wrk run, with the CPU ms each process spent per completed request, the share of cache hits and
    the load average."""
    pids = side.pids()
    lookups = cache_lookups(side.stack.gateway_url)
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    result = run_wrk(side.stack.gateway_url, side.requests[kind], connections, seconds)
    done = max(result.requests, 1)
    cpu = {name: round(1000 * (cpu_seconds(pid) - before[name]) / done, 3) for name, pid in pids.items()}
    after = cache_lookups(side.stack.gateway_url)
    counted = {k: after.get(k, 0.0) - lookups.get(k, 0.0) for k in after}
    hits = round(counted.get("hit", 0.0) / max(sum(counted.values()), 1.0), 3)
    return {"side": side.label, "database": database, "endpoint": kind, **result.to_dict(),
            "cpu_ms_per_request": cpu, "cpu_ms_total": round(sum(cpu.values()), 3), "cache_hit_share": hits,
            "load_average_1m": round(os.getloadavg()[0], 2)}


def run_database(database: str, code: dict[str, Path], artifact: Path, args: argparse.Namespace,
                 work: Path) -> list[dict]:
    """Every side's stack on `database`; rounds of runs per endpoint, the sides' order alternating."""
    sides: list[Side] = []
    rows = []
    try:
        for n, (label, root) in enumerate(code.items()):
            sides.append(start_side(label, database, root, artifact, work / f"side-{n}", args.accounts))
        for kind in args.endpoints.split(","):
            for side in sides:  # warm-up: channels, pools, lazily imported code
                run_wrk(side.stack.gateway_url, side.requests[kind], args.connections, 2)
            for r in range(args.rounds):
                for side in sides if r % 2 == 0 else sides[::-1]:
                    rows.append(measure(side, database, kind, args.connections, args.seconds))
                    print(json.dumps(rows[-1]), flush=True)
    finally:
        for side in sides:
            side.stop()
    return rows


def summary(rows: list[dict]) -> list[str]:
    """Medians per side, database and endpoint, and the ratios B/A when there are two sides."""
    groups: dict[tuple[str, str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["database"], r["endpoint"], r["side"]), []).append(r)
    lines = [f"{'database':<11} {'endpoint':<16} {'side':<20} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
             f"{'CPU ms/req':>10} {'hits':>5} {'load':>5} {'errors':>6}  CPU ms/req by process"]
    medians = {}
    for (database, endpoint, side), runs in groups.items():
        m = {k: statistics.median(run[k] for run in runs)
             for k in ("throughput", "p50_ms", "p99_ms", "cpu_ms_total", "load_average_1m")}
        m["cache_hit_share"] = statistics.median(run.get("cache_hit_share", 0.0) for run in runs)
        medians[(database, endpoint, side)] = m
        by_process = {name: statistics.median(run["cpu_ms_per_request"][name] for run in runs)
                      for name in runs[0]["cpu_ms_per_request"]}
        errors = sum(sum(run["errors"].values()) for run in runs)
        lines.append(f"{database:<11} {endpoint:<16} {side:<20} {m['throughput']:>7.0f} {m['p50_ms']:>7.1f} "
                     f"{m['p99_ms']:>7.1f} {m['cpu_ms_total']:>10.2f} {m['cache_hit_share']:>5.2f} "
                     f"{m['load_average_1m']:>5.1f} {errors:>6}  " +
                     " ".join(f"{k} {v:.2f}" for k, v in by_process.items() if v >= 0.005))
    sides = list(dict.fromkeys(r["side"] for r in rows))
    if len(sides) == 2:
        for database, endpoint in dict.fromkeys((r["database"], r["endpoint"]) for r in rows):
            a, b = (medians[(database, endpoint, s)] for s in sides)
            lines.append(f"B/A {database} {endpoint}: throughput {b['throughput'] / a['throughput']:.2f}x, "
                         f"p99 {b['p99_ms'] / a['p99_ms']:.2f}x, CPU per request "
                         f"{b['cpu_ms_total'] / a['cpu_ms_total']:.2f}x")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profiles", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--endpoints", default=",".join(KINDS), help=f"comma-separated: {', '.join(KINDS)}")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1, help="runs of each side per endpoint (medians of them)")
    parser.add_argument("--baseline", help="commit of side A, run beside this tree (side B), alternating")
    parser.add_argument("--accounts", type=int, default=64)
    parser.add_argument("--gateway-workers", type=int, default=2, help="GATEWAY_WORKERS (the machine has 2 cores)")
    parser.add_argument("--artifact-dir", type=Path, default=None, help="an artifact root to serve (default: ML-100K)")
    args = parser.parse_args(argv)
    if unknown := set(args.endpoints.split(",")) - set(KINDS):
        parser.error(f"unknown endpoints {sorted(unknown)}: choose from {', '.join(KINDS)}")
    os.environ["GATEWAY_WORKERS"] = str(args.gateway_workers)
    os.environ["GATEWAY_LOGIN_PER_MINUTE_PER_CLIENT"] = "100000"
    cache = ROOT / ".cache" / "bench-profiles"
    cache.mkdir(parents=True, exist_ok=True)
    artifact = args.artifact_dir or ml100k_artifact(cache)
    speed = [cpu_task_ms()]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-profiles-") as tmp:
        code = {f"B {tree_label()}": ROOT}
        if args.baseline:
            code = {f"A {args.baseline}": export(args.baseline, Path(tmp) / "baseline"), **code}
        for database in args.databases.split(","):
            rows += run_database(database.strip(), code, artifact, args, Path(tmp) / database.strip())
    speed.append(cpu_task_ms())
    print(f"\n{args.connections} connections, {args.seconds} s per run, medians of {args.rounds} run(s); "
          f"fixed CPU task {speed[0]:.0f} ms before, {speed[1]:.0f} ms after (bench/load/probes.cpu_task_ms)")
    print("\n".join(summary(rows)))
    return 1 if any(sum(r["errors"].values()) for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
