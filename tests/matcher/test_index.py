"""TitleIndex on the tiny artifact's catalog: exact and fuzzy hits, years, duplicates, no-match, suggest."""
from __future__ import annotations

import numpy as np
import pytest
from rapidfuzz import fuzz

from services.common.artifact import CatalogMovie, load_catalog
from services.matcher.index import MATCH_THRESHOLD, NUMBER_MISMATCH, TOKEN_SORT_WEIGHT, TitleIndex
from services.matcher.normalize import normalize_title, title_keys


@pytest.fixture(scope="module")
def index(tiny_artifact_root) -> TitleIndex:
    return TitleIndex(load_catalog(tiny_artifact_root)[1])


def movie(movie_id: int, title: str, year: int, n_ratings: int = 10) -> CatalogMovie:
    return CatalogMovie(movie_id, title, year, ("Drama",), n_ratings)


def best_id(index: TitleIndex, query: str) -> int | None:
    best, _ = index.resolve(query)
    return None if best is None else best.movie.movie_id


@pytest.mark.parametrize(("query", "movie_id"), [
    ("toy story", 1),
    ("Toy Story (1995)", 1),
    ("the usual suspects", 12),
    ("Usual Suspects, The", 12),
    ("USUAL SUSPECTS 1995", 12),
    ("les miserables", 543),
    ("Misérables, Les", 543),
    ("The Godfather", 127),
    ("heat", 273),
    ("Heat (1995)", 273),
    ("heat 1995", 273),
    ("heathers", 433),
    ("the lion king", 71),
])
def test_exact_keys_match_with_full_confidence(index, query, movie_id):
    best, _ = index.resolve(query)
    assert best is not None and best.movie.movie_id == movie_id
    assert best.confidence == 1.0


@pytest.mark.parametrize(("query", "movie_id"), [
    ("jurasic park", 82),
    ("the usual suspect", 12),
    ("the godfater", 127),
    ("suspects usual", 12),
    ("star wars 1978", 50),  # a year off by one still matches
])
def test_near_misses_match_below_full_confidence(index, query, movie_id):
    best, _ = index.resolve(query)
    assert best is not None and best.movie.movie_id == movie_id
    assert MATCH_THRESHOLD <= best.confidence < 1.0


@pytest.mark.parametrize("query", ["The Matrix", "Inception", "xyzzy", "heet", "Heat 1980", "star", "!!!"])
def test_no_confident_match(index, query):
    best, alternatives = index.resolve(query)
    assert best is None
    assert all(a.confidence < MATCH_THRESHOLD for a in alternatives)


def test_no_match_offers_the_nearest_as_alternatives(index):
    best, alternatives = index.resolve("Heat 1980")  # right title, year far off
    assert best is None
    assert alternatives[0].movie.movie_id == 273
    best, alternatives = index.resolve("heet")
    assert best is None and alternatives[0].movie.movie_id == 273


def test_year_decides_between_same_titles(index):
    assert best_id(index, "Body Snatchers 1956") == 573
    assert best_id(index, "Body Snatchers (1993)") == 670
    best, alternatives = index.resolve("body snatchers 1956")
    other = next(a for a in alternatives if a.movie.movie_id == 670)
    assert other.confidence < best.confidence == 1.0


def test_without_a_year_the_more_rated_title_wins_and_the_other_is_an_alternative(index):
    best, alternatives = index.resolve("body snatchers")
    assert best.movie.movie_id == 670  # 33 ratings against 18
    assert alternatives[0].movie.movie_id == 573 and alternatives[0].confidence == 1.0


def test_alternatives_are_ordered_limited_and_never_the_best(index):
    for query in ("heat", "jurasic park", "body snatchers", "the matrix", "star wars"):
        for limit in (0, 1, 3, 10):
            best, alternatives = index.resolve(query, limit)
            assert len(alternatives) <= limit
            ids = [a.movie.movie_id for a in alternatives]
            assert len(set(ids)) == len(ids)
            assert best is None or best.movie.movie_id not in ids
            confidences = [a.confidence for a in alternatives]
            assert confidences == sorted(confidences, reverse=True)
            assert best is None or all(c <= best.confidence for c in confidences)


def test_a_number_in_the_title_is_not_taken_for_a_year():
    index = TitleIndex((movie(1, "Blues Brothers, The", 1980, 100), movie(2, "Blues Brothers 2000", 1998, 20)))
    assert best_id(index, "blues brothers 2000") == 2
    assert best_id(index, "Blues Brothers 2000 (1998)") == 2
    assert best_id(index, "blues brother 2000") == 2
    assert best_id(index, "the blues brothers") == 1
    assert best_id(index, "blues brothers 1980") == 1


