"""The simple matcher people write first: difflib.get_close_matches on lower-cased, punctuation-stripped titles."""
from __future__ import annotations

import difflib
import re

from bench.matcher.queries import Answer
from movierec.artifact import CatalogMovie

CUTOFF = 0.45
_PUNCTUATION = re.compile(r"[^\w\s]")


def simple_key(text: str) -> str:
    """Lower-cased, punctuation removed, whitespace collapsed: "Usual Suspects, The" -> "usual suspects the"."""
    return " ".join(_PUNCTUATION.sub(" ", text.lower()).split())


class DifflibMatcher:
    """Every catalog title as a simple key; the closest one at ratio >= 0.45 is the answer, no year logic."""

    def __init__(self, movies: tuple[CatalogMovie, ...], alternatives: int = 3) -> None:
        self.by_key: dict[str, int] = {}
        for m in movies:
            self.by_key.setdefault(simple_key(m.title), m.movie_id)  # the first of same-titled movies
        self.keys = list(self.by_key)
        self.alternatives = alternatives

    def resolve(self, query: str) -> Answer:
        hits = difflib.get_close_matches(simple_key(query), self.keys, n=1 + self.alternatives, cutoff=CUTOFF)
        ids = [self.by_key[k] for k in hits]
        return Answer(ids[0] if ids else None, tuple(ids[1:]))
