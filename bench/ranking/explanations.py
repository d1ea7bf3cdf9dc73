"""`python -m bench.ranking.explanations`: what the cards' "because you liked" say, this tree against a commit.

Requests like bench/load's (2 to 6 distinct movies, drawn by popularity, all liked), top 10 at the
model's default alpha, on the ML-100K artifact (the trainer's). Each build answers the same requests
in its own process (the baseline from a `git archive` of its services/ and movierec/); reported per
build: inputs named per card, cards naming every input, requests whose cards all name the same
inputs in the same order, and (this tree) what carried the cards.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np

from bench.matcher.cpu import artifact, export
from scripts.stack import ROOT

# Run in the build's own tree: reads [[movie ids]] on stdin, prints per request per card
# {"named": [input ids], "driver": str or null}. Old builds have no drivers.
WORKER = """
import json, sys
import numpy as np
try:
    from movierec.artifact import load_artifact
except ImportError:
    from services.common.artifact import load_artifact
from services.scorer.model import HybridModel
model = HybridModel(load_artifact(sys.argv[1]))
out = []
for ids in json.load(sys.stdin):
    rows = model.rows_of(ids)
    ranked = model.recommend(rows, np.full(len(rows), 5.0, dtype=np.float32), 10, model.default_alpha)
    drivers = getattr(ranked, "drivers", ()) or (None,) * len(ranked.rows)
    out.append([{"named": [model.movies[r].movie_id for r, _ in why], "driver": d}
                for why, d in zip(ranked.reasons, drivers)])
print(json.dumps(out))
"""


def requests(movie_ids: list[int], n_ratings: np.ndarray, n: int, seed: int) -> list[list[int]]:
    """n lists of 2-6 distinct movie ids, drawn in proportion to their number of ratings."""
    rng = np.random.default_rng(seed)
    p = n_ratings / n_ratings.sum()
    return [rng.choice(movie_ids, int(rng.integers(2, 7)), replace=False, p=p).tolist() for _ in range(n)]


def answer(code_root: Path, artifact_root: Path, bodies: list[list[int]]) -> list:
    env = {**os.environ, "PYTHONPATH": str(code_root)}
    done = subprocess.run([sys.executable, "-c", WORKER, str(artifact_root)], input=json.dumps(bodies), env=env,
                          capture_output=True, text=True, check=True, cwd=code_root)
    return json.loads(done.stdout)


def summary(bodies: list[list[int]], answers: list) -> dict:
    cards = [(ids, card) for ids, reply in zip(bodies, answers) for card in reply]
    named = [len(card["named"]) for _, card in cards]
    every = sum(set(card["named"]) == set(ids) for ids, card in cards)
    same = sum(len({tuple(c["named"]) for c in reply}) == 1 and bool(reply[0]["named"]) for reply in answers)
    drivers = Counter(card["driver"] for _, card in cards)
    return {"cards": len(cards), "named per card": round(float(np.mean(named)), 2),
            "cards naming no input": sum(n == 0 for n in named),
            "cards naming every input": every, "requests with the same names on every card": same,
            "drivers": {str(k): v for k, v in drivers.most_common()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=None, help="commit to compare with (e.g. 7d2e0e9)")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--work-dir", type=Path, default=ROOT / ".cache" / "bench-matcher", help="artifacts go here")
    args = parser.parse_args()
    root = artifact("ml100k", args.work_dir)
    from movierec.artifact import load_catalog
    movies = load_catalog(root)[1]
    bodies = requests([m.movie_id for m in movies], np.array([m.n_ratings for m in movies], dtype=np.float64),
                      args.requests, args.seed)
    builds = {"this tree": ROOT}
    with tempfile.TemporaryDirectory() as tmp:
        if args.baseline:
            builds[f"baseline {args.baseline}"] = export(args.baseline, Path(tmp))
        for name, code_root in builds.items():
            print(name, json.dumps(summary(bodies, answer(code_root, root, bodies))))


if __name__ == "__main__":
    main()
