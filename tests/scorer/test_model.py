"""HybridModel against slow, obviously-correct versions of the same maths."""
from __future__ import annotations

import numpy as np
import pytest

from services.common.artifact import load_artifact
from services.scorer.model import HybridModel, UnknownIdError


@pytest.fixture(scope="module")
def model(tiny_artifact_root) -> HybridModel:
    return HybridModel(load_artifact(tiny_artifact_root))


def test_fold_in_solves_the_ridge_normal_equations(model):
    rows, ratings = np.array([0, 3, 4]), np.array([5.0, 4.0, 2.0], dtype=np.float32)
    p, b = model.fold_in(rows, ratings)
    # The minimiser of sum (r - mu - b_i - b - q.p)^2 + reg|p|^2 + 0.1 reg b^2 has zero gradient.
    resid = ratings - model.mu - model.item_bias[rows] - b - model.item_factors[rows] @ p
    grad_p = -2 * model.item_factors[rows].T @ resid + 2 * model.foldin_reg * p
    grad_b = -2 * resid.sum() + 2 * 0.1 * model.foldin_reg * b
    assert np.allclose(grad_p, 0, atol=1e-4) and abs(grad_b) < 1e-4


def test_recommend_matches_a_full_sort_and_excludes_liked_and_excluded(model):
    rows, ratings = np.array([0, 4]), np.array([5.0, 5.0], dtype=np.float32)
    ranked = model.recommend(rows, ratings, k=5, alpha=0.6, exclude_rows=np.array([2]))
    assert not set(ranked.rows.tolist()) & {0, 4, 2}
    # Slow reference: score every movie one by one, then sort.
    p, _ = model.fold_in(rows, ratings)
    cf = np.array([model.item_bias[i] + model.item_factors[i] @ p for i in range(model.n_items)])
    genre = model.genre_units
    profile = sum((r - 3.0) * genre[i] for i, r in zip(rows, ratings))
    content = np.array([genre[i] @ profile for i in range(model.n_items)])
    z = lambda x: (x - x.mean()) / x.std()  # noqa: E731
    expected = 0.6 * z(cf) + 0.4 * z(content)
    order = [i for i in np.argsort(-expected, kind="stable") if i not in (0, 4, 2)][:5]
    assert ranked.rows.tolist() == order
    assert np.allclose(ranked.score, expected[order], atol=1e-5)
    assert np.all(np.diff(ranked.score) <= 0)


def test_alpha_one_ranks_by_collaborative_only_and_zero_by_genre_only(model):
    rows, ratings = np.array([1]), np.array([5.0], dtype=np.float32)
    cf_only = model.recommend(rows, ratings, k=model.n_items, alpha=1.0)
    genre_only = model.recommend(rows, ratings, k=model.n_items, alpha=0.0)
    assert np.allclose(cf_only.score, cf_only.collaborative)
    assert np.allclose(genre_only.score, genre_only.content)
    assert len(cf_only.rows) == model.n_items - 1


def test_a_disliked_movie_pushes_its_genres_down(model):
    liked = model.recommend(np.array([0]), np.array([5.0], dtype=np.float32), k=model.n_items, alpha=0.0)
    disliked = model.recommend(np.array([0]), np.array([1.0], dtype=np.float32), k=model.n_items, alpha=0.0)
    lion_king = model.item_row(71)  # shares Animation/Children's with Toy Story
    assert liked.rows.tolist().index(lion_king) < disliked.rows.tolist().index(lion_king)


def test_similar_excludes_the_movie_itself(model):
    ranked = model.similar(0, k=3, alpha=0.5)
    assert 0 not in ranked.rows.tolist() and len(ranked.rows) == 3


def test_predict_is_the_biased_dot_product_clipped(model):
    u, i = model.user_row[3], model.item_row(50)
    raw = model.mu + model.user_bias[u] + model.item_bias[i] + model.user_factors[u] @ model.item_factors[i]
    assert model.predict(3, 50) == pytest.approx(float(np.clip(raw, 1, 5)), abs=1e-5)


@pytest.mark.parametrize("user,movie", [(999, 1), (1, 999)])
def test_predict_unknown_ids_raise(model, user, movie):
    with pytest.raises(UnknownIdError, match=str(999)):
        model.predict(user, movie)


def test_rows_of_names_every_unknown_id(model):
    with pytest.raises(UnknownIdError, match=r"\[7, 8\]"):
        model.rows_of([1, 7, 8])
