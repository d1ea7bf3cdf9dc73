"""Variety in a ranked list: maximal marginal relevance re-ranking and the measures of variety.

diversity 0 keeps the ranking as it is; above 0, each next movie is the candidate with the best
(1 - diversity) * relevance - diversity * (its largest cosine similarity to a movie already chosen),
relevance being the candidates' scores min-max scaled to [0, 1] (Carbonell & Goldstein 1998).
The scorer's Ranker and bench/ranking run this same code.
"""
from __future__ import annotations

import numpy as np

# Candidates re-ranked per result slot: enough room to swap in other kinds of movie, few enough that
# the list stays among the best-scored (and the loop costs microseconds).
POOL_PER_SLOT = 4
MIN_POOL = 40


def pool_size(k: int, diversity: float) -> int:
    """How many of the best-scored candidates MMR chooses k from: k itself when diversity is 0."""
    return k if diversity <= 0.0 else max(POOL_PER_SLOT * k, MIN_POOL)


def unit_vectors(vectors: np.ndarray) -> np.ndarray:
    """Rows of vectors (n, d) scaled to unit length as float64 (n, d); zero rows stay zero (similar to nothing)."""
    v = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return np.divide(v, norms, out=np.zeros_like(v), where=norms > 0)


def mmr(relevance: np.ndarray, vectors: np.ndarray, k: int, diversity: float) -> np.ndarray:
    """Positions (min(k, n),) int64 into the n candidates, in the order maximal marginal relevance picks them.

    relevance (n,) float: higher is better (any scale; min-max scaled here); vectors (n, d) float:
    the candidates' descriptions, compared by cosine. diversity in [0, 1]: 0 returns the candidates
    by relevance (ties by position), 1 picks the most relevant first and then only for dissimilarity.
    Deterministic: ties go to the earlier position.
    """
    if not 0.0 <= diversity <= 1.0:
        raise ValueError(f"diversity must be in [0, 1], got {diversity}")
    n = len(relevance)
    k = min(k, n)
    rel = np.asarray(relevance, dtype=np.float64)
    if diversity == 0.0 or k <= 1:
        return np.argsort(-rel, kind="stable")[:k].astype(np.int64)
    span = float(rel.max() - rel.min())
    rel = (rel - rel.min()) / span if span > 0 else np.zeros(n)
    units = unit_vectors(vectors)
    sim = units @ units.T  # (n, n) cosines
    chosen = [int(np.argmax(rel))]  # nothing to differ from yet: the most relevant leads (first of ties)
    max_sim = sim[chosen[0]].copy()  # (n,) largest cosine to a chosen movie
    base = (1.0 - diversity) * rel
    for _ in range(k - 1):
        gain = base - diversity * max_sim
        gain[chosen] = -np.inf
        best = int(np.argmax(gain))  # first maximum: ties by position
        chosen.append(best)
        np.maximum(max_sim, sim[best], out=max_sim)
    return np.asarray(chosen, dtype=np.int64)


def intra_list_distance(vectors: np.ndarray) -> float:
    """Mean cosine distance 1 - cos over the pairs of a list's vectors (n, d); 0 for fewer than 2 items."""
    n = len(vectors)
    if n < 2:
        return 0.0
    units = unit_vectors(vectors)
    sim = units @ units.T
    return float((n * n - sim.sum() - (n - np.trace(sim))) / (n * (n - 1)))


def genre_coverage(genre_matrix: np.ndarray) -> int:
    """Number of distinct genres among a list's movies: genre_matrix (n, G) 0/1 rows of the list."""
    return int(np.asarray(genre_matrix).any(axis=0).sum())
