"""Autocomplete over a TitleIndex: typed prefix -> movies, ranked by match quality then popularity."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from services.matcher.candidate import Candidate
from services.matcher.normalize import fold, normalize_title, split_year, words_to_key

if TYPE_CHECKING:
    from services.matcher.index import TitleIndex

# Quality tiers, best first: the whole key typed, a key prefix, a prefix of an inner word.
WHOLE, START, INNER = 0, 1, 2  # then fuzzy prefixes fill what is left
# A fuzzy prefix of fewer characters matches almost anything.
SUGGEST_FUZZY_MIN_CHARS = 4
SUGGEST_FUZZY_FLOOR = 0.8
FUZZY_CANDIDATES = 64
INNER_WORD_FACTOR = 0.9
# Prefixes this short are answered once (all one-letter ones at start-up) and kept, up to this many movies.
CACHED_PREFIX_CHARS, CACHED_LIMIT = 2, 50


_OPEN_YEAR = re.compile(r"^(?P<text>.*?\S)\s*[(\[]\s*(?P<year>\d{0,4})\s*$")


def typed_keys(prefix: str) -> tuple[list[str], int | None]:
    """The keys a typed prefix can start (article dropped, and kept: "la conf" -> "conf", "la conf") and its year."""
    m = _OPEN_YEAR.match(prefix)
    if m:  # a year still being typed: "alien (19", "alien (1979"
        prefix = m["text"] + (f" ({m['year']})" if len(m["year"]) == 4 else "")
    n = normalize_title(prefix)
    keys = [n.key] if n.key else []
    if n.article is not None:
        kept = words_to_key(fold(split_year(prefix)[0]))
        if kept and kept not in keys:
            keys.append(kept)
    return keys, n.year


def _exact_hits(index: TitleIndex, keys: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(H,) entries with a word starting with one of the keys, (H,) twice their tier (+1 for a reading
    without the typed article when the literal one is also tried), (H,) float32 share typed."""
    entries, tiers, shares = [], [], []
    for i, key in enumerate(keys):
        found, at_start = index.words.starting_with(key)
        coverage = len(key) / index.entry_lengths[found]
        entries.append(found)
        # Within a tier, what was typed literally ("la conf" -> L.A. Confidential) comes before the
        # reading without the article ("conf" -> Confidential Agent); half a tier, hence the doubling.
        literal = 0 if i == len(keys) - 1 else 1
        tiers.append(2 * np.where(at_start, np.where(coverage >= 1.0, WHOLE, START), INNER) + literal)
        shares.append(np.where(at_start, coverage, INNER_WORD_FACTOR * coverage).astype(np.float32))
    return np.concatenate(entries), np.concatenate(tiers), np.concatenate(shares)


def _first_rows(index: TitleIndex, entries: np.ndarray, order: np.ndarray, limit: int) -> list[int]:
    """Positions (into entries) of the first `limit` distinct movies in `order`."""
    seen: set[int] = set()
    picked = []
    for i in order.tolist():
        row = int(index.entry_rows[entries[i]])
        if row not in seen:
            seen.add(row)
            picked.append(i)
            if len(picked) == limit:
                break
    return picked


def warm_up(index: TitleIndex) -> None:
    """Answers every one-letter prefix the catalog has, so no request pays for the biggest spans."""
    for first in sorted({key[0] for key in index.entry_keys}):
        suggest(index, first, CACHED_LIMIT)


def suggest(index: TitleIndex, prefix: str, limit: int = 10) -> list[Candidate]:
    """Movies whose title starts with (or has a word starting with) the typed prefix, at most `limit`.

    Ranked by match quality (whole key, key prefix, inner word, fuzzy prefix), then a named year's
    movies first, then popularity. Confidence is the share of the title already typed.
    """
    keys, year = typed_keys(prefix)
    if not keys or limit <= 0:
        return []
    if year is None and len(keys[0]) <= CACHED_PREFIX_CHARS and limit <= CACHED_LIMIT:
        # One or two letters start thousands of keys at 62K movies; their answers are kept.
        cached = index.short_prefix_answers.get(tuple(keys))
        if cached is None:
            cached = index.short_prefix_answers[tuple(keys)] = _ranked(index, keys, None, CACHED_LIMIT)
        return cached[:limit]
    return _ranked(index, keys, year, limit)


def _ranked(index: TitleIndex, keys: list[str], year: int | None, limit: int) -> list[Candidate]:
    """suggest() for typed keys and year, without the cache."""
    entries, tiers, shares = _exact_hits(index, keys)
    rows = index.entry_rows[entries]
    other_year = (index.years[rows] != year) if year is not None else np.zeros(len(rows), dtype=bool)
    n = len(index.movies)
    # One integer per hit whose order is the ranking, so the best few are found without sorting all.
    rank = tiers.astype(np.int64) * (4 * n) + other_year * (2 * n) + index.popularity_rank[rows]
    shortlist = np.argpartition(rank, 8 * limit)[:8 * limit] if len(rank) > 8 * limit else np.arange(len(rank))
    picked = _first_rows(index, entries, shortlist[np.argsort(rank[shortlist], kind="stable")], limit)
    if len(picked) < limit and len(shortlist) < len(rank):  # the shortlist was all one movie's entries
        picked = _first_rows(index, entries, np.argsort(rank, kind="stable"), limit)
    out = [Candidate(index.movies[int(rows[i])], round(float(shares[i]), 4)) for i in picked]
    if len(out) < limit and len(keys[0]) >= SUGGEST_FUZZY_MIN_CHARS:
        out += _fuzzy(index, keys[0], limit - len(out), exclude={c.movie.movie_id for c in out})
    return out


def _fuzzy(index: TitleIndex, typed: str, count: int, exclude: set[int]) -> list[Candidate]:
    """Movies whose key starts with something close to `typed` ("jurasic p" -> "jurassic park"), best first."""
    entries = index.grams.top(typed, FUZZY_CANDIDATES)
    if len(entries) == 0:
        return []
    heads = [index.entry_keys[e][: len(typed)] for e in entries]
    similarity = cdist([typed], heads, scorer=fuzz.ratio, dtype=np.float32)[0] / 100.0  # (C,)
    rows = index.entry_rows[entries]
    order = np.lexsort((index.popularity_rank[rows], -similarity))
    out: list = []
    seen = set(exclude)
    for i in order.tolist():
        movie = index.movies[int(rows[i])]
        if similarity[i] < SUGGEST_FUZZY_FLOOR or len(out) == count:
            break
        if movie.movie_id not in seen:
            seen.add(movie.movie_id)
            share = min(1.0, len(typed) / float(index.entry_lengths[entries[i]]))
            out.append(Candidate(movie, round(float(similarity[i] * share), 4)))
    return out
