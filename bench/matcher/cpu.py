"""`python -m bench.matcher.cpu`: matcher CPU per Resolve request on bench/load's workload, against a baseline commit.

Both builds run as worker processes (cpu_worker.py) side by side, each with its own index; passes over
the same request bodies alternate between them, so both see the same background load on a shared
machine, and the per-pass ratio is the figure to quote. The bodies are bench/load's uncached mix
(1 to 10 titles each: catalog spelling, with year, spoken, spoken with a typo), the catalogs are
ML-100K (the trainer's artifact) and bench/load's 62,000-movie synthetic artifact. Every answer of
both builds is compared too (best movie, confidence, alternatives).
"""
from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import numpy as np

from bench.load.profiling import SAMPLE_RATE, py_spy_binary, read_collapsed, summarize
from bench.load.synthetic import build_synthetic_artifact
from bench.load.workload import recommend_bodies
from movierec.artifact import load_catalog
from scripts.stack import ROOT

WORKER = Path(__file__).with_name("cpu_worker.py")
CATALOGS = ("ml100k", "synthetic-62k")


def artifact(name: str, work_dir: Path) -> Path:
    """The artifact root of a catalog, made once under work_dir (the trainer's CLI, or bench/load's generator)."""
    root = work_dir / name
    if name == "ml100k":
        subprocess.run([sys.executable, "-m", "trainer", "train", "--out", str(root), "--if-missing"], cwd=ROOT,
                       check=True, stdout=sys.stderr)
        return root
    return build_synthetic_artifact(root)


