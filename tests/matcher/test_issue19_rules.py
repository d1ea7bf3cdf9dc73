"""TitleIndex rules for what people paste and half-remember: markup, fractions, abbreviations either way,
sequel numbers the catalog leaves out, one distinctive word, misspellings that win by a wide margin."""
from __future__ import annotations

import numpy as np
import pytest

from services.matcher.index import MARGIN_FLOOR, MARGIN_GAP, MATCH_THRESHOLD, ONE_WORD, SEQUEL_DROPPED, TitleIndex
from services.matcher.one_word import FAMOUS_RANK, WELL_KNOWN_RANK, one_word_titles
from services.matcher.sequels import without_sequel_number
from services.matcher.typos import is_near_typo
from tests.matcher.test_index import best_id, movie

CATALOG = (
    movie(1, "Truth About Cats & Dogs, The", 1996, 272), movie(2, "Schindler's List", 1993, 298),
    movie(3, "8 1/2", 1963, 38), movie(4, "Naked Gun 33 1/3: The Final Insult", 1994, 69),
    movie(5, "Miracle on 34th Street", 1994, 101), movie(6, "Meet Me in St. Louis", 1944, 31),
    movie(7, "Escape to Witch Mountain", 1975, 30), movie(8, "Pump Up the Volume", 1990, 79),
    movie(9, "Dr. Strangelove", 1963, 194), movie(10, "People vs. Larry Flynt, The", 1996, 215),
    movie(11, "Star Trek: The Wrath of Khan", 1982, 244), movie(12, "Star Trek III: The Search for Spock", 1984, 171),
    movie(13, "Die Hard", 1988, 243), movie(14, "Die Hard: With a Vengeance", 1995, 151),
    movie(15, "Die Hard 2", 1990, 166),
    movie(16, "Independence Day", 1996, 429), movie(17, "Star Wars", 1977, 583), movie(18, "Fargo", 1996, 508),
    movie(19, "Mister Roberts", 1955, 20), movie(20, "Half ½ Way", 1990, 5), movie(21, "Toy Story", 1995, 452),
    movie(22, "Shawshank Redemption, The", 1994, 283), movie(23, "Pulp Fiction", 1994, 394),
)


@pytest.fixture(scope="module")
def index() -> TitleIndex:
    return TitleIndex(CATALOG)


@pytest.mark.parametrize(("query", "movie_id"), [
    ("<b>Schindler&#39;s List</b>", 2),
    ("Truth About Cats &amp; Dogs", 1),
    ('<a href="https://example.com/x?a=1&amp;b=2">Fargo</a> (1996)', 18),
    ("Schindler&rsquo;s List&nbsp;", 2),
    ("<p>\n<i>Fargo</i><br/></p>", 18),
])
def test_markup_and_entities_in_pasted_text_are_dropped(index, query, movie_id):
    best, _ = index.resolve(query)
    assert best is not None and best.movie.movie_id == movie_id and best.confidence == 1.0


def test_text_that_only_looks_like_markup_is_kept(index):
    # "<" not opening a tag and a bare "&" are text: nothing is lost from the title
    assert index.query_variants("cats & dogs")[0].key == "cats and dogs"
    assert index.query_variants("a < b")[0].key == "a b"


@pytest.mark.parametrize(("query", "movie_id"), [
    ("8½", 3), ("8 ½", 3), ("8½ (1963)", 3), ("Naked Gun 33⅓: The Final Insult", 4),
    ("naked gun 33 1/3 the final insult", 4),
    # the reverse: the catalog writes the fraction character, the person types "1/2"
    ("half 1/2 way", 20), ("Half ½ Way", 20),
])
def test_vulgar_fractions_and_slashed_fractions_are_one_spelling(index, query, movie_id):
    assert best_id(index, query) == movie_id


@pytest.mark.parametrize(("query", "movie_id"), [
    ("Miracle on 34th St.", 5), ("miracle on 34th st", 5),  # the catalog spells Street out
    # the catalog abbreviates
    ("Meet Me in Saint Louis", 6), ("meet me in st louis", 6), ("Meet Me in Street Louis", 6),
    ("Escape to Witch Mt.", 7), ("Pump Up the Vol.", 8), ("Doctor Strangelove", 9), ("dr strangelove", 9),
    ("The People Versus Larry Flynt", 10), ("people vs larry flynt", 10), ("Mr. Roberts", 19),
])
def test_abbreviations_both_ways(index, query, movie_id):
    best, _ = index.resolve(query)
    assert best is not None and best.movie.movie_id == movie_id and best.confidence == 1.0


def test_without_sequel_number():
    assert without_sequel_number("star trek two the wrath of khan") == ("star trek two", "star trek the wrath of khan")
    assert without_sequel_number("toy story four") is None  # the number ends the title: another film
    assert without_sequel_number("twelve monkeys") is None  # it starts it: part of the name
    assert without_sequel_number("die hard") is None


