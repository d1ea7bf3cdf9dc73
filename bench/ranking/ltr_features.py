"""Features of (query, candidate) pairs for a learning-to-rank stage over the blend's candidates.

Three kinds, all computed from what one validation split's training users give (never its held-out
users): each blend part's score and its rank over the catalog; pair statistics between the candidate
and each of the query's input movies (graph weight, EASE weight, co-liked and co-rated counts, MF and
genre cosines), summarised over the inputs as max, mean and rating-weighted sum; the candidate's own
statistics (rating count, mean rating, year, MF bias) and how they stand to the inputs'.
"""
from __future__ import annotations

import numpy as np


def catalog_ranks(scores: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """Rank (0 = best) of every movie per row of scores (Q, I), inputs (Q, I) bool ranked last: (Q, I) float32."""
    s = np.where(inputs, -np.inf, scores)
    order = np.argsort(-s, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.broadcast_to(np.arange(s.shape[1]), s.shape), axis=1)
    return ranks.astype(np.float32)


def pair_summaries(pair: np.ndarray, rows: np.ndarray, weights: np.ndarray, cand: np.ndarray) -> list[np.ndarray]:
    """max, mean and input-weighted sum over the inputs of pair[input, candidate]: three (Q, C) arrays.

    pair (I, I) a movie-to-movie statistic; rows (Q, n) input rows with rating weights (Q, n); cand (Q, C).
    """
    values = pair[rows[:, :, None], cand[:, None, :]].astype(np.float64)  # (Q, n, C)
    return [values.max(axis=1), values.mean(axis=1), np.einsum("qn,qnc->qc", weights, values)]


def build(cand: np.ndarray, rows: np.ndarray, weights: np.ndarray, ratings: np.ndarray,
          parts: dict[str, np.ndarray], ranked: tuple[str, ...], pairs: dict[str, np.ndarray],
          items: dict[str, np.ndarray]) -> tuple[np.ndarray, list[str]]:
    """The features (Q, C, F) float32 of candidates cand (Q, C) and their names (F,).

    parts: name -> (Q, I) scores (each part and the blend), the names in `ranked` also give their
    catalog rank; pairs: name -> (I, I) movie-to-movie statistic; items: name -> (I,) per-movie
    statistic, "year" and "popularity" among them. rows / weights / ratings (Q, n): the inputs.
    """
    inputs = np.zeros((len(cand), next(iter(parts.values())).shape[1]), dtype=bool)
    np.put_along_axis(inputs, rows, True, axis=1)
    columns: list[np.ndarray] = []
    names: list[str] = []
    for name, scores in parts.items():
        columns.append(np.take_along_axis(scores, cand, axis=1))
        names.append(name)
        if name in ranked:
            columns.append(np.take_along_axis(catalog_ranks(scores, inputs), cand, axis=1))
            names.append(f"{name}_rank")
    for name, pair in pairs.items():
        columns += pair_summaries(pair, rows, weights, cand)
        names += [f"{name}_max", f"{name}_mean", f"{name}_wsum"]
    for name, values in items.items():
        columns.append(values[cand])
        names.append(name)
    year = items["year"]
    known = year[rows] > 0  # year 0: unknown
    input_year = ((year[rows] * known).sum(axis=1) / np.maximum(known.sum(axis=1), 1))[:, None]
    columns += [np.broadcast_to(ratings.mean(axis=1, keepdims=True), cand.shape),
                np.broadcast_to(items["popularity"][rows].mean(axis=1, keepdims=True), cand.shape),
                np.where(year[cand] > 0, year[cand] - input_year, 0.0)]
    names += ["input_rating_mean", "input_popularity_mean", "year_after_inputs"]
    return np.stack([np.broadcast_to(c, cand.shape) for c in columns], axis=2).astype(np.float32), names
