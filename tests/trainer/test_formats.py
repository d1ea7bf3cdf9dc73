"""Official MovieLens layouts, each reproduced in a few hand-written lines (never real data), from a dir and a zip."""
from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from trainer.formats import load_official
from trainer.movielens import DataError

U_ITEM = [  # id|title|release|video|url|19 genre flags (unknown first)
    "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0",
    "246|Chasing Amy (1997)|01-Jan-1997||http://x|0|0|0|0|0|1|0|0|1|0|0|0|0|0|1|0|0|0|0",
    "268|Chasing Amy (1997)|01-Jan-1997||http://x|0|0|0|0|0|1|0|0|1|0|0|0|0|0|1|0|0|0|0",  # duplicate title
    "267|unknown||||1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0",  # the junk row
    "1412|Land Before Time III: The Time of the Great Giving (1995) (V)|||http://x|0|0|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0",
    "543|Misérables, Les (1995)|01-Jan-1995||http://x|0|0|0|0|0|0|0|0|1|0|0|1|0|0|0|0|0|0|0",
    "1373|Good Morning (1971)|||http://x|1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0",  # genre unknown only
]
U_DATA = [(196, 1, 3, 881250949), (186, 246, 4, 891717742), (22, 267, 1, 878887116), (22, 268, 2, 886397596),
          (166, 1412, 5, 891717742), (196, 543, 4, 881251955), (5, 1373, 3, 875635748)]
MOVIES_DAT = [
    "1::Toy Story (1995)::Animation|Children's|Comedy",
    "2::Babylon 5::Sci-Fi",  # no year
    "3::Misérables, Les (1995)::Drama|Musical",
    "4::City of Lost Children, The (Cité des enfants perdus, La) (1995)::Adventure|Sci-Fi",
]
RATINGS_DAT = [(1, 1, 5, 978300760), (1, 3, 3, 978302109), (2, 2, 4, 978301968), (2, 4, 1, 978300275)]
MOVIES_CSV = [
    'movieId,title,genres',
    '1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy',
    '2,"American President, The (1995)",Comedy|Drama|Romance',
    '3,Fawlty Towers (1975-1979),Comedy',
    '4,Babylon 5,(no genres listed)',
    '5,Amélie (Fabuleux destin d\'Amélie Poulain  Le) (2001) ,Comedy|Romance',
    '6,Emma (1996),Comedy|Drama|Romance',
    '7,Emma (2009),Drama',  # same title, other year
]
RATINGS_CSV = ["userId,movieId,rating,timestamp", "1,1,4.0,964982703", "1,2,3.5,964981247", "2,3,0.5,964982224",
               "2,4,5.0,964983815", "3,5,4.5,1147880044", "3,6,2.0,1147868817", "3,7,3.0,1147868828"]


def write_ml100k(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "u.data").write_text("".join(f"{u}\t{i}\t{r}\t{t}\n" for u, i, r, t in U_DATA))
    (folder / "u.item").write_bytes(("\n".join(U_ITEM) + "\n").encode("latin-1"))
    return folder


def write_ml1m(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "ratings.dat").write_text("".join(f"{u}::{i}::{r}::{t}\n" for u, i, r, t in RATINGS_DAT))
    (folder / "movies.dat").write_bytes(("\n".join(MOVIES_DAT) + "\n").encode("latin-1"))
    return folder


def write_csv(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "ratings.csv").write_text("\n".join(RATINGS_CSV) + "\n", encoding="utf-8")
    (folder / "movies.csv").write_text("\n".join(MOVIES_CSV) + "\n", encoding="utf-8")
    return folder


def zip_folder(folder: Path, top: str) -> Path:
    """A zip laid out like GroupLens's: every file under one top-level directory."""
    out = folder.with_suffix(".zip")
    with zipfile.ZipFile(out, "w") as z:
        for f in folder.iterdir():
            z.write(f, f"{top}/{f.name}")
    return out


@pytest.fixture(params=["dir", "zip"])
def packed(request):
    def pack(folder: Path) -> Path:
        return folder if request.param == "dir" else zip_folder(folder, folder.name)
    return pack