def test_sequel_numbers_must_agree():
    index = TitleIndex((movie(1, "Godfather, The", 1972, 400), movie(2, "Godfather: Part II, The", 1974, 200),
                        movie(3, "Alien", 1979), movie(4, "Alien 3", 1992)))
    assert best_id(index, "godfather part 2") == 2
    assert best_id(index, "The Godfather Part II") == 2
    assert best_id(index, "alien 4") is None
    best, alternatives = index.resolve("godfather 2")
    assert best is None and {a.movie.movie_id for a in alternatives} == {1, 2}


def test_alternate_titles_in_parentheses_are_keys():
    index = TitleIndex((movie(11, "Seven (Se7en)", 1995), movie(198, "Nikita (La Femme Nikita)", 1990)))
    for query, movie_id in [("seven", 11), ("se7en", 11), ("Seven (Se7en)", 11), ("La Femme Nikita", 198),
                            ("nikita", 198)]:
        best, _ = index.resolve(query)
        assert best.movie.movie_id == movie_id and best.confidence == 1.0


def test_a_year_only_in_the_title_is_used():
    index = TitleIndex((movie(1412, "Land Before Time III: The Time of the Great Giving (1995)", 0),))
    assert index.years.tolist() == [1995]
    assert best_id(index, "land before time 3 the time of the great giving 1995") == 1412


def test_empty_catalog_is_refused():
    with pytest.raises(ValueError, match="empty catalog"):
        TitleIndex(())


def slow_confidence(index: TitleIndex, query: str) -> np.ndarray:
    """The obvious per-movie loop that movie_confidence vectorises (queries without a year)."""
    q = normalize_title(query).key
    out = np.zeros(len(index.movies), dtype=np.float32)
    for row, m in enumerate(index.movies):
        for key in title_keys(m.title):  # tiny titles carry no year
            s = max(fuzz.ratio(q, key), TOKEN_SORT_WEIGHT * fuzz.token_sort_ratio(q, key)) / 100
            if sorted(w for w in q.split() if w.isdigit()) != sorted(w for w in key.split() if w.isdigit()):
                s *= NUMBER_MISMATCH
            out[row] = max(out[row], s)
    return out


@pytest.mark.parametrize("query", ["jurasic park", "heat", "godfather", "lion king the", "star wars 2", "body"])
def test_confidence_equals_the_obvious_loop(index, query):
    np.testing.assert_allclose(index.movie_confidence(query), slow_confidence(index, query), atol=1e-5)


# -- suggest -----------------------------------------------------------------------------------

def ids(candidates) -> list[int]:
    return [c.movie.movie_id for c in candidates]


def test_suggest_whole_title_then_prefix_then_popularity(index):
    assert ids(index.suggest("heat")) == [273, 433]  # exact key before the longer Heathers
    assert ids(index.suggest("the u"))[0] == 12  # article dropped from what was typed
    assert ids(index.suggest("body snatchers")) == [670, 573]  # more ratings first
    assert ids(index.suggest("body snatchers 1956")) == [573, 670]  # a named year first


def test_suggest_matches_inner_words_after_title_starts(index):
    # "park" starts no title but a word of "jurassic park"
    assert ids(index.suggest("park")) == [82]
    index2 = TitleIndex((movie(1, "Park Avenue", 1990, 1), movie(2, "Jurassic Park", 1993, 500)))
    assert ids(index2.suggest("park")) == [1, 2]


def test_suggest_fills_with_fuzzy_prefixes(index):
    assert ids(index.suggest("jurasic"))[:1] == [82]
    assert index.suggest("jurasic")[0].confidence < 1.0
    assert index.suggest("qqq") == []


def test_suggest_respects_the_limit_and_never_repeats(index):
    for prefix in ("s", "t", "the", "heat", "g"):
        for limit in (1, 2, 5, 50):
            got = ids(index.suggest(prefix, limit))
            assert len(got) <= limit and len(set(got)) == len(got)
    assert index.suggest("!!!") == [] and index.suggest("heat", 0) == []


def test_suggest_prefix_hits_equal_the_obvious_scan(index):
    for prefix in ("s", "t", "the", "h", "he", "heat", "g", "b", "star", "lion", "king"):
        typed = normalize_title(prefix).key
        expected = {row for row, key in zip(index.entry_rows.tolist(), index.entry_keys)
                    if key.startswith(typed) or f" {typed}" in f" {key}"}
        got = {index.movies.index(c.movie) for c in index.suggest(prefix, 50)}
        assert expected <= got, prefix
