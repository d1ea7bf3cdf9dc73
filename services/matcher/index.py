"""TitleIndex: resolves typed titles to catalog movies and completes prefixes, over precomputed keys."""
from __future__ import annotations

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from rapidfuzz.process import cdist

from movierec.artifact import CatalogMovie
from services.matcher.candidate import Candidate
from services.matcher.grams import TrigramIndex
from services.matcher.normalize import (
    NUMBERS,
    STOP_WORDS,
    NormalizedTitle,
    fold,
    key_numbers,
    leading_acronym,
    sorted_words,
    split_year,
    strip_markup,
    title_variants,
    words_to_key,
)
from services.matcher.one_word import one_word_titles
from services.matcher.prefixes import WordStartIndex
from services.matcher.sequels import without_sequel_number
from services.matcher.suggest import suggest, warm_up
from services.matcher.typos import has_foreign_word, is_near_typo, is_typo_of, numbers_agree

# Below this a result is "no match" with alternatives. Set on bench/matcher (hand-checked queries,
# see RESULTS.md): lower, and short absent films ("Argo", "Rocky") start to land on real ones.
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
# "The Little Princess" (1939) and "A Little Princess" (1995) share a key; the article typed decides.
ARTICLE_MISMATCH = 0.99
# Typos as edits (a transposition is one): the confidence a key within the allowed edits gets
# however short it is, where fuzz.ratio punishes one swapped letter in "jwas" (0.75).
TYPO_CONFIDENCE = {1: 0.93, 2: 0.91}
# Letters alike but one word plainly another ("toy story three" / "Holy Story III" at ratio 0.90;
# "dark knight" / "Dark Night" at 0.95): near, not the same title. Checked only where it could matter.
FOREIGN_WORD, FOREIGN_WORD_CHECK = 0.97, 0.85
# A typed phrase that is whole words of exactly one title ("last crusade", "shawshank") is that
# title; of several ("star trek") it is only a suggestion. Shorter phrases are too easily part of anything.
PHRASE_BASE, PHRASE_COVERAGE, PHRASE_AMBIGUOUS, PHRASE_MIN_CHARS = 0.91, 0.07, 0.8, 6
PHRASE_MAX_SUFFIXES = 200
# "E.T." for "E.T. the Extra-Terrestrial": the leading acronym is a key, slightly below the title.
ACRONYM_WEIGHT = 0.95
# "Star Trek II: The Wrath of Khan" read without the number the catalog leaves out: near, not the same title.
SEQUEL_DROPPED = 0.97
# One distinctive word beginning exactly one well-known title ("shawshank", "pulp"): that title (one_word.py).
ONE_WORD = 0.92
# A misspelling just under the cut ("indepence day") whose movie beats every other by this much, with
# one slip per word more than a typo and nothing else against it, is a match (its confidence raised to the cut).
MARGIN_FLOOR, MARGIN_GAP = 0.85, 0.1
# Up to this many keys every key is scored; beyond it only the trigram index's best candidates.
FULL_SCAN_MAX_KEYS = 512
TRIGRAM_CANDIDATES = 64
SHORT_KEY_CHARS = 6


def _effective_key_text(movie: CatalogMovie) -> tuple[str, int]:
    """Title text to index (year removed unless it is part of the name) and the best known year."""
    text, title_year = split_year(movie.title)
    if title_year is not None and movie.year not in (0, title_year):
        # "Blues Brothers 2000" (1998): the number is part of the name.
        return movie.title, movie.year
    return text, movie.year or title_year or 0


