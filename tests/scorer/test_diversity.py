"""The diversity control: MMR re-ranking (movierec/ranking/diversity.py) and the Ranker's use of it."""
from __future__ import annotations

import numpy as np
import pytest

from movierec.artifact import load_artifact
from movierec.ranking.diversity import genre_coverage, intra_list_distance, mmr
from services.scorer.model import HybridModel
from testing.artifacts import synthetic_graph_artifact


@pytest.fixture(scope="module")
def graph_model(tmp_path_factory) -> HybridModel:
    """300 random movies with an item graph: room for MMR to choose among 40 candidates."""
    return HybridModel(load_artifact(synthetic_graph_artifact(tmp_path_factory.mktemp("graph"), 300)))


def test_mmr_known_answer_trades_a_near_copy_for_a_different_movie() -> None:
    relevance = np.array([1.0, 0.9, 0.5])
    vectors = np.array([[1.0, 0.0], [1.0, 0.01], [0.0, 1.0]])  # 0 and 1 are near copies, 2 unlike both
    assert mmr(relevance, vectors, 2, 0.0).tolist() == [0, 1]
    assert mmr(relevance, vectors, 2, 0.5).tolist() == [0, 2]
    assert mmr(relevance, vectors, 3, 1.0).tolist() == [0, 2, 1]


def test_mmr_at_zero_is_the_stable_sort_and_never_repeats() -> None:
    rng = np.random.default_rng(0)
    relevance = rng.integers(0, 5, 30).astype(float)  # many ties
    vectors = rng.normal(size=(30, 4))
    assert mmr(relevance, vectors, 10, 0.0).tolist() == np.argsort(-relevance, kind="stable")[:10].tolist()
    for d in (0.3, 1.0):
        picked = mmr(relevance, vectors, 30, d)
        assert sorted(picked.tolist()) == list(range(30))
    assert len(mmr(relevance, vectors, 50, 0.5)) == 30  # k above the candidates: all of them


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_mmr_refuses_a_diversity_outside_the_unit_interval(bad) -> None:
    with pytest.raises(ValueError, match="diversity"):
        mmr(np.ones(3), np.eye(3), 2, bad)


def test_intra_list_distance_and_genre_coverage_known_answers() -> None:
    assert intra_list_distance(np.array([[1.0, 0.0], [2.0, 0.0]])) == pytest.approx(0.0)
    assert intra_list_distance(np.eye(3)) == pytest.approx(1.0)
    assert intra_list_distance(np.array([[1.0, 0.0], [1.0, 1.0]])) == pytest.approx(1 - 2 ** -0.5)
    assert intra_list_distance(np.ones((1, 3))) == 0.0
    assert genre_coverage(np.array([[1, 0, 0], [1, 1, 0]])) == 2


QUERIES = [np.array(r) for r in ([0, 50, 99], [1, 200], [3, 40, 170, 211], [6], [8, 100, 120])]


def test_zero_diversity_is_todays_ranking_exactly(graph_model) -> None:
    for rows in QUERIES:
        r = np.linspace(5.0, 2.0, len(rows)).astype(np.float32)
        today = graph_model.recommend(rows, r, 8, 0.8)
        zero = graph_model.recommend(rows, r, 8, 0.8, diversity=0.0)
        assert zero.rows.tolist() == today.rows.tolist()
        assert np.array_equal(zero.score, today.score) and zero.reasons == today.reasons


def test_full_diversity_gives_more_varied_lists_deterministically(graph_model) -> None:
    distances = {0.0: [], 1.0: []}
    for rows in QUERIES:
        ratings = np.full(len(rows), 5.0, dtype=np.float32)
        for d in distances:
            ranked = graph_model.recommend(rows, ratings, 10, 0.8, diversity=d)
            again = graph_model.recommend(rows, ratings, 10, 0.8, diversity=d)
            assert ranked.rows.tolist() == again.rows.tolist()
            assert len(set(ranked.rows.tolist())) == 10 and not set(ranked.rows.tolist()) & set(rows.tolist())
            distances[d].append(intra_list_distance(graph_model.item_factors[ranked.rows]))
        assert distances[1.0][-1] > distances[0.0][-1]
    # the list still leads with the best-scored movie
    ratings = np.full(3, 5.0, dtype=np.float32)
    assert (graph_model.recommend(QUERIES[0], ratings, 5, 0.8, diversity=1.0).rows[0]
            == graph_model.recommend(QUERIES[0], ratings, 5, 0.8).rows[0])


def test_diversity_respects_filters_and_exclusions(graph_model) -> None:
    allowed = np.zeros(graph_model.n_items, dtype=bool)
    allowed[::2] = True
    ranked = graph_model.recommend(np.array([1, 3]), np.full(2, 5.0, dtype=np.float32), 6, 0.8,
                                   exclude_rows=np.array([0, 2]), allowed=allowed, diversity=0.7)
    assert len(ranked.rows) == 6 and all(r % 2 == 0 and r not in (0, 2) for r in ranked.rows.tolist())
