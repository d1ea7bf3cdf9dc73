"""Dataset statistics for the dashboard, written into the artifact as stats.json."""
from __future__ import annotations

from typing import Any

import numpy as np

from trainer.dataset import Dataset

TOP_N = 20
TOP_RATED_MIN_COUNT = 50  # a movie needs this many ratings to be "top rated" (fewer on tiny sets)


def _movie_row(dataset: Dataset, row: int, counts: np.ndarray, means: np.ndarray) -> dict[str, Any]:
    m = dataset.movies[row]
    return {"movie_id": m.movie_id, "title": m.title, "year": m.year, "n_ratings": int(counts[row]),
            "mean_rating": round(float(means[row]), 4)}


def dataset_stats(dataset: Dataset, top_n: int = TOP_N, min_count: int = TOP_RATED_MIN_COUNT) -> dict[str, Any]:
    """JSON-ready statistics of the ratings: totals, histogram, per month, per genre, top movies.

    min_count is lowered to the median ratings per rated movie when the set is too small to have
    top_n movies above it (recorded as `top_rated_min_count`).
    """
    users, items = dataset.indices()
    n_users, n_items, n = len(dataset.user_ids()), len(dataset.movies), dataset.n_ratings
    ratings = dataset.rating.astype(np.float64)
    counts = np.bincount(items, minlength=n_items)
    sums = np.bincount(items, weights=ratings, minlength=n_items)
    means = np.divide(sums, counts, out=np.zeros(n_items), where=counts > 0)

    values, value_counts = np.unique(dataset.rating, return_counts=True)
    # Months since 1970 as small integers, counted with bincount (np.unique is slow on 25M values).
    months = dataset.timestamp.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    first = int(months.min()) if n else 0
    all_counts = np.bincount(months - first)
    present = np.flatnonzero(all_counts)
    month_values = (present + first).astype("datetime64[M]")
    month_counts = all_counts[present]
    month_means = np.bincount(months - first, weights=ratings)[present] / month_counts

    most = np.lexsort((-means, -counts))[:top_n]
    if np.count_nonzero(counts >= min_count) < top_n:
        rated = counts[counts > 0]
        min_count = int(np.median(rated)) if len(rated) else 1
    eligible = np.flatnonzero(counts >= max(min_count, 1))
    top = eligible[np.lexsort((-counts[eligible], -means[eligible]))][:top_n]

    genre_matrix = dataset.genre_matrix() > 0
    genres = []
    for g, name in enumerate(dataset.genre_names):
        has = genre_matrix[:, g]
        n_g = int(counts[has].sum())
        genres.append({"genre": name, "movies": int(has.sum()), "ratings": n_g,
                       "mean_rating": round(float(sums[has].sum() / n_g), 4) if n_g else None})
    return {
        "totals": {"users": n_users, "movies": n_items, "rated_movies": int(np.count_nonzero(counts)),
                   "ratings": n, "mean_rating": round(float(ratings.mean()), 4) if n else None,
                   "sparsity": round(1.0 - n / (n_users * n_items), 6) if n_users and n_items else None,
                   "ratings_per_user_median": float(np.median(np.bincount(users))) if n else 0.0,
                   "ratings_per_movie_median": float(np.median(counts)) if n_items else 0.0},
        "rating_histogram": [{"rating": float(v), "count": int(c)} for v, c in zip(values, value_counts)],
        "ratings_per_month": [{"month": str(m), "count": int(c), "mean_rating": round(float(a), 4)}
                              for m, c, a in zip(month_values, month_counts, month_means)],
        "most_rated": [_movie_row(dataset, int(i), counts, means) for i in most],
        "top_rated": [_movie_row(dataset, int(i), counts, means) for i in top],
        "top_rated_min_count": int(min_count),
        "genres": genres,
    }
