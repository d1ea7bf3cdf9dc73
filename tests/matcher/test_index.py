"""TitleIndex on the tiny artifact's catalog: exact and fuzzy hits, years, duplicates, no-match, suggest."""
from __future__ import annotations

import numpy as np
import pytest
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from rapidfuzz.process import cdist

import services.matcher.index as index_module
from movierec.artifact import CatalogMovie, load_catalog
from services.matcher.index import (
    ALTERNATIVE_FLOOR,
    FOREIGN_WORD,
    FOREIGN_WORD_CHECK,
    FULL_SCAN_MAX_KEYS,
    MARGIN_FLOOR,
    MARGIN_GAP,
    MATCH_THRESHOLD,
    NUMBER_MISMATCH,
    ONE_WORD,
    PHRASE_AMBIGUOUS,
    PHRASE_BASE,
    PHRASE_COVERAGE,
    PHRASE_MAX_SUFFIXES,
    PHRASE_MIN_CHARS,
    SEQUEL_DROPPED,
    TOKEN_SORT_WEIGHT,
    TYPO_CONFIDENCE,
    YEAR_MISMATCH,
    TitleIndex,
)
from services.matcher.normalize import NUMBERS, STOP_WORDS, key_numbers, normalize_title, sorted_words, title_keys
from services.matcher.one_word import (
    DISTINCTIVE_MAX_MOVIES,
    FAMOUS_BELOW_CHARS,
    FAMOUS_RANK,
    WELL_KNOWN_RANK,
    WORD_MIN_CHARS,
)
from services.matcher.sequels import without_sequel_number
from services.matcher.suggest import _ranked as uncached_suggest
from services.matcher.suggest import typed_keys
from services.matcher.typos import has_foreign_word, is_near_typo, is_typo_of, numbers_agree


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


# "star" begins one title here (Star Wars), so it means it: test_one_distinctive_word_* has the ambiguous case
@pytest.mark.parametrize("query", ["The Matrix", "Inception", "xyzzy", "heet", "Heat 1980", "toy soldiers", "!!!"])
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
    assert best_id(index, "godfather 2") == 2  # "Part" before a number is dropped on both sides
    assert best_id(index, "alien 4") is None
    assert best_id(index, "alien 3") == 4 and best_id(index, "alien") == 3
    best, alternatives = index.resolve("godfather 3")
    assert best is None and {a.movie.movie_id for a in alternatives[:2]} == {1, 2}


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


def slow_pair_similarity(q: str, key: str) -> float:
    """Similarity of a query key and a catalog key as _similarity computes it, one pair at a time."""
    s = max(fuzz.ratio(q, key), TOKEN_SORT_WEIGHT * fuzz.ratio(sorted_words(q), sorted_words(key))) / 100
    if FOREIGN_WORD_CHECK <= s < 1 and has_foreign_word(q, key):
        s *= FOREIGN_WORD
    edits = OSA.distance(q, key)
    if is_typo_of(q, key, edits):
        s = max(s, TYPO_CONFIDENCE[edits])
    if key not in NUMBERS and q not in NUMBERS and key_numbers(q) != key_numbers(key):
        if not (s >= FOREIGN_WORD_CHECK and numbers_agree(q, key)):
            s *= NUMBER_MISMATCH
    return s


