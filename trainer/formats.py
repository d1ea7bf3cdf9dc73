"""Loaders for the official GroupLens MovieLens layouts (ml-100k, ml-1m/10m, CSV family), from a directory or a zip."""
from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from trainer.dataset import Dataset, build_dataset
from trainer.movielens import DataError

# The 19 genre flags of ml-100k's u.item, used when u.genre is absent; "unknown" means no genre.
ML100K_GENRES = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
                 "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
                 "War", "Western")
NO_GENRES = {"unknown", "(no genres listed)", ""}
# "Toy Story (1995)", "Fawlty Towers (1975-1979)", "Babylon 5" (none), "Lizzie Borden Took an Ax (1992) " (space).
TITLE_YEAR = re.compile(r"^(?P<title>.*?)\s*\((?P<year>\d{4})(?:[-–]\d{0,4})?\)\s*$")
LAYOUTS = {  # name -> the files that identify it (base names, found anywhere in the directory or zip)
    "ml-100k": ("u.data", "u.item"),
    "ml-1m": ("ratings.dat", "movies.dat"),
    "csv": ("ratings.csv", "movies.csv"),
}


class Source:
    """Files of one dataset, in a directory or a zip, looked up by base name (first match wins)."""

    def __init__(self, location: Path) -> None:
        self.location = location
        self._zip = zipfile.ZipFile(location) if location.is_file() else None
        names = self._zip.namelist() if self._zip else [str(p.relative_to(location)) for p in location.rglob("*")
                                                         if p.is_file()]
        self.members: dict[str, str] = {}
        for name in sorted(names, key=lambda n: (n.count("/"), n)):  # shallowest copy wins
            base = PurePosixPath(name).name
            if not base.startswith("._"):  # macOS resource forks inside zips
                self.members.setdefault(base, name)

    def has(self, base: str) -> bool:
        return base in self.members

    def read(self, base: str) -> bytes:
        name = self.members[base]
        return self._zip.read(name) if self._zip else (self.location / name).read_bytes()

    def close(self) -> None:
        if self._zip:
            self._zip.close()


def split_title(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(title without the trailing year, int64 year or 0) from titles like "Heat (1995)"."""
    stripped = raw.astype(str).str.strip()
    parts = stripped.str.extract(TITLE_YEAR)
    has = parts["year"].notna()
    title = stripped.mask(has, parts["title"]).str.strip()
    return title, pd.to_numeric(parts["year"], errors="coerce").fillna(0).astype(np.int64)


def decode(data: bytes, what: str) -> str:
    """UTF-8 when the bytes are valid UTF-8 (CSV releases), else latin-1 (the older releases)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _frame(data: bytes, what: str, sep: str, names: list[str] | None, dtype: dict) -> pd.DataFrame:
    try:
        if sep == "::":  # one-char separator after replacing, so the fast C parser is used
            data = data.replace(b"::", b"\x1f")
            sep = "\x1f"
        text = io.StringIO(decode(data, what))
        return pd.read_csv(text, sep=sep, header=None if names else 0, names=names, dtype=dtype,
                           keep_default_na=False, engine="c", quoting=3 if sep != "," else 0)
    except (ValueError, pd.errors.ParserError) as e:
        raise DataError(f"{what} cannot be parsed: {e}") from None


def _ratings(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    try:
        out = pd.DataFrame({
            "user_id": frame["user_id"].astype(np.int64), "movie_id": frame["movie_id"].astype(np.int64),
            "rating": frame["rating"].astype(np.float32),
            "timestamp": frame["timestamp"].astype(np.float64).astype(np.int64),
        })
    except (ValueError, KeyError) as e:
        raise DataError(f"{what} holds a missing or non-numeric value: {e}") from None
    bad = ~out["rating"].between(0.5, 5.0)
    if bad.any():
        raise DataError(f"{what}: rating {out['rating'][bad].iloc[0]} is outside 0.5-5")
    return out


def _genre_tuple(text: str, sep: str) -> tuple[str, ...]:
    return tuple(g for g in text.split(sep) if g.strip() not in NO_GENRES)


def load_ml100k(src: Source) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...], int]:
    ratings = _ratings(_frame(src.read("u.data"), "u.data", "\t", ["user_id", "movie_id", "rating", "timestamp"],
                              {"user_id": str, "movie_id": str, "rating": str, "timestamp": str}), "u.data")
    genres: tuple[str, ...] = ML100K_GENRES
    if src.has("u.genre"):
        rows = [line.split("|") for line in decode(src.read("u.genre"), "u.genre").splitlines() if "|" in line]
        genres = tuple(name for name, _ in sorted(((n, int(i)) for n, i in rows), key=lambda r: r[1]))
    columns = ["movie_id", "title", "release", "video", "url", *[f"g{j}" for j in range(len(genres))]]
    items = _frame(src.read("u.item"), "u.item", "|", columns, {c: str for c in columns})
    junk = items["title"].str.strip().str.lower().isin({"unknown", "unkonwn"})
    items = items[~junk]
    title, year = split_title(items["title"])
    release_year = pd.to_numeric(items["release"].str[-4:], errors="coerce").fillna(0).astype(np.int64)
    flags = items[[f"g{j}" for j in range(len(genres))]].to_numpy() == "1"
    movies = pd.DataFrame({
        "movie_id": pd.to_numeric(items["movie_id"], errors="raise").astype(np.int64),
        "title": title, "year": year.where(year > 0, release_year),
        "genres": [tuple(g for g, on in zip(genres, row) if on and g not in NO_GENRES) for row in flags],
    })
    return ratings, movies, tuple(g for g in genres if g not in NO_GENRES), int(junk.sum())


