"""HybridModel against slow, obviously-correct versions of the same maths."""
from __future__ import annotations

import numpy as np
import pytest

from movierec.artifact import ArtifactError, load_artifact
from movierec.ranking.parts import FALLBACK_WEIGHTS, N_REASONS, REASON_MIN_SHARE
from services.scorer.model import HybridModel, UnknownIdError
from testing.artifacts import GRAPH_SERVING as SERVING


@pytest.fixture(scope="module")
def model(tiny_artifact_root) -> HybridModel:
    """No item graph: the fallback blend (MF + popularity + genres)."""
    return HybridModel(load_artifact(tiny_artifact_root))


def z(x):
    return (x - x.mean()) / x.std()


def slow_scores(m: HybridModel, rows, ratings, alpha):
    """Every movie scored one by one from the formulas in the HybridModel docstring."""
    w = [(r - 3.0) / 2.0 for r in ratings]
    n = m.n_items
    graph = np.zeros(n)
    if m.neighbor_rows is not None:
        for row, wi in zip(rows, w):
            for j, weight in zip(m.neighbor_rows[row], m.neighbor_weights[row]):
                graph[j] += wi * weight
    q = m.item_factors[rows].astype(np.float64)  # ridge fold-in in its primal (k x k) form
    p = np.linalg.solve(q.T @ q + m.foldin_reg * np.eye(q.shape[1]), q.T @ np.array(w))
    mf = np.array([m.item_factors[i] @ p for i in range(n)])
    pop = z(np.log1p([mv.n_ratings for mv in m.movies]))
    wts = m.weights
    cf = wts["popularity"] * pop + wts["mf"] * z(mf) + (wts["graph"] * z(graph) if m.neighbor_rows is not None else 0)
    profile = sum(wi * m.genre_units[r] for r, wi in zip(rows, w))
    content = np.array([m.genre_units[i] @ profile for i in range(n)])
    return alpha * z(cf) + (1 - alpha) * z(content)


def test_fold_in_is_the_ridge_least_squares_fit(model):
    rows, weights = np.array([0, 3, 4, 7]), np.array([1.0, 0.5, 1.0, -1.0])
    p = model.fold_in(rows, weights).astype(np.float64)
    q = model.item_factors[rows].astype(np.float64)
    gradient = -2 * q.T @ (weights - q @ p) + 2 * model.foldin_reg * p  # zero at the minimum
    assert np.allclose(gradient, 0, atol=1e-5)
    assert not np.allclose(p / np.linalg.norm(p), (weights @ q) / np.linalg.norm(weights @ q), atol=1e-3)


@pytest.mark.parametrize("which", ["model", "graph_model"])
def test_recommend_matches_a_full_sort_and_excludes_liked_and_excluded(which, request):
    m = request.getfixturevalue(which)
    rows, ratings = np.array([0, 4, 6]), np.array([5.0, 4.0, 1.5], dtype=np.float32)
    ranked = m.recommend(rows, ratings, k=5, alpha=0.6, exclude_rows=np.array([2]))
    expected = slow_scores(m, rows, ratings, 0.6)
    order = [i for i in np.argsort(-expected, kind="stable") if i not in (0, 4, 6, 2)][:5]
    assert ranked.rows.tolist() == order
    assert np.allclose(ranked.score, expected[order], atol=1e-4)


def test_serving_weights_come_from_the_manifest_only_with_a_graph(model, graph_model):
    assert model.weights == FALLBACK_WEIGHTS and model.default_alpha == 0.7  # the trainer's manifest says 0.7
    # a manifest from before the EASE part names no weight for it: none is served
    assert graph_model.weights == {"ease": 0.0, **SERVING["weights"]}
    assert graph_model.default_alpha == SERVING["default_alpha"]


