"""TitleIndex: resolves typed titles to catalog movies and completes prefixes, over precomputed keys."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from services.common.artifact import CatalogMovie
from services.matcher.normalize import normalize_title, split_year, title_keys

# Tuned on the ML-100K catalog with one random typo in each title and ~120 well-known films the
# catalog lacks (tests/matcher/test_ml100k.py checks both). At 0.9 a typo is forgiven in 99% of
# titles of 10+ characters and no absent film gets a confident answer; at 0.85 "Rocky" became
# "Rock, The" and "Argo" became "Fargo": in a short title one edit makes another film. An exact
# title whose year is off by more than one (YEAR_MISMATCH) also falls below.
MATCH_THRESHOLD = 0.9
# Candidates below this are noise, not worth a "did you mean".
ALTERNATIVE_FLOOR = 0.5
# Same words in another order ("suspects usual") is a near match, but not an exact one.
TOKEN_SORT_WEIGHT = 0.95
# A different sequel number ("godfather 2" vs "Godfather, The"; "alien" vs "Alien 3") is
# another film, however similar the letters.
NUMBER_MISMATCH = 0.85
# Confidence factors when the query names a year: release years often differ by one between
# sources; more than that is probably another film with the same title.
YEAR_OFF_BY_ONE, YEAR_UNKNOWN, YEAR_MISMATCH = 0.95, 0.95, 0.7
# A fuzzy prefix of fewer characters matches almost anything.
SUGGEST_FUZZY_MIN_CHARS = 4
SUGGEST_FUZZY_FLOOR = 0.8
INNER_WORD_FACTOR = 0.9
_TOP_CODEPOINT = "\U0010ffff"


@dataclass(frozen=True)
class Candidate:
    """A catalog movie and how confident the matcher is (0..1, 1 = same key after normalisation)."""

    movie: CatalogMovie
    confidence: float


def _effective_key_text(movie: CatalogMovie) -> tuple[str, int]:
    """Title text to index (year removed unless it is part of the name) and the best known year."""
    text, title_year = split_year(movie.title)
    if title_year is not None and movie.year not in (0, title_year):
        # "Blues Brothers 2000" (1998): the number is part of the name.
        return movie.title, movie.year
    return text, movie.year or title_year or 0


def _sorted_words(key: str) -> str:
    return " ".join(sorted(key.split()))


def _numbers(key: str) -> tuple[str, ...]:
    """The numbers of a key as sorted words: "star trek 6 the undiscovered country" -> ("6",)."""
    return tuple(sorted(w for w in key.split() if w.isdigit()))


class TitleIndex:
    """All catalog titles as normalised keys, built once; every request is whole-array work.

    Entries are (key, movie row) pairs: a movie has one entry per key it can be found under
    (its title, and for "Seven (Se7en)" also "seven" and "se7en"); a key shared by several
    movies ("Body Snatchers" 1956 and 1993) has one entry per movie.
    """

    def __init__(self, movies: tuple[CatalogMovie, ...], threshold: float = MATCH_THRESHOLD) -> None:
        if not movies:
            raise ValueError("cannot index an empty catalog")
        self.movies = tuple(movies)
        self.threshold = threshold
        years, keys, rows = [], [], []
        for row, movie in enumerate(self.movies):
            text, year = _effective_key_text(movie)
            years.append(year)
            for key in title_keys(text):
                keys.append(key)
                rows.append(row)
        self.years = np.asarray(years, dtype=np.int32)  # (M,) 0 when unknown
        self.popularity = np.asarray([m.n_ratings for m in self.movies], dtype=np.int64)  # (M,)
        self.entry_keys: list[str] = keys  # (E,)
        # Words sorted once here, so token_sort_ratio is a plain ratio per request (5x faster).
        self._entry_sorted_keys = [_sorted_words(k) for k in keys]  # (E,)
        self.entry_rows = np.asarray(rows, dtype=np.int64)  # (E,) row into movies
        self._entry_lengths = np.asarray([len(k) for k in keys], dtype=np.float32)  # (E,)
        self._entry_years = self.years[self.entry_rows]  # (E,)
        # Each distinct set of numbers in a key gets an id, so comparing a query's numbers with
        # every key's is one array comparison.
        self._number_ids: dict[tuple[str, ...], int] = {}
        self._entry_numbers = np.asarray(
            [self._number_ids.setdefault(_numbers(k), len(self._number_ids)) for k in keys], dtype=np.int64)  # (E,)

        # Every word-start suffix of every key, sorted, so a prefix is two binary searches:
        # "jurassic park" is stored as "jurassic park" (at start) and "park" (inner word).
        suffixes, owners, at_start = [], [], []
        for entry, key in enumerate(keys):
            for i, ch in enumerate(key):
                if i == 0 or (key[i - 1] == " " and ch != " "):
                    suffixes.append(key[i:])
                    owners.append(entry)
                    at_start.append(i == 0)
        order = np.argsort(np.asarray(suffixes), kind="stable")
        self._suffixes = np.asarray(suffixes)[order]  # (S,) unicode, sorted
        self._suffix_entry = np.asarray(owners, dtype=np.int64)[order]  # (S,)
        self._suffix_at_start = np.asarray(at_start, dtype=bool)[order]  # (S,)

    def __len__(self) -> int:
        return len(self.movies)

    # -- resolve ----------------------------------------------------------------------------

    def _year_factor(self, year: int | None) -> np.ndarray:
        """(E,) float32 confidence factor of each entry for a query that names `year`."""
        if year is None:
            return np.ones(len(self.entry_keys), dtype=np.float32)
        diff = np.abs(self._entry_years - year)
        factor = np.where(diff == 0, 1.0, np.where(diff == 1, YEAR_OFF_BY_ONE, YEAR_MISMATCH))
        return np.where(self._entry_years == 0, YEAR_UNKNOWN, factor).astype(np.float32)

    def _similarity(self, queries: list[str]) -> np.ndarray:
        """(len(queries), E) float32 in 0..1; 1 only for identical keys."""
        ratio = cdist(queries, self.entry_keys, scorer=fuzz.ratio, dtype=np.float32)
        token_sort = cdist([_sorted_words(q) for q in queries], self._entry_sorted_keys, scorer=fuzz.ratio,
                           dtype=np.float32)  # = fuzz.token_sort_ratio on the raw keys
        similarity = np.maximum(ratio, TOKEN_SORT_WEIGHT * token_sort) / 100.0
        number_ids = np.asarray([self._number_ids.get(_numbers(q), -1) for q in queries])
        mismatch = self._entry_numbers[None, :] != number_ids[:, None]
        return np.where(mismatch, NUMBER_MISMATCH * similarity, similarity)

    def movie_confidence(self, query: str) -> np.ndarray:
        """(M,) float32 confidence that `query` means each movie.

        The query is tried as typed ("Heat (1995)" -> key "heat", year 1995), under its
        alternate-title parts, and, when it ends in a year-like number, with that number as part
        of the title ("Blues Brothers 2000"); each movie keeps its best score.
        """
        text, year = split_year(query)
        variants = [(key, year) for key in title_keys(text)]
        if year is not None:
            variants += [(key, None) for key in title_keys(query) if (key, None) not in variants]
        best = np.zeros(len(self.movies), dtype=np.float32)
        if not variants:
            return best
        similarity = self._similarity([key for key, _ in variants])  # (V, E)
        by_entry = np.max(similarity * np.stack([self._year_factor(y) for _, y in variants]), axis=0)
        np.maximum.at(best, self.entry_rows, by_entry)
        return best

    def _ranked(self, confidence: np.ndarray, floor: float) -> np.ndarray:
        """Rows with confidence >= floor, by confidence then popularity (descending)."""
        rows = np.flatnonzero(confidence >= floor)
        return rows[np.lexsort((-self.popularity[rows], -confidence[rows]))]

    def resolve(self, query: str, max_alternatives: int = 3) -> tuple[Candidate | None, list[Candidate]]:
        """The confident match for a typed title (or None) and up to max_alternatives others, best first.

        Identical keys score 1.0; a year in the query decides between same-titled movies and
        lowers the confidence of the others; without a year the more-rated movie wins. With no
        confident match, the alternatives are the nearest candidates.
        """
        confidence = self.movie_confidence(query)
        ranked = self._ranked(confidence, ALTERNATIVE_FLOOR)
        best = None
        if len(ranked) and confidence[ranked[0]] >= self.threshold:
            best = self._candidate(ranked[0], confidence)
            ranked = ranked[1:]
        return best, [self._candidate(row, confidence) for row in ranked[:max_alternatives]]

    def _candidate(self, row: int, confidence: np.ndarray) -> Candidate:
        return Candidate(self.movies[row], round(float(confidence[row]), 4))

    # -- suggest ----------------------------------------------------------------------------

    def suggest(self, prefix: str, limit: int = 10) -> list[Candidate]:
        """Movies whose title starts with (or has a word starting with) the typed prefix.

        Ranked by match quality (whole key, key prefix, inner word) then popularity; a named
        year puts that year's movies first. Filled with fuzzy prefix matches when there are
        fewer than `limit`. Confidence is the share of the title already typed.
        """
        normalized = normalize_title(prefix)
        typed = normalized.key
        if not typed or limit <= 0:
            return []
        lo, hi = np.searchsorted(self._suffixes, [typed, typed + _TOP_CODEPOINT])
        entries = self._suffix_entry[lo:hi]
        at_start = self._suffix_at_start[lo:hi]
        coverage = len(typed) / self._entry_lengths[entries]
        entry_tier = np.where(at_start, np.where(coverage >= 1.0, 0, 1), 2)
        entry_conf = np.where(at_start, coverage, INNER_WORD_FACTOR * coverage).astype(np.float32)

        n = len(self.movies)
        tier = np.full(n, 3, dtype=np.int64)
        confidence = np.zeros(n, dtype=np.float32)
        rows = self.entry_rows[entries]
        np.minimum.at(tier, rows, entry_tier)
        np.maximum.at(confidence, rows, entry_conf)
        year_first = (self.years != normalized.year) if normalized.year is not None else np.zeros(n, dtype=bool)
        hits = np.flatnonzero(tier < 3)
        hits = hits[np.lexsort((-self.popularity[hits], year_first[hits], tier[hits]))][:limit]
        out = [self._candidate(row, confidence) for row in hits]

        if len(out) < limit and len(typed) >= SUGGEST_FUZZY_MIN_CHARS:
            out += self._fuzzy_prefix(typed, limit - len(out), exclude=hits)
        return out

    def _fuzzy_prefix(self, typed: str, count: int, exclude: np.ndarray) -> list[Candidate]:
        """Movies whose key starts with something close to `typed` ("jurasic p" -> "jurassic park")."""
        heads = [key[: len(typed)] for key in self.entry_keys]
        similarity = cdist([typed], heads, scorer=fuzz.ratio, dtype=np.float32)[0] / 100.0  # (E,)
        similarity[similarity < SUGGEST_FUZZY_FLOOR] = 0.0
        coverage = np.minimum(1.0, len(typed) / self._entry_lengths)
        quality = np.zeros(len(self.movies), dtype=np.float32)
        confidence = np.zeros(len(self.movies), dtype=np.float32)
        np.maximum.at(quality, self.entry_rows, similarity)
        np.maximum.at(confidence, self.entry_rows, (similarity * coverage).astype(np.float32))
        quality[exclude] = 0.0
        ranked = self._ranked(quality, SUGGEST_FUZZY_FLOOR)[:count]
        return [self._candidate(row, confidence) for row in ranked]
