"""Title normalisation shared by indexing and querying, so both sides produce the same keys."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Years outside this range are part of a title ("Murder at 1600", "Mystery Science Theater 3000").
MIN_YEAR, MAX_YEAR = 1870, 2039

# Articles the catalog moves to the end ("Usual Suspects, The", "Misérables, Les", "Boot, Das")
# and people type in front, so both spellings give one key. Folded (accent-free, lower-case)
# forms; "l'" is handled separately because it is glued to the next word.
MOVED_ARTICLES = ("the", "a", "an", "les", "la", "le", "il", "el", "das", "der", "die", "det")
# "Die" leads English titles ("Die Hard", "Die Hard 2") far more often than German ones in a
# typed query, so in front it stays part of the title.
LEADING_ARTICLES = tuple(a for a in MOVED_ARTICLES if a != "die")

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_YEAR_PATTERNS = (
    re.compile(r"^(?P<text>.*?\S)\s*[(\[]\s*(?P<year>\d{4})\s*[)\]]\s*$"),  # "Heat (1995)", "Heat [1995]"
    re.compile(r"^(?P<text>.*?[^\s,]),\s*(?P<year>\d{4})\s*$"),  # "Heat, 1995"
    re.compile(r"^(?P<text>.*?\S)\s+(?P<year>\d{4})\s*$"),  # "heat 1995"
)
# A parenthesised alternate title at the end: "Seven (Se7en)", "Nikita (La Femme Nikita)".
_ALTERNATE = re.compile(r"^(?P<main>[^()]*?\S)\s*\((?P<alt>[^()]*\w[^()]*)\)\s*$")
_TRAILING_ARTICLE = re.compile(rf"^(?P<text>.*\S)\s*,\s*(?:(?:{'|'.join(MOVED_ARTICLES)})|l\s*')$")
_LEADING_ARTICLE = re.compile(rf"^(?:(?:{'|'.join(LEADING_ARTICLES)})\s+|l\s*'\s*)(?P<text>\w.*)$")
_INNER_DOT = re.compile(r"(?<=\w)\.(?=\w)")  # "E.T." -> "ET", "L.A." -> "LA"
_INNER_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")  # "Schindler's" -> "Schindlers"
_NON_WORD = re.compile(r"[^\w]+")
# Sequel numbers spelled either way ("Star Trek VI", "star trek 6"); "i" and "x" are left alone
# because they are also words ("I Shot Andy Warhol", "Malcolm X").
ROMAN_NUMERALS = {"ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9"}


@dataclass(frozen=True)
class NormalizedTitle:
    """A title reduced to its matching key, plus the year it named (None when it named none)."""

    key: str
    year: int | None


def fold(text: str) -> str:
    """Accent-free, case-folded text with '&' spelled out: "Misérables & Co" -> "miserables and co".

    Punctuation is kept; `punctuation_to_spaces` removes it after articles are found.
    """
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c)).translate(_QUOTES)
    return " ".join(text.replace("&", " and ").split())


def punctuation_to_spaces(text: str) -> str:
    """Removes punctuation (glued acronyms and possessives stay one word) and collapses whitespace."""
    text = _INNER_APOSTROPHE.sub("", _INNER_DOT.sub("", text))
    return " ".join(_NON_WORD.sub(" ", text).replace("_", " ").split())


def split_year(text: str) -> tuple[str, int | None]:
    """Splits a trailing year off: "Heat (1995)", "heat 1995", "Heat, 1995", "Heat [1995]" -> ("Heat", 1995).

    A number outside MIN_YEAR..MAX_YEAR, or one that is the whole title ("1941"), is not a year.
    """
    stripped = text.strip()
    for pattern in _YEAR_PATTERNS:
        m = pattern.match(stripped)
        if m and MIN_YEAR <= int(m["year"]) <= MAX_YEAR and any(c.isalnum() for c in m["text"]):
            return m["text"].strip(), int(m["year"])
    return stripped, None


def drop_article(folded: str) -> str:
    """Drops one leading or moved trailing article from folded text, unless nothing would remain.

    "usual suspects, the" and "the usual suspects" both become "usual suspects"; "l'uomo" -> "uomo".
    """
    m = _TRAILING_ARTICLE.match(folded) or _LEADING_ARTICLE.match(folded)
    if m and punctuation_to_spaces(m["text"]):
        return m["text"].strip()
    return folded


def title_key(text: str) -> str:
    """The matching key of a title with no year in it: folded, article dropped, no punctuation,
    Roman sequel numbers as digits ("Star Trek VI: The Undiscovered Country" -> "star trek 6 the ...")."""
    words = punctuation_to_spaces(drop_article(fold(text))).split()
    return " ".join(ROMAN_NUMERALS.get(w, w) for w in words)


def normalize_title(text: str, extract_year: bool = True) -> NormalizedTitle:
    """Key and year of a title as a person types it or the catalog spells it.

    "The Usual Suspects", "usual suspects" and "Usual Suspects, The (1995)" all give the key
    "usual suspects" (the last with year 1995). With extract_year=False a trailing number stays
    in the key, for titles such as "Blues Brothers 2000".
    """
    year = None
    if extract_year:
        text, year = split_year(text)
    return NormalizedTitle(title_key(text), year)


def split_alternate(text: str) -> tuple[str, str | None]:
    """Splits a trailing parenthesised alternate title off: "Seven (Se7en)" -> ("Seven", "Se7en").

    Returns (text, None) when there is none. A bracketed year is not an alternate title.
    """
    m = _ALTERNATE.match(text.strip())
    if m is None or split_year(f"x ({m['alt']})")[1] is not None:
        return text.strip(), None
    return m["main"].strip(), m["alt"].strip()


def title_keys(text: str) -> tuple[str, ...]:
    """Every key a title (year already removed) can be found under, most specific first, no blanks.

    "Nikita (La Femme Nikita)" -> ("nikita la femme nikita", "nikita", "femme nikita").
    """
    keys = [title_key(text)]
    main, alt = split_alternate(text)
    if alt is not None:
        keys += [title_key(main), title_key(alt)]
    return tuple(dict.fromkeys(k for k in keys if k))
