"""Parses the recbole copy of MovieLens 100K (.inter and .item atomic files) into a Dataset."""
from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from movierec.artifact import CatalogMovie, sha256_file
from trainer.dataset import Dataset
from trainer.fetch import SOURCE, MovieLensFiles, fetch_movielens

INTER_COLUMNS = ["user_id:token", "item_id:token", "rating:float", "timestamp:float"]
ITEM_COLUMNS = ["item_id:token", "movie_title:token_seq", "release_year:token", "class:token_seq"]
# recbole's rendering of ML-100K's "unknown" movie (id 267): no title, no year, no genre.
PLACEHOLDER_TITLES = {"unknown", "unkonwn"}
NO_GENRE = "unknown"
# A year at the end of a title, e.g. "Land Before Time III: ... (1995)" whose year field is "V".
TITLE_YEAR = r"^(?P<title>.*?)\s*\((?P<year>\d{4})\)\s*$"


class DataError(Exception):
    """An input file does not have the expected layout; the message names the file."""


def _read_tsv(path: Path, columns: list[str], dtype: dict | type) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, sep="\t", dtype=dtype, keep_default_na=False,
                            quoting=csv.QUOTE_NONE, encoding="utf-8")
    except (OSError, ValueError, pd.errors.ParserError) as e:
        raise DataError(f"{path} cannot be parsed: {e}") from None
    if list(frame.columns) != columns:
        raise DataError(f"{path} has columns {list(frame.columns)}, expected {columns}")
    return frame.rename(columns=lambda c: c.split(":")[0])


def parse_items(path: Path) -> tuple[pd.DataFrame, list[str], int]:
    """Cleaned items (movie_id, title, year, genres tuple), sorted genre names, junk rows dropped."""
    items = _read_tsv(path, ITEM_COLUMNS, str)
    title = items["movie_title"].str.strip()
    junk = title.str.lower().isin(PLACEHOLDER_TITLES)
    items, title = items[~junk], title[~junk]

    year = pd.to_numeric(items["release_year"], errors="coerce")
    in_title = title.str.extract(TITLE_YEAR)
    from_title = year.isna() & in_title["year"].notna()
    year = year.mask(from_title, pd.to_numeric(in_title["year"], errors="coerce"))
    title = title.mask(from_title, in_title["title"])

    genres = items["class"].str.split().map(lambda gs: tuple(g for g in gs if g != NO_GENRE))
    names = sorted({g for gs in genres for g in gs})
    clean = pd.DataFrame({
        "movie_id": pd.to_numeric(items["item_id"], errors="raise").astype(np.int64),
        "title": title,
        "year": year.fillna(0).astype(np.int64),
        "genres": genres,
    }).sort_values("movie_id", kind="stable").reset_index(drop=True)
    if clean["movie_id"].duplicated().any():
        raise DataError(f"{path} lists some item_id more than once")
    return clean, names, int(junk.sum())


def parse_ratings(path: Path) -> pd.DataFrame:
    """user_id int64, movie_id int64, rating float32, timestamp int64."""
    frame = _read_tsv(path, INTER_COLUMNS, {c: str for c in INTER_COLUMNS})
    try:
        return pd.DataFrame({
            "user_id": frame["user_id"].astype(np.int64),
            "movie_id": frame["item_id"].astype(np.int64),
            "rating": frame["rating"].astype(np.float32),
            "timestamp": frame["timestamp"].astype(np.float64).astype(np.int64),
        })
    except ValueError as e:
        raise DataError(f"{path} holds a non-numeric value: {e}") from None


def files_sha256(files: MovieLensFiles) -> str:
    """One sha256 over both inputs (name and content hash of each), the dataset fingerprint."""
    h = hashlib.sha256()
    for path in (files.inter, files.item):
        h.update(f"{path.name}:{sha256_file(path)}\n".encode())
    return h.hexdigest()


def load_movielens(files: MovieLensFiles | None = None) -> Dataset:
    """MovieLens 100K as a Dataset, fetching it into the cache first when no files are given."""
    files = fetch_movielens() if files is None else files
    items, genre_names, dropped_items = parse_items(files.item)
    ratings = parse_ratings(files.inter)
    known = ratings["movie_id"].isin(items["movie_id"])
    dropped_ratings = int((~known).sum())
    ratings = ratings[known]

    stats = ratings["rating"].astype(np.float64).groupby(ratings["movie_id"]).agg(["size", "mean"])
    n_ratings = stats["size"].reindex(items["movie_id"], fill_value=0).to_numpy()
    mean_rating = stats["mean"].reindex(items["movie_id"], fill_value=0.0).to_numpy()
    movies = tuple(
        CatalogMovie(int(mid), str(title), int(year), genres, int(n), float(mean))
        for mid, title, year, genres, n, mean in zip(
            items["movie_id"], items["title"], items["year"], items["genres"], n_ratings, mean_rating)
    )
    return Dataset(
        name="ml-100k",
        source=SOURCE,
        sha256=files_sha256(files),
        user_id=ratings["user_id"].to_numpy(np.int64),
        movie_id=ratings["movie_id"].to_numpy(np.int64),
        rating=ratings["rating"].to_numpy(np.float32),
        timestamp=ratings["timestamp"].to_numpy(np.int64),
        movies=movies,
        genre_names=tuple(genre_names),
        dropped_items=dropped_items,
        dropped_ratings=dropped_ratings,
    )
