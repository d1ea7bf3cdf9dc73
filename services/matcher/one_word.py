"""One distinctive typed word ("shawshank", "pulp") that begins exactly one well-known title means that title."""
from __future__ import annotations

import numpy as np

from services.matcher.normalize import NUMBERS, STOP_WORDS

WORD_MIN_CHARS = 4  # "toy", "men": too short to tell a title by
# A word held by more movies than this ("star", "blade": Blade Runner, Sling Blade) is too common to stand for one.
DISTINCTIVE_MAX_MOVIES = 2
# Well known: among this many most-rated movies (a count, not a share: a bigger catalog adds obscure
# films, not famous ones); a four-letter word is more often a film's whole name ("Taxi" is not Taxi
# Driver, rank 130 of ML-100K), so it must begin a famous one ("pulp": Pulp Fiction, rank 13).
WELL_KNOWN_RANK, FAMOUS_RANK, FAMOUS_BELOW_CHARS = 350, 100, 5


def one_word_titles(keys: list[str], rows: list[int], popularity_rank: np.ndarray) -> dict[str, int]:
    """Distinctive word -> the entry of the one well-known movie whose key begins with it.

    keys, rows: (E,) the index's entry keys and their movie rows, grouped by row (a movie's entries
    are adjacent); popularity_rank: (M,) int64, 0 for the most rated movie. "jurassic" -> Jurassic Park's entry
    ("Lost World: Jurassic Park" holds the word but does not begin with it).
    """
    holders: dict[str, list[int]] = {}  # word -> [movies holding it, last row counted]
    starters: dict[str, list[int]] = {}  # word -> entries whose key begins with it
    for entry, (key, row) in enumerate(zip(keys, rows)):
        words = key.split()
        for word in words:
            held = holders.setdefault(word, [0, -1])
            if held[1] != row:
                held[0], held[1] = held[0] + 1, row
        starters.setdefault(words[0], []).append(entry)
    out = {}
    for word, entries in starters.items():
        if (len(word) < WORD_MIN_CHARS or word in NUMBERS or word in STOP_WORDS or word.isdigit()
                or holders[word][0] > DISTINCTIVE_MAX_MOVIES):
            continue
        top = FAMOUS_RANK if len(word) < FAMOUS_BELOW_CHARS else WELL_KNOWN_RANK
        known = {rows[e]: e for e in entries if popularity_rank[rows[e]] < top}
        if len(known) == 1:
            out[word] = next(iter(known.values()))
    return out