def _titled_movies(frame: pd.DataFrame, sep: str) -> tuple[pd.DataFrame, tuple[str, ...]]:
    title, year = split_title(frame["title"])
    genres = frame["genres"].map(lambda s: _genre_tuple(s, sep))
    movies = pd.DataFrame({"movie_id": pd.to_numeric(frame["movie_id"], errors="raise").astype(np.int64),
                           "title": title, "year": year, "genres": genres})
    return movies, tuple(sorted({g for gs in genres for g in gs}))


def load_ml1m(src: Source) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...], int]:
    cols = ["user_id", "movie_id", "rating", "timestamp"]
    ratings = _ratings(_frame(src.read("ratings.dat"), "ratings.dat", "::", cols, {c: str for c in cols}),
                       "ratings.dat")
    frame = _frame(src.read("movies.dat"), "movies.dat", "::", ["movie_id", "title", "genres"], dict.fromkeys(
        ["movie_id", "title", "genres"], str))
    movies, genres = _titled_movies(frame, "|")
    return ratings, movies, genres, 0


def load_csv(src: Source) -> tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...], int]:
    frame = _frame(src.read("ratings.csv"), "ratings.csv", ",", None,
                   {"userId": np.int64, "movieId": np.int64, "rating": np.float32, "timestamp": np.int64})
    frame = frame.rename(columns={"userId": "user_id", "movieId": "movie_id"})
    ratings = _ratings(frame, "ratings.csv")
    movies_frame = _frame(src.read("movies.csv"), "movies.csv", ",", None, {"movieId": str, "title": str,
                                                                            "genres": str})
    movies, genres = _titled_movies(movies_frame.rename(columns={"movieId": "movie_id"}), "|")
    return ratings, movies, genres, 0


LOADERS: dict[str, Callable[[Source], tuple[pd.DataFrame, pd.DataFrame, tuple[str, ...], int]]] = {
    "ml-100k": load_ml100k, "ml-1m": load_ml1m, "csv": load_csv,
}


def detect(src: Source) -> str:
    """The layout whose identifying files are all present."""
    for layout, files in LAYOUTS.items():
        if all(src.has(f) for f in files):
            return layout
    wanted = "; ".join(" + ".join(files) for files in LAYOUTS.values())
    raise DataError(f"{src.location} is not a MovieLens release: expected one of {wanted}")


def fingerprint(src: Source, layout: str) -> str:
    h = hashlib.sha256()
    for base in LAYOUTS[layout]:
        h.update(f"{base}:{hashlib.sha256(src.read(base)).hexdigest()}\n".encode())
    return h.hexdigest()


def load_official(location: Path | str) -> Dataset:
    """Any official MovieLens release, unpacked (a directory) or as downloaded (a .zip)."""
    location = Path(location)
    if not location.exists():
        raise DataError(f"{location} does not exist")
    try:
        src = Source(location)
    except zipfile.BadZipFile:
        raise DataError(f"{location} is neither a directory nor a valid zip file") from None
    try:
        layout = detect(src)
        ratings, movies, genres, dropped_items = LOADERS[layout](src)
        name = location.name.removesuffix(".zip") if layout == "csv" else layout
        try:
            return build_dataset(name, str(location), fingerprint(src, layout), ratings, movies, genres,
                                 dropped_items)
        except ValueError as e:
            raise DataError(f"{location}: {e}") from None
    finally:
        src.close()
