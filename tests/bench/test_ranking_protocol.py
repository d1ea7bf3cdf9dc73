"""The held-out-user protocol's metrics on hand-computed cases."""
from __future__ import annotations

import numpy as np
import pytest

from bench.ranking.protocol import MIN_LIKED, N_INPUT, Query, score, split_arrays


def test_metrics_of_a_known_ranking():
    q = Query(0, np.array([0]), np.array([5.0], np.float32), np.array([2, 5, 7]))
    ranking = np.array([2, 3, 7, 4, 6, 8, 9, 10, 11, 12])  # hits at ranks 1 and 3
    pop_rank = np.arange(1, 21, dtype=float)
    s = score(lambda rows, ratings, k: ranking[:k], [q], pop_rank, n_items=20)
    ideal = 1 + 1 / np.log2(3) + 1 / np.log2(4)
    assert s.hr == 1.0 and s.recall == pytest.approx(2 / 3)
    assert s.ndcg == pytest.approx((1 + 1 / np.log2(4)) / ideal)
    assert s.coverage == pytest.approx(10 / 20) and s.pop_rank == pytest.approx(pop_rank[ranking].mean())


def test_split_holds_out_whole_users_and_keeps_their_liked_movies_apart():
    rng = np.random.default_rng(0)
    users = np.repeat(np.arange(30), 15)
    items = np.concatenate([rng.choice(50, 15, replace=False) for _ in range(30)])
    ratings = rng.choice([2.0, 4.0, 5.0], size=users.size, p=[0.1, 0.45, 0.45]).astype(np.float32)
    split = split_arrays(users, items, ratings, 30, seed=3)
    held = {q.user for q in split.queries}
    assert split.n_train_users == 24 and len(split.train_users) == 24 * 15  # no held-out user's ratings
    for q in split.queries:
        liked = set(items[(users == q.user) & (ratings >= 4)].tolist())
        assert len(liked) >= MIN_LIKED and len(q.input_rows) == N_INPUT
        assert set(q.input_rows.tolist()) | set(q.targets.tolist()) == liked
        assert not set(q.input_rows.tolist()) & set(q.targets.tolist())
    assert held and len(held) <= 6
