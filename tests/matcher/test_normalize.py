"""Normalisation: the same key for every way a title is spelled, and years read only where meant."""
from __future__ import annotations

import pytest

from services.matcher.normalize import (
    NormalizedTitle, drop_article, fold, normalize_title, punctuation_to_spaces, split_alternate, split_year,
    title_keys,
)
from tests.artifact_factory import MOVIES


@pytest.mark.parametrize(("text", "key", "year"), [
    # articles, leading and moved, English and foreign
    ("The Usual Suspects", "usual suspects", None),
    ("usual suspects", "usual suspects", None),
    ("Usual Suspects, The", "usual suspects", None),
    ("  USUAL   suspects ,the ", "usual suspects", None),
    ("A Chef in Love", "chef in love", None),
    ("Chef in Love, A", "chef in love", None),
    ("An Unforgettable Summer", "unforgettable summer", None),
    ("Misérables, Les", "miserables", None),
    ("Les Miserables", "miserables", None),
    ("Double vie de Véronique, La", "double vie de veronique", None),
    ("Postino, Il", "postino", None),
    ("Il Postino", "postino", None),
    ("Boot, Das", "boot", None),
    ("Das Boot", "boot", None),
    ("Bewegte Mann, Der", "bewegte mann", None),
    ("Blechtrommel, Die", "blechtrommel", None),
    ("Uomo delle stelle, L'", "uomo delle stelle", None),
    ("L'Uomo delle stelle", "uomo delle stelle", None),
    ("El Mariachi", "mariachi", None),
    # "Die" in front is English far more often than German
    ("Die Hard", "die hard", None),
    # an article alone is the title
    ("The", "the", None),
    ("A", "a", None),
    # accents, case, '&', punctuation, acronyms, possessives, Roman sequel numbers
    ("Á köldum klaka", "koldum klaka", None),
    ("Nénette et Boni", "nenette et boni", None),
    ("Dumb & Dumber", "dumb and dumber", None),
    ("Dumb and Dumber", "dumb and dumber", None),
    ("E.T. the Extra-Terrestrial", "et the extra terrestrial", None),
    ("Schindler’s List", "schindlers list", None),
    ("Mission: Impossible", "mission impossible", None),
    ("Face/Off", "face off", None),
    ("Star Trek VI: The Undiscovered Country", "star trek 6 the undiscovered country", None),
    ("star trek 6 the undiscovered country", "star trek 6 the undiscovered country", None),
    ("Malcolm X", "malcolm x", None),
    # trailing year, in every form
    ("Heat (1995)", "heat", 1995),
    ("heat 1995", "heat", 1995),
    ("Heat, 1995", "heat", 1995),
    ("Heat [1995]", "heat", 1995),
    ("heat(1995)", "heat", 1995),
    ("Usual Suspects, The (1995)", "usual suspects", 1995),
    ("The Usual Suspects, 1995", "usual suspects", 1995),
    # numbers that are not years
    ("1941", "1941", None),
    ("Murder at 1600", "murder at 1600", None),
    ("Mystery Science Theater 3000: The Movie", "mystery science theater 3000 the movie", None),
    ("2001: A Space Odyssey", "2001 a space odyssey", None),
    ("Apollo 13", "apollo 13", None),
    # nothing left to match
    ("!!!", "", None),
    ("", "", None),
])
def test_normalize_title(text, key, year):
    assert normalize_title(text) == NormalizedTitle(key, year)


def test_a_number_kept_in_the_title_when_asked():
    assert normalize_title("Blues Brothers 2000") == NormalizedTitle("blues brothers", 2000)
    assert normalize_title("Blues Brothers 2000", extract_year=False) == NormalizedTitle("blues brothers 2000", None)


@pytest.mark.parametrize(("text", "expected"), [
    ("Heat (1995)", ("Heat", 1995)),
    ("Heat (1869)", ("Heat (1869)", None)),  # out of range: not a year
    ("Heat 2040", ("Heat 2040", None)),
    ("Se7en1995", ("Se7en1995", None)),  # glued to a word
    ("(1995)", ("(1995)", None)),  # nothing but a year
])
def test_split_year(text, expected):
    assert split_year(text) == expected


def test_fold_drops_accents_and_case_but_keeps_punctuation():
    assert fold("  Misérables,  LES ") == "miserables, les"
    assert fold("Straße & Ça") == "strasse and ca"
    assert punctuation_to_spaces("e.t. the extra-terrestrial...") == "et the extra terrestrial"


def test_drop_article_only_one_and_never_everything():
    assert drop_article("the the") == "the"
    assert drop_article("the") == "the"
    assert drop_article("mrs. brown, her majesty") == "mrs. brown, her majesty"


@pytest.mark.parametrize(("title", "expected"), [
    ("Seven (Se7en)", ("Seven", "Se7en")),
    ("Nikita (La Femme Nikita)", ("Nikita", "La Femme Nikita")),
    ("Land Before Time III (1995)", ("Land Before Time III (1995)", None)),
    ("Heat", ("Heat", None)),
])
def test_split_alternate(title, expected):
    assert split_alternate(title) == expected


def test_title_keys_index_alternate_titles_separately():
    assert title_keys("Nikita (La Femme Nikita)") == ("nikita la femme nikita", "nikita", "femme nikita")
    assert title_keys("Double vie de Véronique, La (Double Life of Veronique, The)")[1:] == (
        "double vie de veronique", "double life of veronique")
    assert title_keys("Heat") == ("heat",)
    assert title_keys("!!!") == ()


@pytest.mark.parametrize("title", [m[1] for m in MOVIES])
def test_every_spelling_of_a_catalog_title_gives_its_key(title):
    key = normalize_title(title).key
    base, comma, article = title.rpartition(", ")
    typed = f"{article} {base}" if comma else title
    assert normalize_title(typed).key == key
    assert normalize_title(typed.upper()).key == key
    assert normalize_title(f"  {typed.lower()}  (1999) ") == NormalizedTitle(key, 1999)
