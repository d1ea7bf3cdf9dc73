"""The served Ranker ranks, scores and explains exactly as the plain definitions of the ranking core.

testing/reference_ranker.py computes every part from movierec/ranking/parts.py over the whole catalog
and z-scores it with numpy, one array at a time. On fixed inputs — the real ML-100K artifact, a synthetic
artifact of 3,000 movies and the tiny ones, with ratings, exclusions, filters and several alphas —
both must give the same movies in the same order, the same score parts and the same explanations.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from movierec.artifact import load_artifact
from services.scorer.model import HybridModel
from testing.artifacts import build_graph_artifact, synthetic_graph_artifact
from testing.reference_ranker import ReferenceModel


def _cases(model: HybridModel, n: int, seed: int):
    """n requests: 1-8 input rows with ratings 1-5 (halves too), k, alpha, exclusions, sometimes filters."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        rows = rng.choice(model.n_items, int(rng.integers(1, min(8, model.n_items - 2) + 1)), replace=False)
        ratings = rng.choice(np.arange(1.0, 5.5, 0.5), len(rows)).astype(np.float32)
        if i % 5 == 0:
            ratings[:] = 5.0  # plain "liked" inputs, the common case
        exclude = rng.choice(model.n_items, int(rng.integers(0, 3)), replace=False)
        alpha = float(rng.choice([model.default_alpha, 0.0, 0.3, 1.0]))
        allowed = model.allowed([model.genre_names[int(rng.integers(len(model.genre_names)))]], 0, 0) \
            if i % 7 == 3 else None
        yield rows.astype(np.int64), ratings, int(rng.choice([1, 10, 25])), alpha, exclude.astype(np.int64), allowed


TIE = 1e-6  # scores this close are ties: equal inputs (e.g. genre vectors) that either order may take


def _assert_same_ranking(got, want, everything) -> None:
    """Same movies in the same order, except that movies with tied scores may swap (the old code's
    order among exact ties was whatever argpartition left); everything = the reference's full ranking."""
    assert len(got.rows) == len(want.rows)
    assert np.allclose(got.score, want.score, rtol=1e-4, atol=1e-4)
    reference_score = dict(zip(everything.rows.tolist(), everything.score.tolist()))
    for position, (g, w) in enumerate(zip(got.rows.tolist(), want.rows.tolist())):
        if g != w:  # only a tie may differ: the reference scores both exactly alike
            assert abs(reference_score[g] - reference_score[w]) < TIE, (position, g, w)
    return all(g == w for g, w in zip(got.rows.tolist(), want.rows.tolist()))


def _assert_same(model: HybridModel, reference: ReferenceModel, n: int, seed: int = 0) -> None:
    identical = 0
    for rows, ratings, k, alpha, exclude, allowed in _cases(model, n, seed):
        got = model.recommend(rows, ratings, k, alpha, exclude, allowed)
        want = reference.recommend(rows, ratings, k, alpha, exclude, allowed)
        everything = reference.recommend(rows, ratings, model.n_items, alpha, exclude, allowed, explain=False)
        same = _assert_same_ranking(got, want, everything)
        identical += same
        at = {r: i for i, r in enumerate(everything.rows.tolist())}
        for part in ("collaborative", "content"):  # each returned movie's parts, whatever its place in a tie
            expected = getattr(everything, part)[[at[r] for r in got.rows.tolist()]]
            assert np.allclose(getattr(got, part), expected, rtol=1e-4, atol=1e-4), part
        if same:
            assert len(got.reasons) == len(want.reasons)
            for g, w in zip(got.reasons, want.reasons):
                assert [r for r, _ in g] == [r for r, _ in w] and np.allclose([s for _, s in g], [s for _, s in w])
            assert got.drivers == want.drivers
            if len(got.rows):  # nothing to explain otherwise
                assert np.allclose(got.genre_share, want.genre_share, atol=1e-4)
                assert np.allclose(got.popularity_share, want.popularity_share, atol=1e-4)
    assert identical >= 0.8 * n  # ties decide only a few (genre-only alpha 0 on 0/1 genre vectors)
    for row in np.random.default_rng(seed).choice(model.n_items, min(20, model.n_items), replace=False):
        got = model.similar(int(row), 10, model.default_alpha)
        want = reference.similar(int(row), 10, model.default_alpha)
        _assert_same_ranking(got, want, reference.similar(int(row), model.n_items, model.default_alpha))


@pytest.mark.data
def test_same_rankings_as_before_on_the_ml100k_artifact(ml100k_artifact_root):
    art = load_artifact(ml100k_artifact_root)  # the blend alone: the reference has no re-rank stage
    _assert_same(HybridModel(art, rerank=False), ReferenceModel(art), 300)


def test_same_rankings_as_before_on_a_3000_movie_artifact(tmp_path):
    art = load_artifact(synthetic_graph_artifact(tmp_path, 3000, seed=4))
    _assert_same(HybridModel(art), ReferenceModel(art), 200, seed=1)


def test_same_rankings_with_an_ease_part_over_some_of_3000_movies(tmp_path):
    art = load_artifact(synthetic_graph_artifact(tmp_path, 3000, seed=4, ease_movies=800))
    model = HybridModel(art)
    assert model.weights["ease"] == 0.3 and model.ease_rows is not None and len(model.ease_rows) == 800
    _assert_same(model, ReferenceModel(art), 200, seed=1)


@pytest.mark.parametrize("graph", [True, False])
def test_same_rankings_as_before_on_the_tiny_artifacts(tmp_path, tiny_artifact_root, graph):
    art = load_artifact(build_graph_artifact(tmp_path) if graph else tiny_artifact_root)
    _assert_same(HybridModel(art), ReferenceModel(art), 100, seed=2)


def test_same_rankings_with_an_ease_part_on_the_tiny_artifact(tmp_path):
    art = load_artifact(build_graph_artifact(tmp_path, ease=True))
    model = HybridModel(art)
    assert model.weights["ease"] == 0.5 and model.ease_rows is not None
    _assert_same(model, ReferenceModel(art), 100, seed=2)


def test_an_input_with_no_weight_ranks_by_popularity_and_genres_alone(tmp_path):
    """Rating 3 weighs 0: graph and MF parts vanish (zero spread) in both versions."""
    art = load_artifact(build_graph_artifact(Path(tmp_path)))
    model, reference = HybridModel(art), ReferenceModel(art)
    rows, ratings = np.array([2]), np.array([3.0], dtype=np.float32)
    got, want = model.recommend(rows, ratings, 5, 0.7), reference.recommend(rows, ratings, 5, 0.7)
    assert got.rows.tolist() == want.rows.tolist() and np.allclose(got.score, want.score, atol=1e-5)