def slow_confidence(index: TitleIndex, query: str) -> np.ndarray:
    """The obvious per-movie loop that movie_confidence vectorises (queries without a year or article)."""
    q = normalize_title(query).key
    out = np.zeros(len(index.movies), dtype=np.float32)
    keys = {row: title_keys(m.title) for row, m in enumerate(index.movies)}  # tiny titles carry no year
    readings = [(q, 1.0)]
    dropped = without_sequel_number(q)  # a sequel number before a subtitle, naming no catalog title
    if dropped and not any(f" {dropped[0]} " in f" {k} " for ks in keys.values() for k in ks):
        readings.append((dropped[1], SEQUEL_DROPPED))
    for row, movie_keys in keys.items():
        out[row] = max(weight * slow_pair_similarity(r, key) for key in movie_keys for r, weight in readings)
    # whole words of one title (a phrase): that title; of several: only a suggestion
    if len(q) >= PHRASE_MIN_CHARS and not all(w in NUMBERS or w in STOP_WORDS for w in q.split()):
        holders = {(row, key) for row, movie_keys in keys.items() for key in movie_keys
                   if f" {q} " in f" {key} "}
        distinct = {row for row, _ in holders}
        for row, _ in holders:
            shortest = min(len(k) for r, k in holders if r == row)
            partial = PHRASE_AMBIGUOUS if len(distinct) > 1 else PHRASE_BASE + PHRASE_COVERAGE * len(q) / shortest
            out[row] = max(out[row], partial)
    # one distinctive word that begins exactly one well-known title
    if " " not in q and len(q) >= WORD_MIN_CHARS and q not in NUMBERS and q not in STOP_WORDS:
        holding = {row for row, movie_keys in keys.items() if any(q in k.split() for k in movie_keys)}
        top = FAMOUS_RANK if len(q) < FAMOUS_BELOW_CHARS else WELL_KNOWN_RANK
        known = [row for row, movie_keys in keys.items()
                 if any(k.split()[0] == q for k in movie_keys) and index.popularity_rank[row] < top]
        if len(holding) <= DISTINCTIVE_MAX_MOVIES and len(known) == 1:
            out[known[0]] = max(out[known[0]], ONE_WORD)
    # a near typo just under the cut, far ahead of the second: a match
    best, second = np.sort(out)[::-1][:2]
    row = int(np.argmax(out))
    if (MARGIN_FLOOR <= best < MATCH_THRESHOLD and best - second >= MARGIN_GAP
            and any(is_near_typo(q, k) for k in keys[row])):
        out[row] = MATCH_THRESHOLD
    return out


@pytest.mark.parametrize("query", ["jurasic park", "heat", "godfather", "lion king the", "star wars 2", "body",
                                   "usual", "godfater", "heaters", "star wars two", "suspects usual", "star",
                                   "jurasic prk", "jurrasic parc", "godfather 2 the return", "lion 4 king",
                                   "toy 2 story", "heathers", "misrables"])
def test_confidence_equals_the_obvious_loop(index, query):
    assert len(index.entry_keys) <= FULL_SCAN_MAX_KEYS  # the tiny catalog scores every key
    np.testing.assert_allclose(index.movie_confidence(query), slow_confidence(index, query), atol=1e-5)


def test_trigram_candidates_give_the_full_scan_answers(index, monkeypatch):
    queries = ["jurasic park", "the usual suspect", "the godfater", "suspects usual", "star wars 1978", "heat",
               "Heat (1995)", "heathers", "body snatchers 1956", "jwas", "the matrix", "lion king", "goldeneye"]
    def answer(query):  # the match and the alternatives worth offering (the scan also lists weak ones)
        best, alternatives = index.resolve(query, 10)
        return best, [a for a in alternatives if a.confidence >= 0.7]

    full = {q: answer(q) for q in queries}
    monkeypatch.setattr(index_module, "FULL_SCAN_MAX_KEYS", 0)
    for q in queries:
        assert answer(q) == full[q], q


def fully_scored_best(index: TitleIndex, query: str) -> tuple[int, float] | None:
    """The confident match (movie id, confidence) by scoring every candidate, as resolve did before its key table."""
    confidence = index.movie_confidence(query)
    rows = np.flatnonzero(confidence >= ALTERNATIVE_FLOOR)
    rows = rows[np.lexsort((-index.popularity[rows], -confidence[rows]))]
    if len(rows) == 0 or confidence[rows[0]] < MATCH_THRESHOLD:
        return None
    return index.movies[rows[0]].movie_id, round(float(confidence[rows[0]]), 4)


def typed_forms(m: CatalogMovie) -> list[str]:
    """A catalog title as people type it: as spelled, with its year, lower-case with the article in front,
    upper-case."""
    title, _, article = m.title.rpartition(", ")
    spoken = f"{article} {title}".lower() if article in ("The", "A", "An", "Les", "La", "Il") else m.title.lower()
    return [m.title, f"{m.title} ({m.year})", spoken, f"{spoken} {m.year}", m.title.upper(), f"{m.title} {m.year - 5}"]


