"""The hand-checked benchmark queries (queries.jsonl) and how a matcher's answers are scored against them."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

QUERIES_FILE = Path(__file__).with_name("queries.jsonl")
# Written after the matcher was tuned on QUERIES_FILE, and not used for tuning: an honest check.
HOLDOUT_FILE = Path(__file__).with_name("holdout.jsonl")
# Written for issue 19 before its rules (markup, fractions, abbreviations, sequel numbers, one word,
# wide-margin misspellings) were written, and not used for tuning them.
HOLDOUT2_FILE = Path(__file__).with_name("holdout2.jsonl")
CATEGORIES = ("exact", "case", "article", "typo", "partial", "year", "numeral", "duplicate", "noise",
              "html", "fraction", "abbreviation", "sequel", "word", "margin", "negative")


@dataclass(frozen=True)
class Query:
    """One typed query and its one right answer: a movie id, or None for "no match"."""

    category: str
    text: str
    movie_id: int | None
    near_id: int | None  # for a negative close to a real movie: that movie, a good "did you mean"


@dataclass(frozen=True)
class Answer:
    """A matcher's reply: the confident match (or None) and its alternatives, best first."""

    best: int | None
    alternatives: tuple[int, ...]


Resolver = Callable[[str], Answer]


def load_queries(path: Path = QUERIES_FILE) -> list[Query]:
    """Every query of the file; each line is {"category", "query", "movie_id", optional "near_id", ...}.

    The "title"/"year" fields are there for the reader (they were checked by hand against the id).
    """
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if row["category"] not in CATEGORIES:
            raise ValueError(f"{path}:{n}: unknown category {row['category']!r}")
        out.append(Query(row["category"], row["query"], row.get("movie_id"), row.get("near_id")))
    return out


@dataclass
class Tally:
    """Counts for one category (or all positives, or all no-match queries)."""

    n: int = 0
    right: int = 0
    confident_wrong: int = 0  # a match given where another movie, or none, was right
    unmatched: int = 0  # a positive query that got no confident match
    unmatched_in_alternatives: int = 0  # ... whose right movie was among the alternatives
    near: int = 0  # negatives with a near real movie
    near_in_alternatives: int = 0

    def add(self, query: Query, answer: Answer) -> None:
        self.n += 1
        self.right += answer.best == query.movie_id
        self.confident_wrong += answer.best is not None and answer.best != query.movie_id
        if query.movie_id is not None and answer.best is None:
            self.unmatched += 1
            self.unmatched_in_alternatives += query.movie_id in answer.alternatives
        if query.movie_id is None and query.near_id is not None:
            self.near += 1
            self.near_in_alternatives += query.near_id in answer.alternatives

    @property
    def accuracy(self) -> float:
        return self.right / self.n if self.n else float("nan")


def evaluate(queries: list[Query], resolve: Resolver) -> dict[str, Tally]:
    """Tallies per category, plus "positives" (a movie is right) and "no-match" (none is right)."""
    tallies: dict[str, Tally] = {c: Tally() for c in CATEGORIES}
    tallies["positives"], tallies["no-match"] = Tally(), Tally()
    for query in queries:
        answer = resolve(query.text)
        tallies[query.category].add(query, answer)
        tallies["positives" if query.movie_id is not None else "no-match"].add(query, answer)
    return tallies
