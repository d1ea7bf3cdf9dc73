"""`python -m bench.load`: the load benchmark of the stack against the monolith, ML-100K and 62K catalogs."""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from bench.load.probes import cpu_task_ms
from bench.load.report import markdown
from bench.load.run import Plan, run_catalog
from bench.load.synthetic import N_MOVIES, build_synthetic_artifact
from bench.load.wrk import wrk_binary
from scripts.stack import ROOT

CATALOGS = ("ml100k", "synthetic-62k")


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x.strip())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--catalogs", default=",".join(CATALOGS), help=f"comma-separated, of {', '.join(CATALOGS)}")
    parser.add_argument("--seconds", type=int, default=10, help="length of one stack run (default 10)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="runs of each cell, stack and monolith alternating; tables show medians (default 1)")
    parser.add_argument("--monolith-seconds", type=int, default=10,
                        help="length of one monolith run on ML-100K; doubled on the 62K catalog (default 10)")
    parser.add_argument("--connections", type=_ints, default=(1, 8, 32), help="default 1,8,32")
    parser.add_argument("--large-monolith-connections", type=_ints, default=(1, 8),
                        help="monolith connection counts on the 62K catalog, where one request takes seconds "
                             "(default 1,8)")
    parser.add_argument("--gateway-workers", type=int, default=2,
                        help="GATEWAY_WORKERS of the stack (default 2: one per core of the 2-core machine)")
    parser.add_argument("--profile-seconds", type=int, default=15, help="py-spy profile length, 0 = none (default 15)")
    parser.add_argument("--profile-dir", type=Path, default=Path(__file__).parent / "profiles",
                        help="where profile summaries go (default bench/load/profiles)")
    parser.add_argument("--work-dir", type=Path, default=ROOT / ".cache" / "bench-load",
                        help="artifacts, request bodies, logs and results.json (default .cache/bench-load)")
    return parser


def ml100k_artifact(work_dir: Path) -> Path:
    """Trains an ML-100K artifact with the trainer's CLI unless one is already there."""
    root = work_dir / "ml100k"
    subprocess.run([sys.executable, "-m", "trainer", "train", "--out", str(root), "--if-missing"], cwd=ROOT,
                   check=True, stdout=sys.stderr)
    return root


def _source() -> str:
    """The commit measured, with a note when the tree has uncommitted changes; or the directory."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"source tree {ROOT} (not a git checkout)"
    return f"commit {commit}" + (" with uncommitted changes" if dirty else "")


def _conditions(args: argparse.Namespace) -> str:
    load1, load5, _ = os.getloadavg()
    return (f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {_source()}; {platform.node()}, "
            f"{os.cpu_count()} cores, "
            f"Python {platform.python_version()}; load average {load1:.2f} (1 min) / {load5:.2f} (5 min) at the start; "
            f"{args.seconds} s per stack run, {args.monolith_seconds} s per monolith run "
            f"({2 * args.monolith_seconds} s on 62K); {args.repeats} run(s) of each cell, stack and monolith "
            f"alternating, medians shown; gateway workers {args.gateway_workers}; "
            f"wrk {subprocess.run([wrk_binary(), '-v'], capture_output=True, text=True).stdout.split()[1]}, "
            f"client on the same machine; fixed CPU task (bench.load.probes.cpu_task_ms) {cpu_task_ms():.0f} ms "
            "at the start")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        wrk_binary()
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    catalogs = [c for c in args.catalogs.split(",") if c]
    unknown = set(catalogs) - set(CATALOGS)
    if unknown:
        print(f"error: unknown catalogs {sorted(unknown)}; choose from {', '.join(CATALOGS)}", file=sys.stderr)
        return 2
    conditions = _conditions(args)
    results = []
    for name in catalogs:
        if name == "ml100k":
            plan = Plan(name, ml100k_artifact(args.work_dir), args.work_dir / "run-ml100k",
                        connections=args.connections, monolith_connections=args.connections,
                        monolith_seconds=args.monolith_seconds)
        else:
            artifact = build_synthetic_artifact(args.work_dir / f"synthetic-{N_MOVIES}")
            plan = Plan(name, artifact, args.work_dir / "run-synthetic-62k", connections=args.connections,
                        monolith_connections=args.large_monolith_connections,
                        monolith_seconds=2 * args.monolith_seconds)
        plan = dataclasses.replace(plan, seconds=args.seconds, repeats=args.repeats,
                                   gateway_workers=args.gateway_workers, profile_seconds=args.profile_seconds,
                                   profile_dir=args.profile_dir)
        results.append(run_catalog(plan))
    conditions += f", {cpu_task_ms():.0f} ms at the end"
    out = args.work_dir / "results.json"
    out.write_text(json.dumps({"conditions": conditions, "catalogs": [dataclasses.asdict(r) for r in results]},
                              indent=2), encoding="utf-8")
    print(markdown(results, conditions))
    print(f"(raw figures in {out})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