def assert_key_table_agrees_with_full_scoring(index: TitleIndex, queries: list[str]) -> int:
    """The key table's answers are full scoring's (best and confidence); returns how many it answered."""
    answered = 0
    for query in queries:
        variants = index.query_variants(query)
        answered += variants != [] and index._exact(variants) is not None
        best, _ = index.resolve(query)
        got = None if best is None else (best.movie.movie_id, best.confidence)
        assert got == fully_scored_best(index, query), query
    return answered


def test_the_key_table_gives_the_full_scoring_answer(index):
    # other articles than the catalog's ("the heat": 0.99), a year off by one (0.95), typos
    queries = [q for m in index.movies for q in typed_forms(m)] + [
        "the heat", "a usual suspects", "les godfather", "heat 1996", "Seven (Se7en)", "godfater"]
    assert assert_key_table_agrees_with_full_scoring(index, queries) >= 4 * len(index.movies)


def test_the_key_table_gives_the_full_scoring_answer_among_many_similar_titles(tiny_artifact_root):
    # Remakes, moved articles, alternate titles and sequels among 3,000 titles: trigram candidates, not a scan.
    from bench.matcher.synthetic_catalog import synthetic_catalog
    catalog = synthetic_catalog(load_catalog(tiny_artifact_root)[1], size=3000, seed=3)
    big = TitleIndex(catalog)
    assert len(big.entry_keys) > FULL_SCAN_MAX_KEYS
    queries = [q for m in catalog[::10] for q in typed_forms(m)]
    assert assert_key_table_agrees_with_full_scoring(big, queries) >= len(queries) // 2


def test_a_key_below_full_confidence_leaves_the_answer_to_full_scoring():
    index = TitleIndex((movie(1, "Alien", 1979, 300), movie(2, "Aliens", 1986, 200)))
    # "alien" is a key, but its year is off (0.7); "Aliens" of that year is nearer (0.91)
    assert assert_key_table_agrees_with_full_scoring(index, ["alien 1986", "alien 1979", "aliens"]) == 2
    assert best_id(index, "alien 1986") == 2


def test_key_table_alternatives_are_the_movies_of_the_same_title(index):
    best, alternatives = index.resolve("Body Snatchers 1956", 10)
    assert (best.movie.movie_id, best.confidence) == (573, 1.0)
    assert [(a.movie.movie_id, a.confidence) for a in alternatives] == [(670, round(YEAR_MISMATCH, 4))]
    best, alternatives = index.resolve("the usual suspects", 10)
    assert best.movie.movie_id == 12 and alternatives == []
    best, alternatives = index.resolve("the usual suspect", 10)  # not a key: fuzzy scoring, near keys offered
    assert best.movie.movie_id == 12 and best.confidence < 1.0


@pytest.mark.parametrize(("query", "movie_id"), [
    ("haet", 273),  # a swap in a short title is a typo
    ("heatt", 273),  # so is a doubled letter
    ("Goldenye", 2),
    ("star wras", 50),
    ("suspects the usual", 12),
])
def test_typos_of_short_titles_are_forgiven(index, query, movie_id):
    assert best_id(index, query) == movie_id


@pytest.mark.parametrize("query", ["heats", "hat", "heal", "eat", "hea"])
def test_another_word_is_not_a_typo(index, query):
    assert best_id(index, query) is None


@pytest.mark.parametrize(("query", "key", "typo"), [
    ("jwas", "jaws", True), ("jawss", "jaws", True), ("haet", "heat", True), ("mimik", "mimic", True),
    ("rocky", "rock", False), ("babel", "babe", False), ("star", "stag", False), ("argo", "fargo", False),
    ("finding nemo", "finding leo", False), ("dark knight", "dark night", False),
    ("citizen cane", "citizen kane", True),
    ("star wras", "star wars", True), ("gatacca", "gattaca", True), ("xy", "xz", False),
])
def test_is_typo_of(query, key, typo):
    assert is_typo_of(query, key, OSA.distance(query, key)) is typo


