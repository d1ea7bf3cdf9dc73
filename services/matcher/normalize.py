"""Title normalisation shared by indexing and querying, so both sides produce the same keys."""
from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

# Years outside this range are part of a title ("Murder at 1600", "Mystery Science Theater 3000").
MIN_YEAR, MAX_YEAR = 1870, 2039

# Articles the catalog moves to the end ("Usual Suspects, The", "Misérables, Les", "Boot, Das")
# and people type in front, so both spellings give one key. Folded (accent-free, lower-case)
# forms; "l'" is handled separately because it is glued to the next word.
LEADING_ARTICLES = ("the", "a", "an", "les", "la", "le", "il", "el", "das", "der", "det", "los", "las", "gli")
# "Die", "I" and "O" lead English titles ("Die Hard", "I Shot Andy Warhol") far more often than
# foreign ones in a typed query, so they count as articles only when moved to the end.
MOVED_ARTICLES = LEADING_ARTICLES + ("die", "i", "o", "lo")

_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'", "\u00b4": "'", "\u2032": "'",
                         "\u201c": '"', "\u201d": '"', "\u2010": "-", "\u2011": "-", "\u2012": "-",
                         "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-"})
# Vulgar fractions as the catalog writes them ("8 1/2", "33 1/3"): NFKD would glue "8½" into "81⁄2".
_FRACTIONS = str.maketrans({c: f" {unicodedata.normalize('NFKD', c).replace(chr(0x2044), '/')} "
                            for c in map(chr, (*range(0xBC, 0xBF), *range(0x2150, 0x215F), 0x2189))})
# Markup left in pasted text: "<b>Heat</b>", "<a href=...>". A tag starts with a letter, "/" or "!".
_TAG = re.compile(r"<[a-zA-Z/!][^<>]*>")
_BRACKETED_YEAR = re.compile(r"^(?P<text>.*?\S)\s*[(\[]\s*(?P<year>\d{4}|\d{2})\s*[)\]]\s*$")  # "Heat (1995)", "(95)"
_SHORT_YEAR = re.compile(r"^(?P<text>.*?\S)\s*'\s*(?P<year>\d{2})\s*$")  # "heat '95"
_PLAIN_YEAR = re.compile(r"^(?P<text>.*?[^\s,:\-])\s*[,:\-]?\s*(?<!\d)(?P<year>\d{4})\s*$")  # "heat 1995", "Heat, 1995"
# A parenthesised alternate title at the end: "Seven (Se7en)", "Nikita (La Femme Nikita)".
_ALTERNATE = re.compile(r"^(?P<main>[^()]*?\S)\s*\((?P<alt>[^()]*\w[^()]*)\)\s*$")
_TRAILING_ARTICLE = re.compile(rf"^(?P<text>.*\S)\s*,\s*(?P<article>{'|'.join(MOVED_ARTICLES)}|l\s*')$")
_LEADING_ARTICLE = re.compile(rf"^(?P<article>{'|'.join(LEADING_ARTICLES)})\s+(?P<text>\w.*)$"
                              r"|^(?P<l>l)\s*'\s*(?P<ltext>\w.*)$")
