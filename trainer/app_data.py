"""The base dataset plus the app's stored ratings: one Dataset whose app people are users above an id offset.

Scale: MovieLens 100K's 1-5 stars and the app's 0.5-5 stars are one five-star scale (GroupLens's
later releases rate on it in half stars), so app ratings are used as given, never rescaled; once a
half star is in, the model's scale is 0.5-5 (Dataset.rating_scale), as for ml-25m, and predictions
are clipped there.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from trainer.dataset import Dataset
from trainer.movielens import DataError

APP_COLUMNS = ("user_id", "movie_id", "rating", "timestamp")


@dataclass(frozen=True)
class AppData:
    """What the app's ratings added to a Dataset: counts, and the newest rating time (unix seconds, 0 = none)."""

    user_id_offset: int
    accounts: int
    ratings: int
    dropped_unknown_movies: int
    until: int
    sha256: str

    def manifest(self) -> dict[str, int | str]:
        """The artifact manifest's `app_data` block (what a later gate needs to know this model saw)."""
        return {"user_id_offset": self.user_id_offset, "accounts": self.accounts, "ratings": self.ratings,
                "dropped_unknown_movies": self.dropped_unknown_movies, "until": self.until, "sha256": self.sha256}


def _checked(app: pd.DataFrame, offset: int) -> pd.DataFrame:
    """app with the expected columns and dtypes, sorted by (user_id, movie_id); DataError says what is wrong."""
    missing = [c for c in APP_COLUMNS if c not in app.columns]
    if missing:
        raise DataError(f"app ratings lack the column(s) {', '.join(missing)}; expected {', '.join(APP_COLUMNS)}")
    try:
        out = pd.DataFrame({"user_id": app["user_id"].to_numpy(np.int64),
                            "movie_id": app["movie_id"].to_numpy(np.int64),
                            "rating": app["rating"].to_numpy(np.float32),
                            "timestamp": app["timestamp"].to_numpy(np.int64)})
    except (TypeError, ValueError) as e:
        raise DataError(f"app ratings hold a non-numeric value: {e}") from None
    rating = out["rating"].to_numpy()
    bad = ~np.isfinite(rating) | (rating < 0.5) | (rating > 5.0) | (rating * 2 != np.round(rating * 2))
    if bad.any():
        raise DataError(f"{int(bad.sum())} app rating(s) are not 0.5-5 in half stars, e.g. {float(rating[bad][0])}")
    if (out["user_id"] < offset).any():
        raise DataError(f"app user ids must be at least the offset {offset:,} (offset + account id)")
    if out.duplicated(["user_id", "movie_id"]).any():
        raise DataError("an app account rates the same movie twice; the store keeps one rating per pair")
    return out.sort_values(["user_id", "movie_id"], kind="stable").reset_index(drop=True)


def with_app_ratings(base: Dataset, app: pd.DataFrame, offset: int, source: str) -> tuple[Dataset, AppData]:
    """base plus app's ratings (columns APP_COLUMNS, user_id = offset + account id) and what they added.

    Ratings of movies outside base's catalog are dropped and counted. The catalog's per-movie counts
    and means are recomputed over both, since the scorer's popularity prior reads them.
    DataError when app is malformed or base has a user id at or above the offset (ids would collide).
    """
    if len(base.user_id) and int(base.user_id.max()) >= offset:
        raise DataError(f"{base.name} has user id {int(base.user_id.max()):,}, not below the app's id offset "
                        f"{offset:,}: its people and the app's would collide")
    app = _checked(app, offset)
    known = app["movie_id"].isin(base.item_ids())
    dropped = int((~known).sum())
    app = app[known]
    digest = hashlib.sha256(np.ascontiguousarray(app.to_records(index=False)).tobytes()).hexdigest()
    added = AppData(offset, int(app["user_id"].nunique()), len(app), dropped,
                    int(app["timestamp"].max()) if len(app) else 0, digest)
    if not len(app):
        return base, added
    movie_id = np.concatenate([base.movie_id, app["movie_id"].to_numpy()])
    rating = np.concatenate([base.rating, app["rating"].to_numpy()])
    counts = pd.Series(rating.astype(np.float64)).groupby(movie_id).agg(["size", "mean"])
    movies = tuple(replace(m, n_ratings=int(counts["size"].get(m.movie_id, 0)),
                           mean_rating=float(counts["mean"].get(m.movie_id, 0.0))) for m in base.movies)
    combined = Dataset(
        name=f"{base.name}+app", source=f"{base.source} + {source}",
        sha256=hashlib.sha256((base.sha256 + digest).encode()).hexdigest(),
        user_id=np.concatenate([base.user_id, app["user_id"].to_numpy()]), movie_id=movie_id, rating=rating,
        timestamp=np.concatenate([base.timestamp, app["timestamp"].to_numpy()]),
        movies=movies, genre_names=base.genre_names,
        dropped_items=base.dropped_items, dropped_ratings=base.dropped_ratings + dropped)
    return combined, added


def seen_by(dataset: Dataset, offset: int, app_until: int | None) -> np.ndarray:
    """(N,) bool: the ratings a model trained on the base set plus app ratings up to app_until saw.

    app_until None (an artifact of `train`, no app data) means base ratings only. A rating changed
    after app_until carries its new time, so it counts as unseen (the model saw its old value).
    """
    base = dataset.user_id < offset
    if app_until is None:
        return base
    return base | (dataset.timestamp <= app_until)