class TitleIndex:
    """All catalog titles as normalised keys, built once; every request scores only a few candidates.

    Entries are (key, movie row) pairs: a movie has one entry per key it can be found under (its
    title; for "Seven (Se7en)" also "seven" and "se seven en"; for "E.T. the Extra-Terrestrial"
    also "et"); a key shared by several movies ("Body Snatchers" twice) has one entry per movie.
    """

    def __init__(self, movies: tuple[CatalogMovie, ...], threshold: float = MATCH_THRESHOLD) -> None:
        if not movies:
            raise ValueError("cannot index an empty catalog")
        self.movies = tuple(movies)
        self.threshold = threshold
        years, keys, rows, articles, weights = [], [], [], [], []
        for row, movie in enumerate(self.movies):
            text, year = _effective_key_text(movie)
            years.append(year)
            variants = [(n, 1.0) for n in title_variants(text)]
            acronym = leading_acronym(text)
            if acronym and all(n.key != acronym for n, _ in variants):
                variants.append((NormalizedTitle(acronym, None), ACRONYM_WEIGHT))
            for n, weight in variants:
                keys.append(n.key)
                rows.append(row)
                articles.append(n.article)
                weights.append(weight)
        self.years = np.asarray(years, dtype=np.int32)  # (M,) 0 when unknown
        self.popularity = np.asarray([m.n_ratings for m in self.movies], dtype=np.int64)  # (M,)
        # (M,) 0 for the most rated movie; ties keep catalog order.
        self.popularity_rank = np.argsort(np.argsort(-self.popularity, kind="stable"), kind="stable")
        self.entry_keys: list[str] = keys  # (E,)
        # Words sorted once here, so token_sort_ratio is a plain ratio per request.
        self._entry_sorted = [sorted_words(k) for k in keys]  # (E,)
        self.entry_rows = np.asarray(rows, dtype=np.int64)  # (E,) row into movies
        self.entry_lengths = np.asarray([len(k) for k in keys], dtype=np.float32)  # (E,)
        self._entry_years = self.years[self.entry_rows]  # (E,)
        self._entry_articles = np.asarray([a or "" for a in articles])  # (E,) unicode, "" for none
        self._entry_weights = np.asarray(weights, dtype=np.float32)  # (E,)
        # Each distinct set of numbers in a key gets an id, so comparing a query's numbers with
        # every candidate's is one array comparison. A key that is only a number ("Seven") is exempt.
        self._number_ids: dict[tuple[str, ...], int] = {}
        self._entry_numbers = np.asarray(
            [-2 if k in NUMBERS else self._number_ids.setdefault(key_numbers(k), len(self._number_ids))
             for k in keys], dtype=np.int64)  # (E,)
        # Short keys by (first letter, length): a typo of one keeps its first letter, or swaps it with the second.
        short: dict[tuple[str, int], list[int]] = {}
        for entry, key in enumerate(keys):
            if len(key) <= SHORT_KEY_CHARS + 1:
                short.setdefault((key[0], len(key)), []).append(entry)
        self._short_keys = {k: np.asarray(v, dtype=np.int64) for k, v in short.items()}
        # The same as plain lists, for the fast path's scalar reads.
        self._entry_weight_list, self._entry_row_list = weights, rows
        self._entry_year_list = self._entry_years.tolist()
        self._entry_article_list = articles
        # Key -> its entries, for the dictionary fast path of resolve.
        self._key_entries: dict[str, tuple[int, ...]] = {}
        for entry, key in enumerate(keys):
            self._key_entries[key] = self._key_entries.get(key, ()) + (entry,)
        self.grams = TrigramIndex(keys)
        self._one_word = one_word_titles(keys, rows, self.popularity_rank)
        self.words = WordStartIndex(keys)
        self.short_prefix_answers: dict[tuple[str, ...], list[Candidate]] = {}  # filled by suggest.py
        warm_up(self)

    def __len__(self) -> int:
        return len(self.movies)

    # -- resolve ----------------------------------------------------------------------------

    @staticmethod
    def query_variants(query: str) -> list[NormalizedTitle]:
        """The readings of a typed title, each a (key, year, article): as typed ("Heat (1995)" -> "heat",
        1995), under its alternate-title parts, with a leading article kept as a word ("LA Confidential"),
        and, when it ends in a year-like number, with that number as part of the title ("Blues Brothers 2000").
        Pasted markup is read without its tags and entities, and also as typed (a title may look like markup)."""
        stripped = strip_markup(query)
        variants = _readings(stripped) if stripped == query else _readings(stripped) + _readings(query)
        unique: dict[tuple, NormalizedTitle] = {}
        for v in variants:
            unique.setdefault((v.key, v.year, v.article), v)
        return list(unique.values())

    def _candidates(self, variants: list[NormalizedTitle]) -> np.ndarray:
        """(C,) int64 entries worth scoring: all of a small catalog, else the trigram index's best per variant."""
        if len(self.entry_keys) <= FULL_SCAN_MAX_KEYS:
            return np.arange(len(self.entry_keys))
        found = [self.grams.top(key, TRIGRAM_CANDIDATES) for key in {v.key: None for v in variants}]
        for v in variants:
            if len(v.key) <= SHORT_KEY_CHARS:
                # A swap in a short word ("jwas") leaves it no trigram in common with the right key:
                # every short key that could be its typo is a candidate instead.
                found += [self._short_keys[(first, n)] for first in set(v.key[:2])
                          for n in range(len(v.key) - 1, len(v.key) + 2) if (first, n) in self._short_keys]
        return np.unique(np.concatenate(found))

    def _factors(self, variant: NormalizedTitle, entries: np.ndarray) -> np.ndarray:
        """(C,) float32 year, article and key-kind factors of entries for one reading of the query."""
        factor = self._entry_weights[entries].copy()
        if variant.year is not None:
            years = self._entry_years[entries]
            diff = np.abs(years - variant.year)
            year_factor = np.where(diff == 0, 1.0, np.where(diff == 1, YEAR_OFF_BY_ONE, YEAR_MISMATCH))
            factor *= np.where(years == 0, YEAR_UNKNOWN, year_factor).astype(np.float32)
        if variant.article is not None:
            same_article = self._entry_articles[entries] == variant.article
            factor *= np.where(same_article, 1.0, ARTICLE_MISMATCH).astype(np.float32)
        return factor

    def _similarity(self, query_keys: list[str], entries: np.ndarray, keys: list[str]) -> np.ndarray:
        """(Q, C) float32 in 0..1 of each query key against the entries' keys; 1 only for identical keys.

        One rapidfuzz call per scorer for all the readings of a title (they share the candidates).
        """
        ratio = cdist(query_keys, keys, scorer=fuzz.ratio, dtype=np.float32)
        token_sort = cdist([sorted_words(k) for k in query_keys], [self._entry_sorted[e] for e in entries.tolist()],
                           scorer=fuzz.ratio, dtype=np.float32)
        similarity = np.maximum(ratio, TOKEN_SORT_WEIGHT * token_sort) / 100.0
        for q, i in zip(*np.nonzero((similarity >= FOREIGN_WORD_CHECK) & (similarity < 1.0))):
            if has_foreign_word(query_keys[q], keys[i]):
                similarity[q, i] *= FOREIGN_WORD
        edits = cdist(query_keys, keys, scorer=OSA.distance, score_cutoff=2, dtype=np.int32)
        for q, i in zip(*np.nonzero((edits > 0) & (edits <= 2))):
            if is_typo_of(query_keys[q], keys[i], int(edits[q, i])):
                similarity[q, i] = max(similarity[q, i], TYPO_CONFIDENCE[int(edits[q, i])])
        number_ids = np.asarray([-1 if k in NUMBERS else self._number_ids.get(key_numbers(k), -3) for k in query_keys],
                                dtype=np.int64)[:, None]  # (Q, 1)
        numbers = self._entry_numbers[entries][None, :]  # (1, C)
        mismatch = (numbers != number_ids) & (numbers != -2) & (number_ids != -1)
        for q, i in zip(*np.nonzero(mismatch & (similarity >= FOREIGN_WORD_CHECK))):
            mismatch[q, i] = not numbers_agree(query_keys[q], keys[i])
        return np.where(mismatch, NUMBER_MISMATCH * similarity, similarity).astype(np.float32)

    def _partial(self, key: str, entries: np.ndarray, keys: list[str]) -> tuple[np.ndarray, float]:
        """Entries whose key holds all the words of a query key (as a phrase found by the word-start index,
        or scattered among the candidate `entries`, whose keys are `keys`), and the confidence that gives
        (0 for none)."""
        none = np.zeros(0, dtype=np.int64), 0.0
        words = key.split()
        if len(key) < PHRASE_MIN_CHARS or all(w in NUMBERS or w in STOP_WORDS for w in words):
            return none
        found = []
        phrase = self.words.phrase(key, PHRASE_MAX_SUFFIXES)
        if phrase is not None and len(phrase):
            found.append(phrase)
        if sum(w not in STOP_WORDS for w in words) >= 3:  # scattered words: only a longer, telling query
            # keys holding every typed word and more (what token_set_ratio == 100 with more words meant);
            # a substring test first, as most candidates lack the first word
            wanted = set(words)
            longest = max(wanted, key=len)  # tested alone first: no generator for the many keys lacking it
            scattered = [e for e, k in zip(entries.tolist(), keys)
                         if longest in k and all(w in k for w in wanted) and wanted < set(k.split())]
            if scattered:
                found.append(np.asarray(scattered, dtype=np.int64))
        if not found:  # most typed titles with a typo: no phrase, nothing scattered
            return none
        hits = found[0] if len(found) == 1 else np.unique(np.concatenate(found))
        if len({self._entry_row_list[e] for e in hits.tolist()}) > 1:  # one movie's keys ("Se7en") are one title
            return hits, PHRASE_AMBIGUOUS
        coverage = len(key) / min(len(self.entry_keys[e]) for e in hits.tolist())
        return hits, PHRASE_BASE + PHRASE_COVERAGE * coverage

    def _scored(self, variants: list[NormalizedTitle]) -> tuple[np.ndarray, np.ndarray]:
        """(R,) int64 rows, ascending, and (R,) float32 their confidence: every reading of a query against
        the candidate keys (fuzzy, typo, whole-word phrase), times year/article/number factors; the best per movie."""
        dropped = self._sequel_readings(variants)
        readings = variants + dropped if dropped else variants
        entries = self._candidates(readings)
        keys = [self.entry_keys[e] for e in entries.tolist()]
        query_keys = list({v.key: None for v in readings})  # readings differing only in year/article share a key
        similarity = self._similarity(query_keys, entries, keys)  # (Q, C)
        by_entry = np.zeros(len(entries), dtype=np.float32)
        for i, v in enumerate(readings):
            weight = SEQUEL_DROPPED if i >= len(variants) else 1.0
            by_entry = np.maximum(by_entry, weight * similarity[query_keys.index(v.key)] * self._factors(v, entries))
        all_entries, scores = [entries], [by_entry]
        partial = {key: self._partial(key, entries, keys) for key in {v.key: None for v in variants}}
        for v in variants:
            phrase_entries, confidence = partial[v.key]
            if len(phrase_entries):
                all_entries.append(phrase_entries)
                scores.append((confidence * self._factors(v, phrase_entries)).astype(np.float32))
            entry = self._one_word.get(v.key)
            if entry is not None and v.article in (None, self._entry_article_list[entry]):
                all_entries.append(np.asarray([entry]))
                scores.append((ONE_WORD * self._factors(v, all_entries[-1])).astype(np.float32))
        rows, best = _best_per_row(self.entry_rows[np.concatenate(all_entries)], np.concatenate(scores))
        self._let_margin_count(variants, rows, best)
        return rows, best

    def _sequel_readings(self, variants: list[NormalizedTitle]) -> list[NormalizedTitle]:
        """Readings without a sequel number typed before a subtitle, when no catalog title holds the words up to
        that number ("star trek two the wrath of khan" -> "star trek the wrath of khan"; not "star trek three ...",
        which is the start of "Star Trek III: The Search for Spock")."""
        out = []
        for v in variants:
            split = without_sequel_number(v.key)
            if split is not None:
                holders = self.words.phrase(split[0], PHRASE_MAX_SUFFIXES)
                if holders is not None and len(holders) == 0:
                    out.append(NormalizedTitle(split[1], v.year, v.article))
        return out

    def _let_margin_count(self, variants: list[NormalizedTitle], rows: np.ndarray, confidence: np.ndarray) -> None:
        """Raises, in place, the best row's confidence to the cut when it is a near miss (MARGIN_FLOOR..cut) far
        ahead of the second (MARGIN_GAP) and some reading is a near typo of one of its keys with factors 1.0
        (year and article as typed): "indepence day" -> Independence Day; "argo" stays short of Fargo."""
        if len(confidence) == 0:
            return
        best = int(confidence.argmax())
        top = float(confidence[best])
        if not MARGIN_FLOOR <= top < self.threshold:  # most titles: a match already, or nothing near
            return
        second = float(np.partition(confidence, -2)[-2]) if len(confidence) > 1 else 0.0
        if not (MARGIN_FLOOR <= top < self.threshold and top - second >= MARGIN_GAP):
            return
        lo, hi = np.searchsorted(self.entry_rows, [rows[best], rows[best] + 1])  # entries are grouped by row
        entries = np.arange(lo, hi)
        for v in variants:
            factors = self._factors(v, entries)
            if any(f >= 1.0 and is_near_typo(v.key, self.entry_keys[e]) for e, f in zip(entries.tolist(), factors)):
                confidence[best] = self.threshold
                return

    def _exact(self, variants: list[NormalizedTitle]) -> tuple[np.ndarray, np.ndarray] | None:
        """Rows and confidences as _scored, from the entries whose key a reading of the query is, when one of
        them scores 1.0; else None. Nothing else can then rank first: only identical keys reach 1.0
        (fuzzy < 1, typos 0.93, phrases 0.98), so the best match is what full scoring would give; the
        alternatives are the other movies under those keys (same title, other years or articles)."""
        found = [(v, np.asarray(self._key_entries[v.key])) for v in variants if v.key in self._key_entries]
        if not found:
            return None
        entries = [e for _, e in found]
        scores = [self._factors(v, e) for v, e in found]  # similarity 1: identical keys
        if max(float(s.max()) for s in scores) < 1.0:
            return None
        return _best_per_row(self.entry_rows[np.concatenate(entries)], np.concatenate(scores))

    def _only_exact_row(self, variants: list[NormalizedTitle]) -> int | None:
        """The row _exact would answer alone (one entry under the readings' keys, confidence 1.0), else None."""
        found = {e for v in variants for e in self._key_entries.get(v.key, ())}
        if len(found) != 1:
            return None
        entry = found.pop()
        for v in variants:  # any reading of the key with factors 1.0: not an acronym, same year and article
            if (v.key == self.entry_keys[entry] and self._entry_weight_list[entry] == 1.0
                    and v.year in (None, self._entry_year_list[entry])
                    and v.article in (None, self._entry_article_list[entry])):
                return self._entry_row_list[entry]
        return None

    def movie_confidence(self, query: str) -> np.ndarray:
        """(M,) float32 confidence that `query` means each movie, by full scoring (see _scored); 0 where not scored."""
        best = np.zeros(len(self.movies), dtype=np.float32)
        variants = self.query_variants(query)
        if variants:
            rows, confidence = self._scored(variants)
            best[rows] = confidence
        return best

    def resolve(self, query: str, max_alternatives: int = 3) -> tuple[Candidate | None, list[Candidate]]:
        """The confident match for a typed title (or None) and up to max_alternatives others, best first.

        Identical keys score 1.0; a year in the query decides between same-titled movies and
        lowers the confidence of the others; without a year the more-rated movie wins. With no
        confident match, the alternatives are the nearest candidates. A query whose key is a catalog
        key with full confidence is answered from the key table, without fuzzy scoring.
        """
        variants = self.query_variants(query)
        if not variants:
            return None, []
        only = self._only_exact_row(variants)
        if only is not None:  # most typed titles: one movie under the key, no alternatives, no numpy
            return self.candidate(only, 1.0), []
        rows, confidence = self._exact(variants) or self._scored(variants)
        keep = confidence >= ALTERNATIVE_FLOOR
        rows, confidence = rows[keep], confidence[keep]
        order = np.lexsort((-self.popularity[rows], -confidence))  # rows ascending: ties keep catalog order
        ranked = order[:max_alternatives + 1].tolist()
        best = None
        if ranked and confidence[ranked[0]] >= self.threshold:
            best = self.candidate(int(rows[ranked[0]]), float(confidence[ranked[0]]))
            ranked = ranked[1:]
        return best, [self.candidate(int(rows[i]), float(confidence[i])) for i in ranked[:max_alternatives]]

    def candidate(self, row: int, confidence: float) -> Candidate:
        return Candidate(self.movies[row], round(confidence, 4))

    # -- suggest ----------------------------------------------------------------------------

    def suggest(self, prefix: str, limit: int = 10) -> list[Candidate]:
        """Movies whose title starts with (or has a word starting with) the typed prefix; see suggest.py."""
        return suggest(self, prefix, limit)


def _readings(query: str) -> list[NormalizedTitle]:
    """TitleIndex.query_variants of one text, repeats left in."""
    text, year = split_year(query)
    variants = [NormalizedTitle(n.key, year, n.article) for n in title_variants(text)]
    if variants and variants[0].article is not None:  # only then can the article kept as a word differ
        kept = words_to_key(fold(text))
        if kept:
            variants.append(NormalizedTitle(kept, year, None))
    if year is not None:
        variants += title_variants(query)
    return variants


def _best_per_row(rows: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(R,) distinct rows, ascending, and (R,) float32 the highest score of each, from (N,) rows and (N,) scores."""
    if len(rows) == 0:
        return rows, scores
    order = np.argsort(rows, kind="stable")
    rows, scores = rows[order], scores[order]
    starts = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
    return rows[starts], np.maximum.reduceat(scores, starts)