_GLUE = re.compile(r"(?<=\w)[.*](?=\w)")  # "E.T." -> "ET", "M*A*S*H" -> "MASH", "L.A." -> "LA"
_INNER_APOSTROPHE = re.compile(r"(?<=\w)'(?=\w)")  # "Schindler's" -> "Schindlers"
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")  # "20,000 Leagues" -> "20000 Leagues"
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")  # "jaws2" -> "jaws 2", "3D" -> "3 D"
_NON_WORD = re.compile(r"[^\w]+")
_WORD_HYPHEN = re.compile(r"(?<=[^\W\d_])[-\u2010\u2011](?=[^\W\d_])")

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty")
# Sequel numbers spelled any way ("Star Trek VI", "star trek 6", "Godfather Part II") become one word;
# "i" and "x" are left alone because they are also words ("I Shot Andy Warhol", "Malcolm X").
_ROMAN = {"ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9}
# Small numbers as words, so "12 Monkeys", "Twelve Monkeys" and "twelve monkies" stay close.
WORD_FORMS: dict[str, str] = {str(i): w for i, w in enumerate(NUMBER_WORDS)}
WORD_FORMS.update({r: NUMBER_WORDS[n] for r, n in _ROMAN.items()})
# Abbreviations people type either way.
WORD_FORMS.update({"dr": "doctor", "mr": "mister", "st": "saint", "sgt": "sergeant", "pt": "part", "vs": "versus",
                   "blvd": "boulevard", "jr": "junior", "mt": "mount", "ft": "fort", "vol": "volume"})
# Abbreviations with a second meaning ("Miracle on 34th St.", "Escape to Witch Mt."): a title
# holding one is also found under the other spelling.
OTHER_FORMS = {"st": "street", "mt": "mountain"}
_OTHER_FORM = re.compile(rf"\b({'|'.join(OTHER_FORMS)})\b", re.IGNORECASE)
_FIRST_FORMS = re.compile("|".join(WORD_FORMS[a] for a in OTHER_FORMS))  # what keys hold for them: saint, mount
NUMBERS = frozenset(NUMBER_WORDS)
# Words that carry little when comparing bags of words ("Jurassic Park: The Lost World").
STOP_WORDS = frozenset(("the", "a", "an", "of", "and", "in", "on", "to", "for"))


@dataclass(frozen=True)
class NormalizedTitle:
    """A title reduced to its matching key, the year it named and the article it started with (or None)."""

    key: str
    year: int | None
    article: str | None = None


def fold(text: str) -> str:
    """Accent-free, case-folded text, symbols and invisible characters removed, '&' spelled out.

    "Misérables & Co™" -> "miserables and co"; full-width letters become ASCII; dashes and quotes
    become '-' and '\\''. Punctuation is kept; `punctuation_to_spaces` removes it after articles are found.
    """
    if text.isascii():  # most titles: nothing to decompose (5x faster index build)
        text = text.lower().translate(_QUOTES)
    else:
        text = text.translate(_FRACTIONS)
        # Symbols (emoji, ™) and format characters (zero-width space, soft hyphen) carry no title.
        text = "".join(c for c in text if unicodedata.category(c) not in ("So", "Cf"))
        text = unicodedata.normalize("NFKD", text.casefold())
        text = "".join(c for c in text if not unicodedata.combining(c)).translate(_QUOTES)
    return " ".join(text.replace("&", " and ").split())


def strip_markup(text: str) -> str:
    """Pasted text without HTML tags and with its entities decoded: "<b>Cats &amp; Dogs</b>" -> " Cats & Dogs "."""
    if "<" in text:
        text = _TAG.sub(" ", text)
    return html.unescape(text) if "&" in text else text


def punctuation_to_spaces(text: str) -> str:
    """Removes punctuation (glued acronyms, possessives and thousands stay one word), splits digits from letters."""
    if text.replace(" ", "").isalpha():
        return " ".join(text.split())  # letters and spaces only (most keys): no pattern below would change a thing
    return _punctuation_to_spaces(text)


def _punctuation_to_spaces(text: str) -> str:
    text = _THOUSANDS.sub("", _INNER_APOSTROPHE.sub("", _GLUE.sub("", text)))
    text = _LETTER_DIGIT.sub(" ", text)
    return " ".join(_NON_WORD.sub(" ", text).replace("_", " ").split())


def _year(digits: str) -> int:
    if len(digits) == 2:  # "'95" and "(95)": the catalog's century is the 1900s until "(30)"
        return (1900 if int(digits) >= 30 else 2000) + int(digits)
    return int(digits)


def split_year(text: str) -> tuple[str, int | None]:
    """Splits a trailing year off:
    "Heat (1995)", "heat 1995", "Heat, 1995", "Heat - 1995", "heat '95" -> ("Heat", 1995).

    A number outside MIN_YEAR..MAX_YEAR, or one that is the whole title ("1941"), is not a year.
    """
    stripped = " ".join(text.translate(_QUOTES).split())
    if not stripped or not (stripped[-1].isdigit() or stripped[-1] in ")]"):
        return stripped, None  # every pattern below ends in a digit or a closing bracket
    return _split_year(stripped)


def _split_year(stripped: str) -> tuple[str, int | None]:
    for pattern in (_BRACKETED_YEAR, _SHORT_YEAR, _PLAIN_YEAR):
        m = pattern.match(stripped)
        if m and MIN_YEAR <= _year(m["year"]) <= MAX_YEAR and any(c.isalnum() for c in m["text"]):
            return m["text"].strip(), _year(m["year"])
    return stripped, None


def drop_article(folded: str) -> tuple[str, str | None]:
    """Drops one leading or moved trailing article from folded text, unless nothing would remain.

    "usual suspects, the" and "the usual suspects" both give ("usual suspects", "the"); "l'uomo" -> ("uomo", "l").
    """
    m = _TRAILING_ARTICLE.match(folded)
    if m and punctuation_to_spaces(m["text"]):
        return m["text"].strip(), m["article"].replace(" ", "").rstrip("'")
    m = _LEADING_ARTICLE.match(folded)
    if m:
        text, article = (m["text"], m["article"]) if m["article"] else (m["ltext"], "l")
        if punctuation_to_spaces(text):
            return text.strip(), article
    return folded, None


def words_to_key(text: str) -> str:
    """Folded text as key words: punctuation gone, numbers and abbreviations in one spelling,
    "part" before a number dropped."""
    words = [WORD_FORMS.get(w, w) for w in punctuation_to_spaces(text).split()]
    return " ".join(w for i, w in enumerate(words)
                    if not (w == "part" and i + 1 < len(words) and (words[i + 1] in NUMBERS or words[i + 1].isdigit())))


def normalize_title(text: str, extract_year: bool = True) -> NormalizedTitle:
    """Key, year and article of a title as a person types it or the catalog spells it.

    "The Usual Suspects", "usual suspects" and "Usual Suspects, The (1995)" all give the key
    "usual suspects" (the last with year 1995). With extract_year=False a trailing number stays
    in the key, for titles such as "Blues Brothers 2000".
    """
    year = None
    if extract_year:
        text, year = split_year(text)
    body, article = drop_article(fold(text))
    return NormalizedTitle(words_to_key(body), year, article)


def split_alternate(text: str) -> tuple[str, str | None]:
    """Splits a trailing parenthesised alternate title off: "Seven (Se7en)" -> ("Seven", "Se7en").

    Returns (text, None) when there is none. A bracketed year is not an alternate title.
    """
    text = text.strip()
    m = _ALTERNATE.match(text) if text.endswith(")") else None  # the pattern's lazy start is slow on a long miss
    if m is None or split_year(f"x ({m['alt']})")[1] is not None:
        return text, None
    return m["main"].strip(), m["alt"].strip()


def title_variants(text: str) -> tuple[NormalizedTitle, ...]:
    """Every (key, article) a title (year already removed) can be found under, most specific first, no blanks.

    "Nikita (La Femme Nikita)" -> keys "nikita la femme nikita", "nikita", "femme nikita";
    "Miracle on 34th St." -> "miracle on 34 th saint", "miracle on 34 th street".
    """
    parts = [text]
    main, alt = split_alternate(text)
    if alt is not None:
        parts += [main, alt]
    # "Butt-head" is typed "butthead" as often as "butt head": both spellings are keys.
    parts += [_WORD_HYPHEN.sub("", p) for p in parts if _WORD_HYPHEN.search(p)]
    out: dict[str, NormalizedTitle] = {}
    for part in parts:
        n = normalize_title(part, extract_year=False)
        if n.key and n.key not in out:
            out[n.key] = n
    if _FIRST_FORMS.search(" ".join(out)):  # a test of the keys spares most titles the pattern over the parts
        for part in [p for p in parts if _OTHER_FORM.search(p)]:
            n = normalize_title(_OTHER_FORM.sub(lambda m: OTHER_FORMS[m[1].lower()], part), extract_year=False)
            out.setdefault(n.key, n)
    return tuple(out.values())


def title_keys(text: str) -> tuple[str, ...]:
    """The keys of title_variants: "Seven (Se7en)" -> ("seven se seven en", "seven", "se seven en")."""
    return tuple(n.key for n in title_variants(text))


def leading_acronym(text: str) -> str | None:
    """The dotted acronym a title starts with, as people shorten it: "E.T. the Extra-Terrestrial" -> "et".

    None when the title does not start with one of at least two letters or is nothing else.
    """
    m = re.match(r"^\s*((?:[^\W\d_]\.){2,})\s*(\S.*)?$", fold(text))
    if m is None or not m[2]:
        return None
    return m[1].replace(".", "")


def sorted_words(key: str) -> str:
    """Key words sorted, stop words left out: "jurassic park the lost world" -> "jurassic lost park world"."""
    words = [w for w in key.split() if w not in STOP_WORDS]
    return " ".join(sorted(words or key.split()))


def key_numbers(key: str) -> tuple[str, ...]:
    """The numbers of a key, sorted: "star trek six the undiscovered country" -> ("six",)."""
    return tuple(sorted(w for w in key.split() if w in NUMBERS or w.isdigit()))