def tree_label() -> str:
    """The commit of this tree, marked when tracked files under services/ differ from it."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "services"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return head.strip() + ("+changes" if dirty else "")


def export(commit: str, into: Path) -> Path:
    """The services/ and movierec/ trees of a commit, unpacked under `into` (the working tree is not touched)."""
    archive = subprocess.run(["git", "archive", "--format=tar", commit, "services", "movierec"], cwd=ROOT,
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


class Worker:
    """A cpu_worker.py process serving one build; `ask` sends a command and returns its JSON reply."""

    def __init__(self, name: str, code_root: Path, artifact_root: Path) -> None:
        self.name = name
        self.proc = subprocess.Popen([sys.executable, str(WORKER), str(code_root), str(artifact_root)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=code_root)
        self.ready = json.loads(self.proc.stdout.readline() or "null")
        if self.ready is None:
            raise RuntimeError(f"{name} worker exited during start-up (exit code {self.proc.wait()})")

    def ask(self, command: dict) -> dict:
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def compare(a: list, b: list) -> dict[str, int]:
    """How many resolutions differ between two builds, by what."""
    return {"titles": len(a),
            "best differs": sum(x[0] != y[0] for x, y in zip(a, b)),
            "confidence differs": sum(x[0] == y[0] and x[1] != y[1] for x, y in zip(a, b)),
            "alternatives differ (matched)": sum(x[0] is not None and x[2] != y[2] for x, y in zip(a, b)),
            "alternatives differ (unmatched)": sum(x[0] is None and x[2] != y[2] for x, y in zip(a, b))}


def profile(worker: Worker, bodies: list[list[str]], out: Path, seconds: float = 8.0) -> None:
    """More passes under `py-spy record` (after the measured ones, which it would slow), for at least
    `seconds` so that a fast build gets as many samples as a slow one; self and inclusive time per
    function written to `out`."""
    raw = out.with_suffix(".raw")
    spy = subprocess.Popen([py_spy_binary(), "record", "--pid", str(worker.proc.pid), "--rate", str(SAMPLE_RATE),
                            "--format", "raw", "--output", str(raw), "--nonblocking"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # py-spy attaches
    started, passes = time.monotonic(), 0
    while passes == 0 or time.monotonic() - started < seconds:
        worker.ask({"cmd": "pass", "requests": bodies})
        passes += 1
    spy.send_signal(signal.SIGINT)  # py-spy writes what it has on SIGINT
    spy.wait(timeout=60)
    runs = f"{passes} pass{'es' if passes > 1 else ''} of {len(bodies)} Resolve requests"
    out.write_text(f"{worker.name}, {runs} (bench/load's uncached mix)\n\n" + summarize(read_collapsed(raw)))
    raw.unlink()


def measure(name: str, root: Path, builds: dict[str, Path], requests: int, passes: int, seed: int,
            profile_dir: Path | None = None) -> dict:
    movies = load_catalog(root)[1]
    bodies = [b["movies"] for b in recommend_bodies(movies, requests, seed, unique=True)]
    workers = {}
    try:
        for build, code_root in builds.items():  # one at a time, so start-up times are not shared
            workers[build] = Worker(build, code_root, root)
        for worker in workers.values():  # caches warm, lazy imports done, before the clock
            worker.ask({"cmd": "pass", "requests": bodies[:50]})
        cpu = {build: [] for build in workers}
        for _ in range(passes):
            for build, worker in workers.items():
                cpu[build].append(worker.ask({"cmd": "pass", "requests": bodies})["cpu_s"])
        answers = {build: w.ask({"cmd": "answers", "requests": bodies})["answers"] for build, w in workers.items()}
        if profile_dir is not None:
            profile_dir.mkdir(parents=True, exist_ok=True)
            for build, worker in workers.items():
                profile(worker, bodies, profile_dir / f"{build.replace(' ', '-')}-{name}.txt")
        after = {build: w.ask({"cmd": "pass", "requests": bodies[:1]}) for build, w in workers.items()}
    finally:
        for worker in workers.values():
            worker.close()
    titles = sum(len(b) for b in bodies)
    result = {"catalog": name, "movies": len(movies), "requests": len(bodies), "titles": titles, "builds": {}}
    for build, times in cpu.items():
        us = np.asarray(times) * 1e6 / len(bodies)
        result["builds"][build] = {"cpu_us_per_request_best": round(float(us.min()), 1),
                                   "cpu_us_per_request_median": round(float(np.median(us)), 1),
                                   "passes_us": [round(float(x), 1) for x in us],
                                   "startup_s": workers[build].ready["startup_s"],
                                   "rss_after_start_mib": workers[build].ready["VmRSS"],
                                   "rss_peak_mib": after[build]["VmHWM"]}
    names = list(cpu)
    if len(names) == 2:
        ratios = np.asarray(cpu[names[0]]) / np.asarray(cpu[names[1]])  # per pass pair: same background
        result["ratio"] = {"of": f"{names[0]} / {names[1]}", "median": round(float(np.median(ratios)), 2),
                           "per_pass": [round(float(r), 2) for r in ratios]}
        result["agreement"] = compare(answers[names[0]], answers[names[1]])
    return result


def markdown(results: list[dict]) -> str:
    lines = ["| catalog | build | CPU µs / request (best pass) | median pass | start-up s | RSS after start MiB "
             "| peak RSS MiB |", "|---|---|---:|---:|---:|---:|---:|"]
    for r in results:
        for build, b in r["builds"].items():
            lines.append(f"| {r['catalog']} ({r['movies']:,} movies) | {build} | {b['cpu_us_per_request_best']:,.0f} "
                         f"| {b['cpu_us_per_request_median']:,.0f} | {b['startup_s']:.2f} "
                         f"| {b['rss_after_start_mib']:.0f} | {b['rss_peak_mib']:.0f} |")
    for r in results:
        if "ratio" in r:
            lines.append(f"\n{r['catalog']}: {r['requests']} requests, {r['titles']} titles per pass; "
                         f"{r['ratio']['of']} per pass pair: median **{r['ratio']['median']}×** "
                         f"{r['ratio']['per_pass']}; answers: {r['agreement']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matcher.cpu", description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=None, help="commit to compare with (e.g. 3298f19); none: this tree only")
    parser.add_argument("--catalogs", default=",".join(CATALOGS), help=f"comma-separated, of {', '.join(CATALOGS)}")
    parser.add_argument("--requests", type=int, default=1000, help="request bodies per pass (default 1000)")
    parser.add_argument("--passes", type=int, default=3, help="passes per build (default 3)")
    parser.add_argument("--seed", type=int, default=8, help="workload seed (bench/load's is 8)")
    parser.add_argument("--work-dir", type=Path, default=ROOT / ".cache" / "bench-matcher", help="artifacts go here")
    parser.add_argument("--json", type=Path, default=None, help="also write the raw figures here")
    parser.add_argument("--profile-dir", type=Path, default=None,
                        help="also profile one more pass of each build with py-spy, summaries written here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="matcher-baseline-") as tmp:
        builds = {f"this tree {tree_label()}": ROOT}
        if args.baseline:
            builds = {f"baseline {args.baseline}": export(args.baseline, Path(tmp)), **builds}
        results = []
        for name in args.catalogs.split(","):
            if name not in CATALOGS:
                parser.error(f"unknown catalog {name!r}; use {', '.join(CATALOGS)}")
            results.append(measure(name, artifact(name, args.work_dir), builds, args.requests, args.passes, args.seed,
                                   args.profile_dir))
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    print(markdown(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
