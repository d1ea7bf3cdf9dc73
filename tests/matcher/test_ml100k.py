"""The matcher on the real MovieLens 100K catalog: the cases people type, typo recall, no confident
wrong answers for films the catalog lacks, and speed."""
from __future__ import annotations

import time

import numpy as np
import pytest

from services.matcher.index import MATCH_THRESHOLD, TitleIndex
from services.matcher.normalize import normalize_title

pytestmark = pytest.mark.data

# Films people might type that ML-100K (1922-1998) does not hold; checked below, not assumed.
NOT_IN_CATALOG = [
    "The Matrix", "Inception", "The Dark Knight", "Avatar", "Gladiator", "Memento", "Fight Club", "Amelie",
    "Spirited Away", "Shrek", "Finding Nemo", "Toy Story 2", "Jurassic World", "The Departed", "Parasite",
    "Interstellar", "Barbie", "Argo", "Rocky", "Gangs of New York", "Batman Begins", "Spider-Man", "Harry Potter",
    "The Lord of the Rings", "The Sixth Sense", "American Beauty", "Saving Private Ryan", "The Mummy", "Mulan",
    "Scream 3", "Alien 4", "Jaws 4", "Heat 2", "Titanic 1953", "Body Snatchers 1978", "Sabrina 2005",
]


@pytest.fixture(scope="module")
def index() -> TitleIndex:
    # No skip when the data cannot be fetched: the setup step fetches it, so a failure here is real.
    from trainer.movielens import load_movielens
    return TitleIndex(load_movielens().movies)


def resolved(index: TitleIndex, query: str):
    best, _ = index.resolve(query)
    return None if best is None else (best.movie.movie_id, best.movie.title, best.movie.year)


@pytest.mark.parametrize(("query", "expected"), [
    ("toy story", (1, "Toy Story", 1995)),
    ("the usual suspects", (12, "Usual Suspects, The", 1995)),
    ("jurasic park", (82, "Jurassic Park", 1993)),  # not "Lost World: Jurassic Park, The"
    ("Heat (1995)", (273, "Heat", 1995)),  # not Heathers
    ("heat 1995", (273, "Heat", 1995)),
    ("star wars", (50, "Star Wars", 1977)),
    ("Titanic 1997", (313, "Titanic", 1997)),
    ("les miserables", (543, "Misérables, Les", 1995)),
    ("blues brothers 2000", (362, "Blues Brothers 2000", 1998)),
    ("the blues brothers", (186, "Blues Brothers, The", 1980)),
    ("Il Postino", (14, "Postino, Il", 1994)),
    ("forest gump", (69, "Forrest Gump", 1994)),
    ("the shawshank redemtion", (64, "Shawshank Redemption, The", 1994)),
    ("se7en", (11, "Seven (Se7en)", 1995)),
    ("star trek vi", (227, "Star Trek VI: The Undiscovered Country", 1991)),  # the only sixth Star Trek
    ("star trek", None),  # the start of several titles is not a confident match
    ("jwas", (234, "Jaws", 1975)),  # a swap in a short title
    ("jaws2", (452, "Jaws 2", 1978)),
    ("jaws 3", (453, "Jaws 3-D", 1983)),
    ("ET", (423, "E.T. the Extra-Terrestrial", 1982)),
    ("la confidential", (302, "L.A. Confidential", 1997)),
    ("12 monkeys", (7, "Twelve Monkeys", 1995)),
    ("godfather pt. 2", (187, "Godfather: Part II, The", 1974)),
    ("last crusade", (210, "Indiana Jones and the Last Crusade", 1989)),
    ("cape fear 1962", (673, "Cape Fear", 1962)),
    ("cape fear", (218, "Cape Fear", 1991)),  # the more rated of the two
])
def test_titles_as_people_type_them(index, query, expected):
    assert resolved(index, query) == expected


