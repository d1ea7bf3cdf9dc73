"""The held-out-user split and the whole-array NDCG/Recall the trainer tunes its ranking blend with."""
from __future__ import annotations

import numpy as np
import pytest

from bench.ranking.protocol import score
from trainer.heldout import MIN_LIKED, N_INPUT, Judge, Query, split_arrays


def _ratings(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    users = np.repeat(np.arange(30), 15)
    items = np.concatenate([rng.choice(50, 15, replace=False) for _ in range(30)])
    ratings = rng.choice([2.0, 4.0, 5.0], size=users.size, p=[0.1, 0.45, 0.45]).astype(np.float32)
    return users, items, ratings


def test_split_holds_out_whole_users_and_keeps_their_liked_movies_apart():
    users, items, ratings = _ratings()
    split = split_arrays(users, items, ratings, 30, seed=3)
    held = {q.user for q in split.queries}
    assert split.n_train_users == 24 and len(split.train_users) == 24 * 15  # no held-out user's ratings
    for q in split.queries:
        liked = set(items[(users == q.user) & (ratings >= 4)].tolist())
        assert len(liked) >= MIN_LIKED and len(q.input_rows) == N_INPUT
        assert set(q.input_rows.tolist()) | set(q.targets.tolist()) == liked
        assert not set(q.input_rows.tolist()) & set(q.targets.tolist())
    assert held and len(held) <= 6


def test_judge_agrees_with_the_per_query_metrics():
    users, items, ratings = _ratings(1)
    queries = split_arrays(users, items, ratings, 30, seed=5).queries
    scores = np.random.default_rng(2).normal(size=(len(queries), 50))
    ndcg, recall = Judge(queries, 50).ndcg_recall(scores)
    by_query = iter(range(len(queries)))

    def recommend(rows, ratings, k):  # the same scores, one query at a time, inputs excluded
        s = scores[next(by_query)].copy()
        s[rows] = -np.inf
        return np.argsort(-s, kind="stable")[:k]
    slow = score(recommend, queries, np.arange(1, 51, dtype=float), 50)
    assert (ndcg, recall) == (pytest.approx(slow.ndcg), pytest.approx(slow.recall))


def test_judge_never_counts_an_input_movie():
    q = Query(0, np.array([0, 1]), np.array([5.0, 5.0], np.float32), np.arange(2, 12))
    scores = np.zeros((1, 20))
    scores[0, :2] = 100.0  # the inputs score highest but must be skipped
    scores[0, 2:12] = 1.0
    assert Judge([q], 20).ndcg_recall(scores) == (pytest.approx(1.0), pytest.approx(1.0))


def test_more_samples_redraw_the_inputs_and_keep_the_first_draw():
    users, items, ratings = _ratings()
    one = split_arrays(users, items, ratings, 30, seed=3).queries
    many = split_arrays(users, items, ratings, 30, seed=3, samples=4).queries
    assert len(many) == 4 * len(one)
    for i, q in enumerate(one):
        mine = many[4 * i:4 * i + 4]
        assert all(m.user == q.user for m in mine)
        assert np.array_equal(mine[0].input_rows, q.input_rows) and np.array_equal(mine[0].targets, q.targets)
        liked = set(q.input_rows.tolist()) | set(q.targets.tolist())
        for m in mine:
            assert set(m.input_rows.tolist()) | set(m.targets.tolist()) == liked
            assert not set(m.input_rows.tolist()) & set(m.targets.tolist())
        assert len({tuple(sorted(m.input_rows.tolist())) for m in mine}) > 1  # not the same draw 4 times


def test_folds_hold_out_disjoint_users_that_cover_everyone():
    users, items, ratings = _ratings()
    held_per_fold = []
    for i in range(5):
        split = split_arrays(users, items, ratings, 30, seed=3, fold=(i, 5))
        held_per_fold.append({q.user for q in split.queries})
        assert split.n_train_users == 24  # a fifth of the 30 users held out
    every = [u for held in held_per_fold for u in held]
    assert len(every) == len(set(every))  # no user held out twice
    enough = {u for u in range(30) if ((users == u) & (ratings >= 4)).sum() >= MIN_LIKED}
    assert set(every) == enough  # together the folds query every user with enough liked movies
