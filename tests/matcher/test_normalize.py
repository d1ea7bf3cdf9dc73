"""Normalisation: the same key for every way a title is spelled, and years read only where meant."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import services.matcher.normalize as normalize_module
from services.matcher.normalize import (
    NormalizedTitle,
    drop_article,
    fold,
    key_numbers,
    leading_acronym,
    normalize_title,
    punctuation_to_spaces,
    sorted_words,
    split_alternate,
    split_year,
    strip_markup,
    title_keys,
)
from testing.artifacts import MOVIES


@pytest.mark.parametrize(("text", "key", "year", "article"), [
    # articles, leading and moved, English and foreign; the article is kept aside as a tie-breaker
    ("The Usual Suspects", "usual suspects", None, "the"),
    ("usual suspects", "usual suspects", None, None),
    ("Usual Suspects, The", "usual suspects", None, "the"),
    ("  USUAL   suspects ,the ", "usual suspects", None, "the"),
    ("A Chef in Love", "chef in love", None, "a"),
    ("Chef in Love, A", "chef in love", None, "a"),
    ("An Unforgettable Summer", "unforgettable summer", None, "an"),
    ("Misérables, Les", "miserables", None, "les"),
    ("Les Miserables", "miserables", None, "les"),
    ("Double vie de Véronique, La", "double vie de veronique", None, "la"),
    ("Postino, Il", "postino", None, "il"),
    ("Il Postino", "postino", None, "il"),
    ("Boot, Das", "boot", None, "das"),
    ("Das Boot", "boot", None, "das"),
    ("Bewegte Mann, Der", "bewegte mann", None, "der"),
    ("Blechtrommel, Die", "blechtrommel", None, "die"),
    ("Convento, O", "convento", None, "o"),
    ("Uomo delle stelle, L'", "uomo delle stelle", None, "l"),
    ("L'Uomo delle stelle", "uomo delle stelle", None, "l"),
    ("El Mariachi", "mariachi", None, "el"),
    # "Die" and "I" in front are English far more often than German or Italian
    ("Die Hard", "die hard", None, None),
    ("I Shot Andy Warhol", "i shot andy warhol", None, None),
    # an article alone is the title
    ("The", "the", None, None),
    ("A", "a", None, None),
    # accents, case, '&', punctuation, acronyms, possessives
    ("Á köldum klaka", "koldum klaka", None, "a"),
    ("Nénette et Boni", "nenette et boni", None, None),
    ("Dumb & Dumber", "dumb and dumber", None, None),
    ("Dumb and Dumber", "dumb and dumber", None, None),
    ("E.T. the Extra-Terrestrial", "et the extra terrestrial", None, None),
    ("M*A*S*H", "mash", None, None),
    ("L.A. Confidential", "la confidential", None, None),
    ("Schindler’s List", "schindlers list", None, None),
    ("Mission: Impossible", "mission impossible", None, None),
    ("Face/Off", "face off", None, None),
    # numbers: Roman, digits and words in one spelling; "part" before a number dropped
    ("Star Trek VI: The Undiscovered Country", "star trek six the undiscovered country", None, None),
    ("star trek 6 the undiscovered country", "star trek six the undiscovered country", None, None),
    ("Godfather: Part II, The", "godfather two", None, "the"),
    ("the godfather pt. 2", "godfather two", None, "the"),
    ("Hot Shots! Part Deux", "hot shots part deux", None, None),
    ("12 Angry Men", "twelve angry men", None, None),
    ("Twelve Monkeys", "twelve monkeys", None, None),
    ("jaws2", "jaws two", None, None),
    ("Jaws 3-D", "jaws three d", None, None),
    ("Jungle2Jungle", "jungle two jungle", None, None),
    ("20,000 Leagues Under the Sea", "20000 leagues under the sea", None, None),
    ("Malcolm X", "malcolm x", None, None),
    # abbreviations either way
    ("Dr. Strangelove", "doctor strangelove", None, None),
    ("Mr. Holland's Opus", "mister hollands opus", None, None),
    ("Meet Me in St. Louis", "meet me in saint louis", None, None),
    ("Sunset Blvd.", "sunset boulevard", None, None),
    ("The People vs. Larry Flynt", "people versus larry flynt", None, "the"),
    # trailing year, in every form
    ("Heat (1995)", "heat", 1995, None),
    ("heat 1995", "heat", 1995, None),
    ("Heat, 1995", "heat", 1995, None),
    ("Heat [1995]", "heat", 1995, None),
    ("heat(1995)", "heat", 1995, None),
    ("Heat - 1995", "heat", 1995, None),
    ("Heat: 1995", "heat", 1995, None),
    ("heat ( 1995 )", "heat", 1995, None),
    ("heat (95)", "heat", 1995, None),
    ("heat '95", "heat", 1995, None),
    ("heat ’95", "heat", 1995, None),
    ("jaws1975", "jaws", 1975, None),
    ("Usual Suspects, The (1995)", "usual suspects", 1995, "the"),
    ("The Usual Suspects, 1995", "usual suspects", 1995, "the"),
    # numbers that are not years
    ("1941", "1941", None, None),
    ("Murder at 1600", "murder at 1600", None, None),
    ("Mystery Science Theater 3000: The Movie", "mystery science theater 3000 the movie", None, None),
    ("2001: A Space Odyssey", "2001 a space odyssey", None, None),
    ("Apollo 13", "apollo thirteen", None, None),
    # unicode and whitespace noise
    ("ＴＯＹ\u3000ｓｔｏｒｙ", "toy story", None, None),
    ("jur\u200bassic\u00a0park", "jurassic park", None, None),
    ("blade\u00adrunner™", "bladerunner", None, None),
    ("\U0001f988 jaws\n", "jaws", None, None),
    ("face \u2013 off", "face off", None, None),
    ("Les Mise\u0301rables", "miserables", None, "les"),
    # nothing left to match
    ("!!!", "", None, None),
    ("", "", None, None),
])
def test_normalize_title(text, key, year, article):
    assert normalize_title(text) == NormalizedTitle(key, year, article)


def test_a_number_kept_in_the_title_when_asked():
    assert normalize_title("Blues Brothers 2000") == NormalizedTitle("blues brothers", 2000)
    assert normalize_title("Blues Brothers 2000", extract_year=False) == NormalizedTitle("blues brothers 2000", None)
    assert normalize_title("Apollo 13") == NormalizedTitle("apollo thirteen", None)  # two digits are no year


@pytest.mark.parametrize(("text", "expected"), [
    ("Heat (1995)", ("Heat", 1995)),
    ("Heat (1869)", ("Heat (1869)", None)),  # out of range: not a year
    ("Heat 2040", ("Heat 2040", None)),
    ("jaws1975", ("jaws", 1975)),  # glued to a word
    ("Heat 21995", ("Heat 21995", None)),  # five digits
    ("(1995)", ("(1995)", None)),  # nothing but a year
])
def test_split_year(text, expected):
    assert split_year(text) == expected


def test_fold_drops_accents_and_case_but_keeps_punctuation():
    assert fold("  Misérables,  LES ") == "miserables, les"
    assert fold("Straße & Ça") == "strasse and ca"
    assert punctuation_to_spaces("e.t. the extra-terrestrial...") == "et the extra terrestrial"


def test_drop_article_only_one_and_never_everything():
    assert drop_article("the the") == ("the", "the")
    assert drop_article("the") == ("the", None)
    assert drop_article("mrs. brown, her majesty") == ("mrs. brown, her majesty", None)
    assert drop_article("l.a. confidential") == ("l.a. confidential", None)


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
    assert title_keys("Beavis and Butt-head Do America") == ("beavis and butt head do america",
                                                              "beavis and butthead do america")


def test_leading_acronyms_are_found():
    assert leading_acronym("E.T. the Extra-Terrestrial") == "et"
    assert leading_acronym("L.A. Confidential") == "la"
    assert leading_acronym("I.Q.") is None  # nothing else: the acronym is the title
    assert leading_acronym("M. Butterfly") is None  # one letter
    assert leading_acronym("Heat") is None


def test_sorted_words_and_numbers():
    assert sorted_words("jurassic park the lost world") == "jurassic lost park world"
    assert sorted_words("the and") == "and the"  # only stop words: keep them
    assert key_numbers("star trek six the undiscovered country") == ("six",)
    assert key_numbers("naked gun 33 one three final insult") == ("33", "one", "three")
    assert key_numbers("heat") == ()


@pytest.mark.parametrize("title", [m[1] for m in MOVIES])
def test_every_spelling_of_a_catalog_title_gives_its_key(title):
    key = normalize_title(title).key
    base, comma, article = title.rpartition(", ")
    typed = f"{article} {base}" if comma else title
    assert normalize_title(typed).key == key
    assert normalize_title(typed.upper()).key == key
    assert normalize_title(f"  {typed.lower()}  (1999) ").key == key
    assert normalize_title(f"  {typed.lower()}  (1999) ").year == 1999


# -- the shortcuts in front of the patterns give what the patterns give ---------------------------

# Title-like text: letters, digits, the punctuation the patterns look for, brackets, quotes, odd spaces.
title_text = st.text(alphabet=st.sampled_from(list("abcXYZ é19 05.,*'’_-:()[]\t\u00a0\u2013&ⅷ٣")), max_size=30)


@settings(max_examples=2000, deadline=None)
@given(title_text)
def test_punctuation_shortcut_equals_the_patterns(text):
    assert punctuation_to_spaces(text) == normalize_module._punctuation_to_spaces(text)


@settings(max_examples=2000, deadline=None)
@given(title_text)
def test_year_shortcut_equals_the_patterns(text):
    stripped = " ".join(text.translate(normalize_module._QUOTES).split())
    assert split_year(text) == normalize_module._split_year(stripped)


@settings(max_examples=2000, deadline=None)
@given(title_text)
def test_alternate_shortcut_equals_the_pattern(text):
    m = normalize_module._ALTERNATE.match(text.strip())
    expected = (text.strip(), None) if m is None or split_year(f"x ({m['alt']})")[1] is not None \
        else (m["main"].strip(), m["alt"].strip())
    assert split_alternate(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("<b>Heat</b>", " Heat "),
    ("Cats &amp; Dogs", "Cats & Dogs"),
    ("Schindler&#39;s List", "Schindler's List"),
    ("It&#x27;s", "It's"),
    ("<a href='x'>Fargo</a>", " Fargo "),
    ("Tom & Viv", "Tom & Viv"),  # a bare '&' is text
    ("1 < 2 > 0", "1 < 2 > 0"),  # '<' not opening a tag is text
])
def test_strip_markup(text, expected):
    assert strip_markup(text) == expected


@pytest.mark.parametrize(("text", "key"), [
    ("8½", "eight one two"), ("8 1/2", "eight one two"), ("33⅓", "33 one three"), ("¾ moon", "three four moon"),
])
def test_vulgar_fractions_read_as_slashed_numbers(text, key):
    assert normalize_title(text).key == key


def test_abbreviations_with_two_meanings_give_two_keys():
    assert title_keys("Miracle on 34th St.") == ("miracle on 34 th saint", "miracle on 34 th street")
    assert title_keys("Escape to Witch Mt.") == ("escape to witch mount", "escape to witch mountain")
    assert title_keys("Street Fighter") == ("street fighter",)
    assert normalize_title("Kill Bill: Vol. 1").key == "kill bill volume one"