def test_a_phrase_of_one_title_is_that_title_and_of_several_only_a_suggestion():
    index = TitleIndex((movie(1, "Indiana Jones and the Last Crusade", 1989, 300),
                        movie(2, "Ace Ventura: Pet Detective", 1994, 100),
                        movie(3, "Ace Ventura: When Nature Calls", 1995),
                        movie(4, "Tales from the Crypt Presents: Bordello of Blood", 1996)))
    best, _ = index.resolve("last crusade")
    assert best.movie.movie_id == 1 and MATCH_THRESHOLD <= best.confidence < 1.0
    best, alternatives = index.resolve("ace ventura")
    assert best is None and {a.movie.movie_id for a in alternatives[:2]} == {2, 3}
    assert best_id(index, "tales from the crypt bordello of blood") == 4  # words left out
    assert best_id(index, "jones") is None  # one short word is not telling


def test_scattered_words_are_what_token_set_ratio_found():
    # _partial tests word sets where it ran fuzz.token_set_ratio over the candidates: 100 there, with more
    # words in the key, is the typed words being a strict subset of the key's
    index = TitleIndex((movie(1, "Tales from the Crypt Presents: Bordello of Blood", 1996),
                        movie(2, "Tales from the Crypt Presents: Demon Knight", 1995),
                        movie(3, "Blood Crypt Tales", 1990),
                        movie(4, "Bordello of Blood", 1996), movie(5, "Knight Tales of Demon Blood", 2001)))
    entries = np.arange(len(index.entry_keys))
    found = 0
    for query in ("tales crypt bordello", "blood tales crypt", "crypt tales blood", "demon knight tales crypt",
                  "tales the of crypt", "blood blood bordello", "bordello of blood", "demon tales blood knight"):
        key = normalize_title(query).key
        hits, _ = index._partial(key, entries, index.entry_keys)
        token_set = cdist([key], index.entry_keys, scorer=fuzz.token_set_ratio)[0]
        more_words = np.asarray([len(set(k.split())) for k in index.entry_keys]) > len(set(key.split()))
        telling = sum(w not in STOP_WORDS for w in key.split()) >= 3  # fewer: scattered words not looked for
        expected = set(np.flatnonzero((token_set == 100) & more_words).tolist()) if telling else set()
        phrase = index.words.phrase(key, PHRASE_MAX_SUFFIXES)
        expected |= set() if phrase is None else set(phrase.tolist())
        assert set(hits.tolist()) == expected, query
        found += len(expected)
    assert found >= 8


def test_leading_acronym_and_article_and_hyphen_keys():
    index = TitleIndex((movie(423, "E.T. the Extra-Terrestrial", 1982, 300), movie(302, "L.A. Confidential", 1997),
                        movie(1063, "Little Princess, A", 1995, 41), movie(1473, "Little Princess, The", 1939, 9),
                        movie(240, "Beavis and Butt-head Do America", 1996), movie(9, "Boys", 1996, 6),
                        movie(10, "Boys, Les", 1997, 3)))
    for query, movie_id in [("ET", 423), ("E.T.", 423), ("e.t. (1982)", 423), ("la confidential", 302),
                            ("little princess", 1063), ("a little princess", 1063), ("the little princess", 1473),
                            ("beavis and butthead", 240), ("boys", 9), ("les boys", 10)]:
        assert best_id(index, query) == movie_id, query


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


def test_short_prefixes_answer_from_the_cache_as_they_would_without_it(index):
    for prefix in ("s", "t", "h", "he", "st", "b", "bo"):
        keys, _ = typed_keys(prefix)
        for limit in (1, 3, 10):
            assert index.suggest(prefix, limit) == uncached_suggest(index, keys, None, limit), prefix
    assert ("h",) in index.short_prefix_answers  # one-letter prefixes are answered at start-up


def test_suggest_reads_a_year_being_typed(index):
    assert ids(index.suggest("body snatchers (19")) == [670, 573]  # unfinished: popularity
    assert ids(index.suggest("body snatchers (1956")) == [573, 670]  # finished: that year first


def test_suggest_keeps_a_leading_article_as_a_word():
    index = TitleIndex((movie(302, "L.A. Confidential", 1997, 300), movie(5, "Confidential Agent", 1945, 900)))
    assert ids(index.suggest("la conf")) == [302, 5]  # "LA" is part of the title, not an article
    assert ids(index.suggest("conf")) == [5, 302]  # at the start before an inner word
