"""A seeded 62,000-movie catalog of title-like strings (ML-25M size) for matcher speed and scale checks."""
from __future__ import annotations

import numpy as np

from movierec.artifact import CatalogMovie
from services.matcher.normalize import normalize_title

ML25M_SIZE = 62_000
SYNTHETIC_ID_START = 100_000

NOUNS = """night day man woman heart love war city river road house home dream blood fire sky star moon sun
king queen prince girl boy world life death time game story ghost shadow storm island garden summer winter
spring autumn journey secret door window mirror song dance kiss heaven hell angel devil wolf dog cat horse
bird dragon tiger lion snake ocean sea mountain valley desert forest street town country hunter soldier
doctor lawyer teacher killer thief stranger friend brother sister mother father son daughter child family
wedding funeral party school college prison hospital hotel train plane ship car bridge tower castle empire
kingdom planet galaxy machine robot code money gold diamond crown sword gun bullet truth lie promise memory
silence voice light darkness rain snow wind thunder echo legend hero villain witness victim detective agent
spy mission escape chase revenge justice honor glory dawn dusk midnight morning evening paradise cowboy
outlaw sheriff pirate captain general president senator witch wizard vampire zombie monster alien invader
champion boxer runner dancer singer painter writer poet""".split()
ADJECTIVES = """dark last lost first silent secret broken hidden golden black white red blue green wild crazy
little big long short deadly dangerous beautiful perfect final eternal sweet bitter cold hot burning frozen
lonely american french english italian sudden strange new old young forgotten endless midnight electric
savage brave holy wicked innocent naked empty distant rising falling fallen""".split()
VERBS = """chasing running hunting loving killing finding saving losing waiting dancing dreaming falling
breaking stealing burning catching""".split()
NAMES = """Jack John Mary Anna Max Sam Lucy Harry Sally Billy Frank Grace Henry Alice Charlie Rose Eddie
Emma Tony Maria Nick Kate Paul Julia Leo Nina Oscar Ruby Victor Zoe Walter Iris Felix Clara Hugo""".split()
PLACES = """Paris London Rome Berlin Tokyo Texas Vegas Chicago Brooklyn Manhattan Moscow Cairo Havana Venice
Vienna Dublin Alaska Memphis Detroit Boston Hollywood Mexico Africa China India Brazil""".split()
SUBTITLES = ("The Beginning", "The Return", "Revenge", "The Final Chapter", "Resurrection", "Judgment Day",
             "The Next Generation", "Reloaded", "The Lost Years", "A New Hope", "Origins", "The Reckoning")
MOVED = ("The", "The", "The", "A", "An", "La", "Le", "Les", "Il", "Das")
ROMAN = ("II", "III", "IV", "V", "VI")
SYLLABLES = "ka lo mi ra ne to sa vi del mar sol cor ban ten gri pe lu zan dor fi qua ber nos".split()


def _foreign_word(rng: np.random.Generator) -> str:
    return "".join(rng.choice(SYLLABLES, size=int(rng.integers(2, 4)))).capitalize()


def _title(rng: np.random.Generator) -> str:
    """One title as the catalog spells it (article moved to the end, as MovieLens does)."""
    pick = lambda words: str(rng.choice(words)).capitalize()  # noqa: E731
    kind = int(rng.integers(12))
    if kind == 0:
        title = pick(NOUNS)
    elif kind == 1:
        title = f"{pick(ADJECTIVES)} {pick(NOUNS)}"
    elif kind == 2:
        title = f"{pick(NOUNS)} of the {pick(NOUNS)}"
    elif kind == 3:
        title = f"{rng.choice(NAMES)}'s {pick(NOUNS)}"
    elif kind == 4:
        title = f"{pick(ADJECTIVES)} {pick(NOUNS)} in {rng.choice(PLACES)}"
    elif kind == 5:
        title = f"{pick(VERBS)} {rng.choice(NAMES)}"
    elif kind == 6:
        title = f"{pick(NOUNS)} and {pick(NOUNS)}"
    elif kind == 7:
        title = f"{pick(ADJECTIVES)} {pick(NOUNS)}: {rng.choice(SUBTITLES)}"
    elif kind == 8:
        title = f"{_foreign_word(rng)} {_foreign_word(rng)}"
    elif kind == 9:
        title = f"{pick(NOUNS)} {pick(NOUNS)}"
    elif kind == 10:
        title = f"A {pick(NOUNS)} for {rng.choice(NAMES)}"
    else:
        title = f"{pick(ADJECTIVES)} {pick(NOUNS)} {rng.choice(ROMAN)}"
    if rng.random() < 0.25:  # an article, moved to the end as in "Usual Suspects, The"
        title = f"{title}, {rng.choice(MOVED)}"
    if rng.random() < 0.04:  # an alternate title, as in "Seven (Se7en)"
        title = f"{title} ({_foreign_word(rng)} {_foreign_word(rng)})"
    return title


def synthetic_catalog(real: tuple[CatalogMovie, ...] = (), size: int = ML25M_SIZE,
                      seed: int = 25) -> tuple[CatalogMovie, ...]:
    """`size` movies: the `real` ones (ids kept, ratings scaled up 100x) plus synthetic ones.

    Synthetic titles repeat (remakes: same title, another year, ~3%), years run 1915-2020 (more
    recent ones likelier), ratings counts follow a long tail (Zipf-like, most movies a handful).
    A synthetic title whose key equals a real title's key is skipped, so the benchmark's
    answers stay the only right ones.
    """
    rng = np.random.default_rng(seed)
    real_keys = {normalize_title(m.title).key for m in real}
    movies = [CatalogMovie(m.movie_id, m.title, m.year, m.genres, m.n_ratings * 100, m.mean_rating) for m in real]
    n_synthetic = size - len(movies)
    ranks = rng.permutation(n_synthetic) + 1
    n_ratings = np.maximum(1, (80_000 * ranks ** -1.05).astype(np.int64))  # (n_synthetic,) long tail
    years = np.clip(np.rint(2020 - rng.exponential(22, n_synthetic)), 1915, 2020).astype(np.int64)
    titles: list[str] = []
    while len(titles) < n_synthetic:
        if titles and rng.random() < 0.03:
            titles.append(titles[int(rng.integers(len(titles)))])  # a remake
            continue
        title = _title(rng)
        if normalize_title(title, extract_year=False).key not in real_keys:
            titles.append(title)
    for i, title in enumerate(titles):
        movies.append(CatalogMovie(SYNTHETIC_ID_START + i, title, int(years[i]), ("Drama",), int(n_ratings[i])))
    return tuple(movies)
