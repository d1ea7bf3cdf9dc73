"""The EASE part: the closed form, the cap on its movies, and what the served Ranker accepts."""
from __future__ import annotations

import numpy as np
import pytest

from movierec.ranking import parts
from movierec.ranking.ranker import Ranker
from trainer import ease


def _ratings(n_users: int, n_items: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    users, items = np.nonzero(rng.random((n_users, n_items)) < 0.3)
    ratings = rng.choice([1.0, 2.0, 4.0, 5.0], len(users)).astype(np.float32)
    return users.astype(np.int32), items.astype(np.int32), ratings


@pytest.mark.parametrize("block", [8192, 7])  # X'X summed over one block of users, or over several
def test_weights_are_the_closed_form_on_liked_ratings(monkeypatch, block):
    monkeypatch.setattr(ease, "USER_BLOCK", block)
    users, items, ratings = _ratings(40, 12)
    rows, b = ease.fit(users, items, ratings, 40, 12, 5.0)
    assert rows.tolist() == list(range(12)) and b.dtype == np.float32 and b.shape == (12, 12)
    x = np.zeros((40, 12))
    liked = ratings >= 4
    x[users[liked], items[liked]] = 1.0
    p = np.linalg.inv(x.T @ x + 5.0 * np.eye(12))
    want = np.eye(12) - p / np.diag(p)  # Steck 2019: B = I - P diag(1 / diag(P))
    assert np.allclose(b, want, atol=1e-5) and np.all(np.diag(b) == 0)


def test_dropout_odds_emphasise_each_movie_by_its_own_likes():
    """EDLAE (Steck 2020): Λ = λI + odds * diag(X'X), the same zero-diagonal closed form; the search's Gram
    gives what fit gives, and plain EASE (odds 0) through its eigendecomposition as well."""
    users, items, ratings = _ratings(40, 12, seed=2)
    x = np.zeros((40, 12))
    liked = ratings >= 4
    x[users[liked], items[liked]] = 1.0
    g = x.T @ x
    p = np.linalg.inv(g + np.diag(5.0 + 8.0 * np.diag(g)))
    rows, b = ease.fit(users, items, ratings, 40, 12, 5.0, odds=8.0)
    assert np.allclose(b, np.eye(12) - p / np.diag(p), atol=1e-5)
    assert not np.allclose(b, ease.fit(users, items, ratings, 40, 12, 5.0)[1], atol=1e-3)  # the odds matter
    gram = ease.Gram(users, items, ratings, 40, 12)
    for odds in (8.0, 0.0, 8.0):
        assert np.allclose(gram.weights(5.0, odds), ease.fit(users, items, ratings, 40, 12, 5.0, odds=odds)[1],
                           atol=1e-5)


def test_a_big_catalog_keeps_only_its_most_liked_movies():
    users, items, ratings = _ratings(60, 30, seed=1)
    liked = np.bincount(items[ratings >= 4], minlength=30)
    rows, b = ease.fit(users, items, ratings, 60, 30, 5.0, max_items=10)
    assert len(rows) == 10 and b.shape == (10, 10) and np.all(np.diff(rows) > 0)
    assert liked[rows].min() >= np.delete(liked, rows).max()
    outside = np.setdiff1d(np.arange(30), rows)
    # one input in the part, one outside it: the outside one adds nothing, and only the part's movies score
    scores = parts.ease_scores(rows, b, np.array([int(rows[0]), int(outside[0])]), np.ones(2), 30)
    assert np.all(scores[outside] == 0) and np.allclose(scores[rows], b[0], atol=1e-6) and np.any(b[0] != 0)


def test_lambda_must_be_positive():
    users, items, ratings = _ratings(10, 5)
    with pytest.raises(ValueError, match="λ > 0"):
        ease.fit(users, items, ratings, 10, 5, 0.0)
    with pytest.raises(ValueError, match="odds must be >= 0"):
        ease.fit(users, items, ratings, 10, 5, 1.0, odds=-1.0)


@pytest.mark.parametrize("rows, weights, message", [
    (np.array([0, 1], np.int32), None, "ease_rows/ease_weights"),
    (np.array([0, 0], np.int32), np.zeros((2, 2), np.float32), "distinct"),
    (np.array([0, 9], np.int32), np.zeros((2, 2), np.float32), "rows < 5"),
    (np.array([0, 1], np.int32), np.zeros((2, 3), np.float32), "ease_rows/ease_weights"),
    (np.array([0, 1], np.int32), np.array([[0, np.nan], [0, 0]], np.float32), "finite"),
])
def test_the_ranker_refuses_a_malformed_ease_part(rows, weights, message):
    factors, genres, counts = np.ones((5, 2), np.float32), np.eye(5, 3, dtype=np.float32), np.ones(5)
    with pytest.raises(ValueError, match=message):
        Ranker(factors, genres, counts, ease_rows=rows, ease_weights=weights)


def test_a_weighted_ease_part_without_its_arrays_is_refused():
    factors, genres, counts = np.ones((5, 2), np.float32), np.eye(5, 3, dtype=np.float32), np.ones(5)
    rows = np.tile(np.arange(1, 5, dtype=np.int32), (5, 1))
    graph = (rows, np.ones((5, 4), np.float32))
    with pytest.raises(ValueError, match="no ease_rows"):
        Ranker(factors, genres, counts, *graph, {"weights": {"graph": 1.0, "ease": 0.5, "mf": 0.1, "popularity": 0.0}})


def test_the_search_and_the_fit_give_the_same_weights():
    users, items, ratings = _ratings(50, 20, seed=3)
    rows, b = ease.fit(users, items, ratings, 50, 20, 30.0)
    gram = ease.Gram(users, items, ratings, 50, 20)
    assert np.array_equal(gram.rows, rows) and np.allclose(gram.weights(30.0), b, atol=1e-5)