@pytest.mark.parametrize(("query", "movie_id"), [
    ("Star Trek II: The Wrath of Khan", 11), ("star trek 2 the wrath of khan", 11),
    ("Die Hard 3: With a Vengeance", 14),
])
def test_a_sequel_number_the_catalog_leaves_out(index, query, movie_id):
    best, _ = index.resolve(query)
    assert best is not None and best.movie.movie_id == movie_id
    assert MATCH_THRESHOLD <= best.confidence <= SEQUEL_DROPPED


@pytest.mark.parametrize("query", [
    "Star Trek 3: The Wrath of Khan",  # "Star Trek III" is another catalog title: the number names it
    "Die Hard 2: With a Vengeance",  # likewise "Die Hard 2"
    "Toy Story 4", "Die Hard 4: Live Free or Die Hard", "Star Trek 9 Insurrection",
])
def test_a_sequel_number_that_names_another_film_is_kept(index, query):
    assert best_id(index, query) not in (11, 14, 21, 13)


def test_one_word_titles_need_a_distinctive_word_and_one_well_known_title():
    keys = ["star wars", "star trek", "shawshank redemption", "pulp fiction", "taxi driver", "blade runner",
            "sling blade", "lost world jurassic park", "jurassic park", "jerry maguire",
            "some folks call it a sling blade", "jerry maguire"]  # a second key of the same movie (row 9) counts once
    rows = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 9]
    rank = np.asarray([0, 1, 50, 12, FAMOUS_RANK + 30, 3, 4, 5, 6, WELL_KNOWN_RANK + 1, 7])
    titles = one_word_titles(keys, rows, rank)
    assert titles["shawshank"] == 2 and titles["pulp"] == 3 and titles["jurassic"] == 8
    assert "star" not in titles  # begins two well-known titles
    assert "taxi" not in titles  # four letters: it must begin a famous one (rank < FAMOUS_RANK)
    assert "blade" not in titles  # held by three movies: too common ("sling", held by two, begins one)
    assert titles["sling"] == 6
    assert "jerry" not in titles  # begins only a little-known title
    assert "wars" not in titles and "park" not in titles  # inner words begin nothing


@pytest.mark.parametrize(("query", "movie_id"), [("shawshank", 22), ("Independence", 16), ("The Shawshank", 22),
                                                 ("Pulp", 23), ("pulp 1994", 23)])
def test_one_distinctive_word_is_the_one_well_known_title_it_begins(index, query, movie_id):
    best, _ = index.resolve(query)
    assert best is not None and best.movie.movie_id == movie_id and best.confidence >= ONE_WORD * 0.99


@pytest.mark.parametrize("query", ["star", "The Pulp", "pulp 1950"])
def test_one_word_of_several_titles_or_with_another_article_or_year_is_no_match(index, query):
    assert best_id(index, query) is None


def test_is_near_typo():
    assert is_near_typo("indepence day", "independence day")  # three slips in a long word
    assert not is_near_typo("independence", "independence day")  # a word missing
    assert not is_near_typo("rocky", "rock")  # one letter more at the end of a short word: another word
    assert not is_near_typo("argo", "fargo")  # a first letter missing
    assert not is_near_typo("reservoir cats", "reservoir dogs")  # another word
    assert not is_near_typo("indepence day two", "independence day three")  # another number


def test_a_misspelling_that_wins_by_a_wide_margin_is_a_match(index):
    confidence = index.movie_confidence("indepence day")
    order = np.argsort(-confidence)
    assert index.movies[order[0]].movie_id == 16 and confidence[order[0]] == pytest.approx(MATCH_THRESHOLD)
    assert confidence[order[1]] <= MATCH_THRESHOLD - MARGIN_GAP
    assert best_id(index, "indepence day") == 16


def test_the_margin_needs_a_near_typo_and_a_wide_gap():
    # a near typo between two close titles: no margin, no match
    close = TitleIndex((movie(1, "Independence Day", 1996, 400), movie(2, "Independence Dey", 1990, 10)))
    assert best_id(close, "indepence dy") is None
    # "Argo" is near "Fargo" by letters (0.89) and far ahead of anything else, but a first letter is no slip
    far = TitleIndex((movie(1, "Fargo", 1996, 508), movie(2, "Heat", 1995, 200)))
    best, alternatives = far.resolve("Argo")
    assert best is None and alternatives[0].movie.movie_id == 1
    assert MARGIN_FLOOR <= alternatives[0].confidence < MATCH_THRESHOLD
    # a year typed that is not the film's: the factors must be 1.0
    assert best_id(far, "fargoo 1970") is None


def test_a_title_that_looks_like_markup_is_still_found_as_typed():
    index = TitleIndex((movie(1, "<img src=x onerror=alert(1)>", 1996), movie(2, "Heat", 1995)))
    assert best_id(index, "<img src=x onerror=alert(1)> (1996)") == 1
    assert best_id(index, "<b>Heat</b>") == 2
