"""The held-out-user protocol's per-query metrics (bench/ranking/protocol.py) on a hand-computed case."""
from __future__ import annotations

import numpy as np
import pytest

from bench.ranking.protocol import score
from trainer.heldout import Query


def test_metrics_of_a_known_ranking():
    q = Query(0, np.array([0]), np.array([5.0], np.float32), np.array([2, 5, 7]))
    ranking = np.array([2, 3, 7, 4, 6, 8, 9, 10, 11, 12])  # hits at ranks 1 and 3
    pop_rank = np.arange(1, 21, dtype=float)
    s = score(lambda rows, ratings, k: ranking[:k], [q], pop_rank, n_items=20)
    ideal = 1 + 1 / np.log2(3) + 1 / np.log2(4)
    assert s.hr == 1.0 and s.recall == pytest.approx(2 / 3)
    assert s.ndcg == pytest.approx((1 + 1 / np.log2(4)) / ideal)
    assert s.coverage == pytest.approx(10 / 20) and s.pop_rank == pytest.approx(pop_rank[ranking].mean())


def test_variety_of_a_known_list():
    q = Query(0, np.array([0]), np.array([5.0], np.float32), np.array([1]))
    genres = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    same = score(lambda rows, ratings, k: np.array([0, 1]), [q], np.arange(1, 5.0), 4, k=2, genre_matrix=genres)
    apart = score(lambda rows, ratings, k: np.array([2, 3]), [q], np.arange(1, 5.0), 4, k=2, genre_matrix=genres)
    assert same.ild == pytest.approx(0.0) and same.genres == 1
    assert apart.ild == pytest.approx(1.0) and apart.genres == 2
    assert np.isnan(score(lambda rows, ratings, k: np.array([2, 3]), [q], np.arange(1, 5.0), 4, k=2).ild)
