"""Scores from the pruned item-item graph: the sum of the input movies' neighbour rows, O(liked * N).

The graph is built offline by the trainer (trainer/item_graph.py) and stored in the artifact as
`neighbor_rows` / `neighbor_weights`.
"""
from __future__ import annotations

import numpy as np


def graph_scores(rows: np.ndarray, weights: np.ndarray, input_rows: np.ndarray, input_weights: np.ndarray,
                 n_items: int) -> np.ndarray:
    """(I,) float64: sum over input movies m of input_weights[m] * weight(m -> j), for every movie j.

    rows/weights: (I, N) neighbour table; input_rows (n,) int64; input_weights (n,) float.
    """
    contrib = weights[input_rows] * input_weights[:, None]
    return np.bincount(rows[input_rows].ravel(), weights=contrib.ravel(), minlength=n_items)