def test_alpha_one_ranks_by_collaborative_only_and_zero_by_genre_only(graph_model):
    rows, ratings = np.array([1]), np.array([5.0], dtype=np.float32)
    cf_only = graph_model.recommend(rows, ratings, k=graph_model.n_items, alpha=1.0)
    genre_only = graph_model.recommend(rows, ratings, k=graph_model.n_items, alpha=0.0)
    assert np.allclose(cf_only.score, cf_only.collaborative)
    assert np.allclose(genre_only.score, genre_only.content)
    assert len(cf_only.rows) == graph_model.n_items - 1


def test_a_disliked_movie_pushes_its_genres_and_neighbours_down(graph_model):
    m = graph_model
    liked = m.recommend(np.array([0]), np.array([5.0], dtype=np.float32), k=m.n_items, alpha=0.5)
    disliked = m.recommend(np.array([0]), np.array([1.0], dtype=np.float32), k=m.n_items, alpha=0.5)
    nearest = int(m.neighbor_rows[0, 0])
    assert liked.rows.tolist().index(nearest) < disliked.rows.tolist().index(nearest)
    lion_king = m.item_row(71)  # shares Animation/Children's with Toy Story
    genre_liked = m.recommend(np.array([0]), np.array([5.0], dtype=np.float32), k=m.n_items, alpha=0.0)
    genre_disliked = m.recommend(np.array([0]), np.array([1.0], dtype=np.float32), k=m.n_items, alpha=0.0)
    assert genre_liked.rows.tolist().index(lion_king) < genre_disliked.rows.tolist().index(lion_king)


def test_reasons_name_the_inputs_that_carried_each_result(graph_model):
    m = graph_model
    rows, ratings = np.array([0, 3]), np.array([5.0, 5.0], dtype=np.float32)
    ranked = m.recommend(rows, ratings, k=4, alpha=0.8)
    assert len(ranked.reasons) == len(ranked.drivers) == len(ranked.rows)
    for reasons in ranked.reasons:
        assert {r for r, _ in reasons} <= {0, 3} and len(reasons) <= N_REASONS
        shares = [s for _, s in reasons]
        assert shares == sorted(shares, reverse=True) and sum(shares) <= 1 + 1e-6
        assert all(s >= REASON_MIN_SHARE for s in shares)
    assert any(ranked.reasons)
    # A movie in input 0's neighbour list but not in input 3's is explained by input 0 first.
    only0 = set(m.neighbor_rows[0].tolist()) - set(m.neighbor_rows[3].tolist()) - {0, 3}
    for target, reasons in zip(ranked.rows, ranked.reasons):
        if int(target) in only0 and reasons and m.neighbor_weights[0][list(m.neighbor_rows[0]).index(target)] > 0:
            assert reasons[0][0] == 0


def test_filters_keep_only_matching_movies(graph_model):
    m = graph_model
    allowed = m.allowed(["Sci-Fi"], 1990, 0)
    ranked = m.recommend(np.array([0]), np.array([5.0], dtype=np.float32), k=10, alpha=0.7, allowed=allowed)
    assert ranked.rows.size and all("Sci-Fi" in m.movies[r].genres and m.movies[r].year >= 1990 for r in ranked.rows)
    assert {m.movies[r].movie_id for r in ranked.rows} == {82, 670}
    with pytest.raises(ValueError, match="Western"):
        m.allowed(["Western"], 0, 0)
    assert m.allowed([], 0, 0) is None


def test_similar_excludes_the_movie_itself(graph_model):
    ranked = graph_model.similar(0, k=3, alpha=0.5)
    assert 0 not in ranked.rows.tolist() and len(ranked.rows) == 3


def test_a_malformed_graph_is_refused(tiny_artifact_root):
    art = load_artifact(tiny_artifact_root)
    arrays = {**art.arrays, "neighbor_rows": np.full((art.arrays["item_ids"].size, 2), 99, dtype=np.int32),
              "neighbor_weights": np.ones((art.arrays["item_ids"].size, 2), dtype=np.float32)}
    bad = type(art)(art.path, art.manifest, arrays, art.genre_matrix, art.genre_names, art.movies, art._item_index)
    with pytest.raises(ArtifactError, match="neighbor_rows"):
        HybridModel(bad)


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