def by_id(data):
    return {m.movie_id: m for m in data.movies}


def test_ml100k(tmp_path, packed):
    data = load_official(packed(write_ml100k(tmp_path / "ml-100k")))
    movies = by_id(data)
    assert data.name == "ml-100k" and 267 not in movies and data.dropped_items == 1 and data.dropped_ratings == 1
    assert movies[1].title == "Toy Story" and movies[1].year == 1995
    assert set(movies[1].genres) == {"Animation", "Children's", "Comedy"}
    assert movies[246].title == movies[268].title == "Chasing Amy"  # both kept, told apart by id
    assert movies[543].title == "Misérables, Les"  # latin-1 decoded
    assert movies[1412].year == 0 or movies[1412].year == 1995
    assert movies[1373].genres == () and "unknown" not in data.genre_names
    assert data.n_ratings == 6 and data.rating.dtype == np.float32 and data.rating_scale == (1.0, 5.0)


def test_ml1m(tmp_path, packed):
    data = load_official(packed(write_ml1m(tmp_path / "ml-1m")))
    movies = by_id(data)
    assert data.name == "ml-1m" and data.n_ratings == 4
    assert (movies[2].title, movies[2].year) == ("Babylon 5", 0)
    assert movies[3].title == "Misérables, Les" and movies[4].year == 1995
    assert movies[4].title == "City of Lost Children, The (Cité des enfants perdus, La)"
    assert data.user_id.tolist() == [1, 1, 2, 2] and data.timestamp[0] == 978300760


def test_csv_family_with_half_stars(tmp_path, packed):
    data = load_official(packed(write_csv(tmp_path / "ml-latest-small")))
    movies = by_id(data)
    assert data.name == "ml-latest-small" and data.n_ratings == 7
    assert movies[2].title == "American President, The" and movies[3].year == 1975
    assert movies[3].title == "Fawlty Towers" and movies[4].genres == () and movies[4].year == 0
    assert movies[5].title.startswith("Amélie") and movies[5].year == 2001
    assert (movies[6].title, movies[6].year, movies[7].year) == ("Emma", 1996, 2009)
    assert sorted(data.rating.tolist()) == [0.5, 2.0, 3.0, 3.5, 4.0, 4.5, 5.0]
    assert data.rating_scale == (0.5, 5.0)
    assert movies[1].n_ratings == 1 and movies[1].mean_rating == 4.0


def test_latin1_csv_is_read(tmp_path):
    folder = write_csv(tmp_path / "odd")
    (folder / "movies.csv").write_bytes("movieId,title,genres\n1,Café (1999),Drama\n".encode("latin-1"))
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,4,1\n")
    assert load_official(folder).movies[0].title == "Café"


def test_fingerprint_follows_content(tmp_path):
    a = load_official(write_csv(tmp_path / "a"))
    b = load_official(write_csv(tmp_path / "b"))
    assert a.sha256 == b.sha256
    (tmp_path / "b" / "ratings.csv").write_text("\n".join(RATINGS_CSV[:-1]) + "\n")
    assert load_official(tmp_path / "b").sha256 != a.sha256


@pytest.mark.parametrize("setup, message", [
    (lambda d: d.mkdir(), "not a MovieLens release"),
    (lambda d: d.with_suffix(".zip").write_bytes(b"not a zip"), "neither a directory nor a valid zip"),
    (lambda d: (write_csv(d) / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,x,5\n"),
     "ratings.csv"),
    (lambda d: (write_csv(d) / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,7,5\n"),
     "outside 0.5-5"),
    (lambda d: (write_ml1m(d) / "ratings.dat").write_text("1::1::5\n"), "ratings.dat"),
])
def test_bad_input_is_a_clear_error(tmp_path, setup, message):
    target = tmp_path / "data"
    setup(target)
    location = target if target.exists() else target.with_suffix(".zip")
    with pytest.raises(DataError, match=message):
        load_official(location)


def test_missing_path(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_official(tmp_path / "nowhere")
