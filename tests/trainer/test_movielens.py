"""Parsing the recbole MovieLens files, with each quirk of the real data reproduced in a small file."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from trainer.fetch import MovieLensFiles
from trainer.movielens import DataError, load_movielens

ITEM_HEADER = "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq"
INTER_HEADER = "user_id:token\titem_id:token\trating:float\ttimestamp:float"
ITEMS = [
    "1\tToy Story\t1995\tAnimation Children's Comedy",
    "267\tunkonwn\tunkonwn\tunknown",  # the junk row
    "1412\tLand Before Time III: The Time of the Great Giving (1995)\tV\tAnimation Children's",
    "1373\tGood Morning\t1971\tunknown",  # a real movie without a genre
    "48\tHoop Dreams\t19xx\tDocumentary",  # an unreadable year
    "12\tUsual Suspects, The\t1995\tCrime Thriller Film-Noir",
    "543\tMisérables, Les\t1995\tDrama Musical",
]
RATINGS = [  # user, item, rating, timestamp
    (196, 1, 3, 881250949), (186, 1, 4, 891717742), (22, 267, 1, 878887116), (196, 267, 2, 880606923),
    (22, 1412, 2, 886397596), (166, 12, 5, 891717742), (196, 543, 4, 881251955), (5, 1373, 3, 875635748),
    (5, 48, 5, 875635748),
]


def write_files(tmp_path: Path, items: list[str] = ITEMS, item_header: str = ITEM_HEADER) -> MovieLensFiles:
    inter, item = tmp_path / "ml-100k.inter", tmp_path / "ml-100k.item"
    inter.write_text(INTER_HEADER + "\n" + "".join(f"{u}\t{i}\t{r}\t{t}\n" for u, i, r, t in RATINGS),
                     encoding="utf-8")
    item.write_text(item_header + "\n" + "\n".join(items) + "\n", encoding="utf-8")
    return MovieLensFiles(inter, item)


def test_quirks_are_cleaned(tmp_path):
    data = load_movielens(write_files(tmp_path))
    movies = {m.movie_id: m for m in data.movies}
    assert 267 not in movies
    assert data.dropped_items == 1 and data.dropped_ratings == 2
    assert 267 not in set(data.movie_id.tolist())
    land = movies[1412]
    assert (land.title, land.year) == ("Land Before Time III: The Time of the Great Giving", 1995)
    assert movies[1373].genres == () and movies[1373].year == 1971
    assert movies[48].year == 0
    assert movies[1].genres == ("Animation", "Children's", "Comedy")
    assert movies[12].genres == ("Crime", "Thriller", "Film-Noir")
    assert movies[543].title == "Misérables, Les"
    assert "unknown" not in data.genre_names
    assert list(data.genre_names) == sorted(data.genre_names)


def test_arrays_and_catalog_statistics(tmp_path):
    data = load_movielens(write_files(tmp_path))
    assert (data.user_id.dtype, data.movie_id.dtype, data.rating.dtype, data.timestamp.dtype) == (
        np.int64, np.int64, np.float32, np.int64)
    kept = [r for r in RATINGS if r[1] != 267]
    assert data.n_ratings == len(kept)
    assert data.timestamp.tolist() == [r[3] for r in kept]
    assert [m.movie_id for m in data.movies] == sorted(m.movie_id for m in data.movies)
    toy = next(m for m in data.movies if m.movie_id == 1)
    assert toy.n_ratings == 2 and toy.mean_rating == pytest.approx(3.5)
    matrix = data.genre_matrix()
    assert matrix.shape == (len(data.movies), len(data.genre_names)) and matrix.dtype == np.float32
    for row, movie in zip(matrix, data.movies):
        assert {data.genre_names[j] for j in np.flatnonzero(row)} == set(movie.genres)


def test_checksum_follows_the_content(tmp_path):
    first = load_movielens(write_files(tmp_path)).sha256
    edited = [line.replace("Toy Story", "Toy Story 2") for line in ITEMS]
    second = load_movielens(write_files(tmp_path, edited)).sha256
    assert len(first) == 64 and first != second


def test_unexpected_header_is_a_clear_error(tmp_path):
    files = write_files(tmp_path, item_header="item_id\ttitle\tyear\tgenres")
    with pytest.raises(DataError, match="ml-100k.item has columns"):
        load_movielens(files)


@pytest.mark.data
def test_real_data_matches_an_independent_count(ml100k_files, ml100k):
    with open(ml100k_files.inter, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))[1:]
    junk_ratings = sum(1 for row in rows if row[1] == "267")
    assert junk_ratings > 0
    assert ml100k.dropped_items == 1 and ml100k.dropped_ratings == junk_ratings
    assert ml100k.n_ratings == len(rows) - junk_ratings
    assert len(ml100k.user_ids()) == len({row[0] for row in rows})
    assert float(ml100k.rating.sum()) == sum(float(row[2]) for row in rows if row[1] != "267")


@pytest.mark.data
def test_real_data_quirks(ml100k):
    movies = {m.movie_id: m for m in ml100k.movies}
    assert 267 not in movies
    assert movies[1412].title == "Land Before Time III: The Time of the Great Giving"
    assert movies[1412].year == 1995
    assert movies[1373].genres == ()
    assert "Children's" in ml100k.genre_names and "Film-Noir" in ml100k.genre_names
    assert "unknown" not in ml100k.genre_names
    assert all(1900 < m.year < 2000 for m in ml100k.movies)  # every year was readable once cleaned
    assert sum(m.n_ratings for m in ml100k.movies) == ml100k.n_ratings
