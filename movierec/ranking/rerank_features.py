"""Features of one request's top candidates for the learning-to-rank stage, from what the Ranker holds.

Per candidate c of a request with input movies i (n,) and their rating weights w (n,): the blend's
score and the candidate's rank in it; each part's catalog z-score (graph, EASE, MF, genre); pair
statistics between c and each input (graph weight i -> c from the pruned neighbour rows, EASE weight
B[i, c], MF and genre cosines), summarised over the inputs as max, mean and w-weighted sum; the
candidate's popularity, mean rating, year and MF bias; the request's mean rating weight, mean input
popularity and the candidate's year less the inputs' mean year; and where the candidate stands in the
inputs' neighbour rows and they in its own (GRAPH_LINKS). Nothing is (I, I): the pairs are (n, C), the
neighbour rows read are the inputs' (n, N) and the candidates' (C, N).
The trainer (trainer/rerank_train.py) and the scorer compute them through the same Ranker method.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:  # ranker.py imports this module
    from movierec.ranking.ranker import Ranker, _Scored

PAIRS = ("graph_w", "ease_w", "mf_cos", "genre_cos")
# Over the neighbour rows' positive entries: inputs listing the candidate, its best (0-based) place in
# their rows (N where none does), sum of max(rating weight, 0) / (1 + place); inputs in the candidate's
# own row, and their weights there summed. Validation users: +0.1-0.4% NDCG@10 (bench/ranking/RESULTS.md, round 5).
GRAPH_LINKS = ("graph_hits", "graph_rank_min", "graph_rr_sum", "rev_graph_hits", "rev_graph_w")
FEATURES = (
    "blend", "blend_rank", "graph", "ease", "mf", "genre",
    *(f"{p}_{s}" for p in PAIRS for s in ("max", "mean", "wsum")),
    "popularity", "mean_rating", "year", "mf_bias",
    "input_weight_mean", "input_popularity_mean", "year_after_inputs",
    *GRAPH_LINKS,
)
# A stage learnt before a feature was added reads the first len(its features) of these (lambdamart.py).
LEGACY_FEATURES = 25


@dataclass(frozen=True)
class ItemStats:
    """Per-movie statistics the stage reads, (I,) float32 each: year (0 = unknown), mean rating, MF item bias."""

    year: np.ndarray
    mean_rating: np.ndarray
    bias: np.ndarray

    @classmethod
    def empty(cls, n: int) -> ItemStats:
        zeros = np.zeros(n, dtype=np.float32)
        return cls(zeros, zeros, zeros)

    @classmethod
    def of(cls, year: np.ndarray, mean_rating: np.ndarray, bias: np.ndarray) -> ItemStats:
        return cls(*(np.asarray(a, dtype=np.float32) for a in (year, mean_rating, bias)))


class Reranker(Protocol):
    """The stage's model: scores (C,) float64 of the features (C, len(FEATURES)) float32, higher first."""

    candidates: int  # how many of the blend's best it re-ranks

    def scores(self, features: np.ndarray) -> np.ndarray: ...


def _z(values: np.ndarray, stats: tuple[float, float] | None) -> np.ndarray:
    """(values - mean) / std, zeros without the part or where it is constant (as parts.zscore)."""
    if stats is None or stats[1] < 1e-12:
        return np.zeros(len(values))
    return (values - stats[0]) / stats[1]


def _summaries(values: np.ndarray, weights: np.ndarray) -> list[np.ndarray]:
    """max, mean and weights-weighted sum over the inputs of values (n, C): three (C,) arrays."""
    return [values.max(axis=0), values.mean(axis=0), weights @ values]


Hits = tuple[np.ndarray, np.ndarray, np.ndarray]


def candidate_hits(ranker: Ranker, rows: np.ndarray, cand: np.ndarray) -> Hits:
    """Every entry of the inputs' neighbour rows that lists a candidate: i (H,) the input, j (H,) the entry's place
    in its row, c (H,) the candidate's index in cand. The graph must be there."""
    assert ranker.neighbor_rows is not None
    is_cand = np.zeros(ranker.n_items, dtype=bool)
    is_cand[cand] = True
    position = np.empty(ranker.n_items, dtype=np.intp)  # read only where is_cand
    position[cand] = np.arange(len(cand))
    neighbours = ranker.neighbor_rows[rows]  # (n, N)
    i, j = np.nonzero(is_cand[neighbours])
    return i, j, position[neighbours[i, j]]


def graph_pairs(ranker: Ranker, rows: np.ndarray, cand: np.ndarray, hits: Hits | None = None) -> np.ndarray:
    """(n, C) float64 graph weight from each input to each candidate (a neighbour listed twice counts twice,
    as in the graph part's score); zeros without a graph. hits: candidate_hits(ranker, rows, cand) if at hand."""
    out = np.zeros((len(rows), len(cand)))
    if ranker.neighbor_rows is None or ranker.neighbor_weights is None:
        return out
    i, j, c = hits if hits is not None else candidate_hits(ranker, rows, cand)
    np.add.at(out, (i, c), ranker.neighbor_weights[rows[i], j])
    return out


