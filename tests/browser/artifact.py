"""A small artifact for the browser tests: the tiny catalog plus a movie whose title is HTML, with stats.json."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from movierec.retrain_history import append_entry
from testing.artifacts import GENRES, MOVIES, write_random_artifact
from trainer.dataset import build_dataset
from trainer.stats import dataset_stats

XSS_TITLE = "<img src=x onerror=alert(1)>"
XSS_MOVIE = (999, XSS_TITLE, 1996, ["Comedy", "Drama"])
VERSION = "v-browser-1"
# The retrain history beside LATEST: the served version promoted, then a candidate the gate refused.
HISTORY = [
    {"time": "2026-01-01T00:00:00Z", "version": VERSION, "outcome": "promoted", "reason": "no model is serving yet",
     "candidate": {"rmse": 0.9101, "rmse_base": 0.9101, "rmse_app": None, "ndcg10": 0.51, "recall10": 0.49},
     "serving": None, "data": {"ratings": 400, "app_ratings": 0, "app_accounts": 0}, "seconds": 41.5},
    {"time": "2026-01-01T01:00:00Z", "version": "v-browser-2", "outcome": "rejected",
     "reason": f"RMSE 0.9300 is worse than the serving model's 0.9101 {XSS_TITLE}",
     "candidate": {"rmse": 0.93, "rmse_base": 0.92, "rmse_app": 1.01, "ndcg10": 0.5, "recall10": 0.48},
     "serving": {"version": VERSION, "rmse": 0.9101, "rmse_base": 0.9101, "rmse_app": 1.2, "ndcg10": 0.51,
                 "recall10": 0.49}, "data": {"ratings": 520, "app_ratings": 120, "app_accounts": 6}, "seconds": 43.0},
]
N_USERS = 60


def _ratings(movie_ids: list[int], rng: np.random.Generator) -> pd.DataFrame:
    """(N,) ratings: each user rates 4..10 movies, 1..5 stars, over 1997-09 .. 1998-04 like ML-100K."""
    rows = []
    start, end = np.datetime64("1997-09-20", "s").astype(np.int64), np.datetime64("1998-04-22", "s").astype(np.int64)
    for user in range(1, N_USERS + 1):
        for movie in rng.choice(movie_ids, size=int(rng.integers(4, 11)), replace=False):
            rows.append((user, int(movie), float(rng.integers(1, 6)), int(rng.integers(start, end))))
    return pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"])


def build_browser_artifact(root: Path, k: int = 4, seed: int = 7) -> Path:
    """Writes VERSION under root (LATEST points at it) with catalog, random factors and real stats."""
    rng = np.random.default_rng(seed)
    catalog = [(m[0], m[1], m[2], tuple(m[3])) for m in MOVIES] + [(*XSS_MOVIE[:3], tuple(XSS_MOVIE[3]))]
    frame = pd.DataFrame(catalog, columns=["movie_id", "title", "year", "genres"])
    dataset = build_dataset("browser-test", "tests/browser", "0" * 64, _ratings(frame["movie_id"].tolist(), rng),
                            frame, GENRES)
    path = write_random_artifact(
        root, VERSION, dataset.movies, GENRES, n_users=N_USERS, k=k, seed=seed,
        dataset={"name": "browser-test", "n_ratings": dataset.n_ratings},
        params={"epochs": 60, "lr": 0.005, "reg": 0.05},
        metrics={"rmse": 0.9101, "mae": 0.7153, "ndcg@10": 0.1234, "recall@10": 0.2345},
        stats=dataset_stats(dataset, top_n=10, min_count=5))
    for entry in HISTORY:
        append_entry(root, entry)
    return path
