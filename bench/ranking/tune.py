"""`python -m bench.ranking.tune --artifacts DIR`: add the tuned item graph and blend to the latest artifact.

Chooses the blend on validation users (the held-out-user protocol, several seeds, on the training
data), builds the item graph from all ratings, and writes a new artifact version = the current
one + `neighbor_rows`/`neighbor_weights` + the chosen weights in manifest["serving"]; LATEST then
names it, so running services reload it by themselves.
"""
from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.ranking.tuning import Blend, build_graph, tune
from services.common.artifact import MODEL_ARRAYS, ArtifactError, load_artifact, write_artifact
from trainer.movielens import load_movielens
from trainer.model import params_from_manifest, warm_up_model

COMMAND = "python -m bench.ranking.tune"


def choose(runs: list[list[Blend]]) -> Blend:
    """The blend with the highest validation score averaged over the seeds (each run: every blend tried)."""
    totals: dict[tuple, list[float]] = {}
    for tried in runs:
        for b in tried:
            totals.setdefault((b.lam, b.cosine_share, b.mf, b.popularity, b.alpha), []).append(b.validation)
    key, scores = max(totals.items(), key=lambda item: np.mean(item[1]))
    return Blend(*key, validation=float(np.mean(scores)))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=Path, default=Path("artifacts"), help="artifact root (with LATEST)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--if-missing", action="store_true",
                        help="do nothing when the latest artifact already carries a tuned item graph")
    args = parser.parse_args(argv)
    base = load_artifact(args.artifacts)
    if args.if_missing and "neighbor_rows" in base.arrays:
        print(f"{base.version} already has a tuned item graph; nothing to do")
        return 0
    dataset = load_movielens()
    if base.manifest.get("dataset", {}).get("sha256") != dataset.sha256:
        raise ArtifactError(f"{base.path} was not trained on {dataset.name} as found in the cache; "
                            "tune an artifact the trainer built from the same data")
    if not np.array_equal(base.arrays["item_ids"], dataset.item_ids()):
        raise ArtifactError(f"{base.path}: item ids differ from the dataset's")
    params = params_from_manifest(base.manifest.get("params", {}))  # validate with the artifact's own model
    warm_up_model(params)
    users, items = dataset.indices()
    genres = dataset.genre_matrix()
    runs = []
    for seed in args.seeds:
        best, _, tried = tune(users, items, dataset.rating, len(dataset.user_ids()), genres, params, seed)
        print(f"seed {seed}: best on its own {best}")
        runs.append(tried)
    blend = choose(runs)
    neighbor_rows, neighbor_weights = build_graph(users, items, len(dataset.user_ids()), len(dataset.movies), blend)
    arrays = {name: base.arrays[name] for name in MODEL_ARRAYS}
    arrays.update(neighbor_rows=neighbor_rows, neighbor_weights=neighbor_weights)
    manifest = {k: v for k, v in base.manifest.items() if k not in ("format", "version", "files")}
    manifest["serving"] = {**manifest.get("serving", {}), **blend.serving(),
                           "tuned_by": f"{COMMAND} --seeds {' '.join(map(str, args.seeds))}",
                           "tuned_from": base.version}
    digest = hashlib.sha256(json.dumps(manifest["serving"], sort_keys=True).encode()).hexdigest()[:8]
    path = write_artifact(args.artifacts, f"{base.version}-ranked-{digest}", arrays, base.genre_matrix,
                          list(base.genre_names), list(base.movies), manifest)
    print(f"wrote {path} (LATEST now names it): {json.dumps(blend.serving())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