@pytest.mark.parametrize("query", NOT_IN_CATALOG)
def test_films_the_catalog_lacks_get_no_confident_answer(index, query):
    n = normalize_title(query)
    exact = [m for m in index.movies if normalize_title(m.title).key == n.key
             and (n.year is None or m.year == n.year)]
    assert not exact, f"{query!r} is in the catalog after all: {exact}"
    best, alternatives = index.resolve(query)
    assert best is None, f"{query!r} confidently matched {best}"
    assert all(a.confidence < MATCH_THRESHOLD for a in alternatives)


def test_the_hand_checked_benchmark_meets_its_targets(index):
    """bench/matcher's queries (python -m bench.matcher prints the details): >= 97% right on
    queries with a right movie, <= 5% confident answers to films the catalog lacks."""
    from bench.matcher.__main__ import matcher_resolver
    from bench.matcher.queries import evaluate, load_queries
    tallies = evaluate(load_queries(), matcher_resolver(index))
    positives, negatives = tallies["positives"], tallies["negative"]
    assert positives.n > 500 and negatives.n > 80
    assert positives.accuracy >= 0.97, positives
    assert negatives.confident_wrong / negatives.n <= 0.05, negatives


def test_the_matrix_offers_nearest_titles_but_no_match(index):
    best, alternatives = index.resolve("The Matrix", 5)
    assert best is None and alternatives
    assert "Matrix" not in " ".join(a.movie.title for a in alternatives)


def test_one_typo_in_a_title_of_ten_or_more_characters_is_forgiven(index):
    rng = np.random.default_rng(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    rows = rng.choice(len(index.movies), size=400, replace=False)
    right = wrong = tried = 0
    for row in rows.tolist():
        movie = index.movies[row]
        key = normalize_title(movie.title).key
        if len(key) < 10 or key.startswith("unknown"):
            continue
        i, op = int(rng.integers(1, len(key) - 1)), int(rng.integers(3))
        typed = (key[:i] + key[i + 1:], key[:i] + letters[rng.integers(26)] + key[i:],
                 key[:i] + key[i + 1] + key[i] + key[i + 2:])[op]
        best, _ = index.resolve(typed)
        tried += 1
        if best is not None:
            # a same-titled movie ("Chasing Amy" is in ML-100K twice) counts as right
            right += best.movie.title == movie.title
            wrong += best.movie.title != movie.title
    assert tried > 250
    assert right / tried >= 0.95, (right, wrong, tried)
    assert wrong / tried <= 0.01, (right, wrong, tried)


def test_the_key_table_gives_the_full_scoring_answer_on_the_real_catalog(index):
    """A third of the catalog's titles typed six ways: resolve's answer (mostly from the key table) is
    full scoring's."""
    from tests.matcher.test_index import assert_key_table_agrees_with_full_scoring, typed_forms
    queries = [q for m in index.movies[::3] for q in typed_forms(m)]
    assert assert_key_table_agrees_with_full_scoring(index, queries) >= 0.6 * len(queries)


def test_duplicate_titles_go_to_the_more_rated(index):
    best, alternatives = index.resolve("sabrina")
    sabrinas = sorted((m for m in index.movies if m.title == "Sabrina"), key=lambda m: -m.n_ratings)
    assert best.movie == sabrinas[0] and alternatives[0].movie == sabrinas[1]
    best, _ = index.resolve(f"Sabrina ({sabrinas[1].year})")
    assert best.movie == sabrinas[1]


def test_suggest_on_the_real_catalog(index):
    titles = [c.movie.title for c in index.suggest("star", 10)]
    assert titles[0] == "Star Wars" and all("star" in t.lower() for t in titles)
    assert index.suggest("the usual", 3)[0].movie.movie_id == 12
    assert index.suggest("jurasic p", 3)[0].movie.movie_id == 82


def _mean_best_seconds(call, queries: list[str]) -> float:
    best = []
    for q in queries:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            call(q)
            times.append(time.perf_counter() - started)
        best.append(min(times))
    return sum(best) / len(best)