def graph_links(ranker: Ranker, rows: np.ndarray, weights: np.ndarray, cand: np.ndarray,
                hits: Hits | None = None) -> list[np.ndarray]:
    """The GRAPH_LINKS (C,) float64 each of candidates cand (C,) for inputs rows (n,) with rating weights
    (n,); zeros without a graph. A place is an entry of positive weight (rows end in weight-0 fillers).
    hits: candidate_hits(ranker, rows, cand) if at hand."""
    nb_rows, nb_weights = ranker.neighbor_rows, ranker.neighbor_weights
    if nb_rows is None or nb_weights is None:
        return [np.zeros(len(cand)) for _ in GRAPH_LINKS]
    width = nb_rows.shape[1]
    i, j, c = hits if hits is not None else candidate_hits(ranker, rows, cand)
    positive = nb_weights[rows[i], j] > 0
    place = np.full((len(rows), len(cand)), float(width))  # (n, C): width = not listed
    np.minimum.at(place, (i[positive], c[positive]), j[positive].astype(np.float64))
    listed = place < width
    is_input = np.zeros(ranker.n_items, dtype=bool)
    is_input[rows] = True
    back = is_input[nb_rows[cand]] & (nb_weights[cand] > 0)  # (C, N): the candidate's row lists an input
    return [listed.sum(axis=0).astype(np.float64), place.min(axis=0),
            np.maximum(weights, 0.0) @ np.where(listed, 1.0 / (1.0 + place), 0.0),
            back.sum(axis=1).astype(np.float64), np.where(back, nb_weights[cand], 0.0).sum(axis=1, dtype=np.float64)]


def ease_pairs(ranker: Ranker, rows: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """(n, C) float64 EASE weight B[input, candidate], 0 where either is outside the part or there is none."""
    if ranker.ease_weights is None:
        return np.zeros((len(rows), len(cand)))
    pos_in, pos_c = ranker._ease_pos[rows], ranker._ease_pos[cand]
    b = ranker.ease_weights[np.ix_(np.maximum(pos_in, 0), np.maximum(pos_c, 0))].astype(np.float64)
    return np.where((pos_in[:, None] >= 0) & (pos_c[None, :] >= 0), b, 0.0)


def candidate_features(ranker: Ranker, s: _Scored, rows: np.ndarray, weights: np.ndarray, cand: np.ndarray,
                       alpha: float) -> np.ndarray:
    """Features (C, len(FEATURES)) float32 of candidates cand (C,), in the blend's order, for the request
    scored as s with input rows (n,) and rating weights (n,) float64."""
    blend, _, content_z = ranker._parts(s, alpha, cand)
    graph = _z(s.graph[cand], s.part_stats.get("graph")) if s.graph is not None else np.zeros(len(cand))
    ease = _z(s.ease[cand], s.part_stats.get("ease")) if s.ease is not None else np.zeros(len(cand))
    mf = (_z(ranker.item_factors[cand].astype(np.float64) @ s.p, s.part_stats.get("mf")) if s.p is not None
          else np.zeros(len(cand)))
    columns: list[np.ndarray] = [blend, np.arange(len(cand), dtype=np.float64), graph, ease, mf, content_z]
    # The inputs' neighbour entries that list a candidate, gathered once for the pair weights and the links.
    hits = candidate_hits(ranker, rows, cand) if ranker.neighbor_rows is not None else None
    pairs = (graph_pairs(ranker, rows, cand, hits), ease_pairs(ranker, rows, cand),
             ranker.factor_units[rows].astype(np.float64) @ ranker.factor_units[cand].T.astype(np.float64),
             ranker.genre_units[rows].astype(np.float64) @ ranker.genre_units[cand].T.astype(np.float64))
    for values in pairs:
        columns += _summaries(values, weights)
    stats = ranker.item_stats
    input_years = stats.year[rows].astype(np.float64)  # only the rows read, not the (I,) catalog
    known = input_years > 0
    input_year = float(input_years[known].mean()) if known.any() else 0.0
    year = stats.year[cand].astype(np.float64)
    n = len(cand)
    columns += [ranker.popularity[cand], stats.mean_rating[cand], year, stats.bias[cand],
                np.full(n, weights.mean()), np.full(n, float(ranker.popularity[rows].mean())),
                np.where(year > 0, year - input_year, 0.0)]
    columns += graph_links(ranker, rows, weights, cand, hits)
    return np.stack(columns, axis=1).astype(np.float32)
