"""The tiny test artifact plus a known item graph and tuned serving weights (real files, real checksums)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from services.common.artifact import MODEL_ARRAYS, load_artifact, write_artifact
from tests.artifact_factory import build_tiny_artifact
from trainer import item_graph

SERVING = {"default_alpha": 0.8, "weights": {"graph": 1.0, "mf": 0.2, "popularity": 0.3},
           "foldin_reg": 0.1, "rating_min": 1.0, "rating_max": 5.0}


def graph_arrays(n_items: int, neighbors: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A pruned RP3beta graph from random ratings of 30 users: rows (I, N) int32, weights (I, N) float32."""
    rng = np.random.default_rng(seed)
    users, items = np.nonzero(rng.random((30, n_items)) < 0.4)
    ratings = rng.choice([2.0, 4.0, 5.0], len(users)).astype(np.float32)
    inter = item_graph.interactions(users.astype(np.int32), items.astype(np.int32), ratings, 30, n_items, 0.5)
    return item_graph.build_graph(inter, 0.5, 0.3, neighbors)


def build_graph_artifact(root: Path, version: str = "v-graph-1", neighbors: int = 5, seed: int = 0,
                         serving: dict | None = None) -> Path:
    """Writes the tiny artifact (under a scratch root) again under root/version with a graph."""
    scratch = root / ".scratch"
    base = load_artifact(build_tiny_artifact(scratch, version=f"base-{version}", seed=seed))
    arrays = {name: base.arrays[name] for name in MODEL_ARRAYS}
    arrays["neighbor_rows"], arrays["neighbor_weights"] = graph_arrays(len(base.movies), neighbors, seed)
    manifest = {k: v for k, v in base.manifest.items() if k not in ("format", "version", "files")}
    manifest["serving"] = dict(SERVING if serving is None else serving)
    return write_artifact(root, version, arrays, base.genre_matrix, list(base.genre_names), list(base.movies),
                          manifest)
