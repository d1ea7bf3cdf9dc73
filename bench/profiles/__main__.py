"""Account load through the gateway: PUT /me/ratings (writes) and GET /me/recommendations at 8 connections.

`python -m bench.profiles` starts Redis, matcher, scorer, profiles and gateway on an ML-100K artifact
(trained once into .cache/bench-profiles), once per database (a SQLite file, then a private PostgreSQL
from Debian's binaries), signs up accounts over gRPC, and drives each endpoint with wrk for a few seconds.
Targets (issue 16): writes >= 1,000/s with p99 <= 20 ms on PostgreSQL; /me/recommendations p99 <= 25 ms.
Figures from a shared, loaded 2-core machine are noisy: compare runs made side by side.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import tempfile
from pathlib import Path

from bench.load.__main__ import ml100k_artifact
from bench.load.wrk import run_wrk
from scripts.stack import ROOT, Stack
from services.client import ProfilesClient
from testing.postgres import PostgresServer

N_MOVIES = 1682  # ML-100K's movie ids are 1..1682
SEED_RATINGS = 20  # each account's stored ratings before the recommendation run


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
    recommendations."""
    lines = []
    for i in range(n):
        token, csrf = tokens[i % len(tokens)], "bench-csrf"
        cookie = f"movierec_session={token}; movierec_csrf={csrf}"
        if kind == "writes":
            movie, rating = 1 + (i * 7919) % N_MOVIES, 0.5 * (1 + i % 10)
            lines.append(f"PUT\t/me/ratings/{movie}\t{cookie}\t{csrf}\t{json.dumps({'rating': rating})}")
        else:
            lines.append(f"GET\t/me/recommendations?top_k=10\t{cookie}\t\t")
    return lines


def run_one(database: str, artifact: Path, args: argparse.Namespace, work: Path) -> list[dict]:
    postgres = PostgresServer().start() if database == "postgresql" else None
    url = postgres.new_database("bench") if postgres else f"sqlite:///{work / 'profiles.sqlite3'}"
    stack = Stack(artifact_dir=artifact, log_dir=work, database_url=url)
    results = []
    try:
        stack.start_all()
        tokens = asyncio.run(sign_up(stack.profiles_address, args.accounts))
        for kind in ("writes", "recommendations"):
            path = work / f"{kind}.tsv"
            path.write_text("\n".join(request_lines(tokens, kind, 200_000)) + "\n")
            run_wrk(stack.gateway_url, path, args.connections, 2)  # warm-up
            result = run_wrk(stack.gateway_url, path, args.connections, args.seconds)
            results.append({"database": database, "endpoint": kind, **result.to_dict()})
            print(json.dumps(results[-1]), flush=True)
    finally:
        stack.stop()
        if postgres:
            postgres.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profiles", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--accounts", type=int, default=64)
    parser.add_argument("--gateway-workers", type=int, default=2, help="GATEWAY_WORKERS (the machine has 2 cores)")
    parser.add_argument("--artifact-dir", type=Path, default=None, help="an artifact root to serve (default: ML-100K)")
    args = parser.parse_args(argv)
    os.environ["GATEWAY_WORKERS"] = str(args.gateway_workers)
    os.environ["GATEWAY_LOGIN_PER_MINUTE_PER_CLIENT"] = "100000"
    cache = ROOT / ".cache" / "bench-profiles"
    cache.mkdir(parents=True, exist_ok=True)
    artifact = args.artifact_dir or ml100k_artifact(cache)
    rows = []
    for database in args.databases.split(","):
        with tempfile.TemporaryDirectory(prefix=f"bench-profiles-{database}-") as work:
            rows += run_one(database.strip(), artifact, args, Path(work))
    print(f"\n{'database':<11} {'endpoint':<16} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6}")
    for r in rows:
        errors = sum(r["errors"].values())
        print(f"{r['database']:<11} {r['endpoint']:<16} {r['throughput']:>8.0f} {r['p50_ms']:>7.1f} "
              f"{r['p99_ms']:>7.1f} {errors:>6}")
    return 1 if any(sum(r["errors"].values()) for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
