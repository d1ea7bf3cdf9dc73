"""The ranking-blend search: it scores exactly what the scorer serves, covers its grid, and fails clearly."""
from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from movierec.artifact import load_artifact, write_artifact
from movierec.ranking import parts
from services.scorer.model import HybridModel
from trainer import ease, item_graph, tune_ranking
from trainer.bpmf import BPMFParams
from trainer.synthetic import make_synthetic

PARAMS = BPMFParams(factors=3, burn_in=2, samples=4, serve_factors=0)


@pytest.fixture(scope="module")
def dataset():
    return make_synthetic(n_users=200, n_items=80, density=0.4, seed=5)  # ~16 liked movies per user


@pytest.fixture(scope="module")
def split(dataset):
    users, items = dataset.indices()
    return tune_ranking.ValidationSplit(users, items, dataset.rating, len(dataset.user_ids()),
                                        dataset.genre_matrix().astype(np.float64), PARAMS, seed=7,
                                        rating_scale=dataset.rating_scale, foldin_reg=3.0)


def _served(tmp_path, dataset, split, blend) -> HybridModel:
    """The scorer's model over an artifact of the split's MF, training popularity and blend's graph."""
    users, items, ratings, n_users = split.train
    n_items = len(dataset.movies)
    rows, weights = tune_ranking.build_graph(users, items, ratings, n_users, n_items, blend)
    mf = split.mf
    arrays = {"global_mean": np.float32(mf.global_mean), "user_ids": np.arange(n_users, dtype=np.int64),
              "item_ids": dataset.item_ids(), "user_factors": mf.user_factors, "item_factors": mf.item_factors,
              "user_bias": mf.user_bias, "item_bias": mf.item_bias, "neighbor_rows": rows, "neighbor_weights": weights,
              **tune_ranking.build_ease(users, items, ratings, n_users, n_items, blend)}
    counts = np.bincount(items, minlength=n_items)
    movies = [replace(m, n_ratings=int(c)) for m, c in zip(dataset.movies, counts)]
    manifest = {"dataset": {"name": "synthetic"}, "serving": {**blend.serving(), "foldin_reg": 3.0}}
    path = write_artifact(tmp_path, "v1", arrays, dataset.genre_matrix(), list(dataset.genre_names), movies, manifest)
    return HybridModel(load_artifact(path))


@pytest.mark.parametrize("blend", [tune_ranking.DEFAULT_BLEND,
                                   tune_ranking.Blend(1.0, 0.5, 0.3, mf=0.4, popularity=0.2, alpha=0.9),
                                   tune_ranking.Blend(0.5, 0.7, 0.4, mf=0.2, popularity=0.2, alpha=0.9, ease=0.5,
                                                      ease_lambda=50.0),
                                   tune_ranking.Blend(0.5, 0.7, 0.4, mf=0.2, popularity=0.2, alpha=0.9, ease=0.5,
                                                      ease_lambda=20.0, ease_odds=32.0)])
def test_search_ranks_each_query_as_the_scorer_does(tmp_path, dataset, split, blend):
    model = _served(tmp_path, dataset, split, blend)
    assert (model.ease_rows is not None) == bool(blend.ease) and model.weights["ease"] == blend.ease
    graph = split.graph_parts()[blend.low_weight, blend.rp3_alpha, blend.rp3_beta]
    ease = split.ease_part(blend.ease_lambda, blend.ease_odds) if blend.ease else None
    scores = split.score(graph, blend.mf, blend.popularity, blend.alpha, ease, blend.ease)
    ratings = (split.weights * 2.0 + 3.0).astype(np.float32)  # back from the (r - 3) / 2 weights
    assert len(split.rows) >= 5
    for q, rows in enumerate(split.rows):
        s = scores[q].copy()
        s[rows] = -np.inf
        want = np.argsort(-s, kind="stable")[:10]
        got = model.recommend(rows, ratings[q], 10, blend.alpha, explain=False).rows
        assert got.tolist() == want.tolist()


def test_tune_blend_scores_the_whole_grid_best_first(dataset):
    users, items = dataset.indices()
    lines = []
    tried = tune_ranking.tune_blend(users, items, dataset.rating, len(dataset.user_ids()),
                                    dataset.genre_matrix().astype(np.float64), PARAMS, splits=2,
                                    on_progress=lines.append)
    eases = len(tune_ranking.EASE_WEIGHTS)  # one (λ, odds), chosen on the first split; weight 0 has none
    grid = (len(tune_ranking.LOW_WEIGHTS) * len(tune_ranking.RP3_ALPHAS) * len(tune_ranking.RP3_BETAS)
            * len(tune_ranking.MF_WEIGHTS) * len(tune_ranking.POP_WEIGHTS) * len(tune_ranking.ALPHAS) * eases)
    assert len(tried) == len({b.key() for b in tried}) == grid
    assert {b.ease for b in tried} == set(tune_ranking.EASE_WEIGHTS)
    (setting,) = {(b.ease_lambda, b.ease_odds) for b in tried if b.ease}
    assert setting in tune_ranking.EASE_SETTINGS
    assert {(b.ease_lambda, b.ease_odds) for b in tried if not b.ease} == {(0.0, 0.0)}
    assert [b.validation for b in tried] == sorted((b.validation for b in tried), reverse=True)
    assert 0 < tried[-1].validation < tried[0].validation <= 1
    done = [line for line in lines if "blends scored" in line]
    assert len(done) == 2 and done[0].startswith("validation split 1: ") and len(lines) == 4


def test_rank_defaults_builds_the_graph_and_serving_entries(dataset):
    arrays, serving = tune_ranking.rank(dataset, PARAMS, "defaults")
    n = len(dataset.movies)
    assert arrays["neighbor_rows"].shape == arrays["neighbor_weights"].shape == (n, n - 1)  # N capped at I - 1
    assert arrays["neighbor_rows"].dtype == np.int32 and arrays["neighbor_weights"].dtype == np.float32
    assert serving["default_alpha"] == tune_ranking.DEFAULT_BLEND.alpha
    assert serving["item_graph"]["method"] == "RP3beta" and "defaults" in serving["tuned_by"]["method"]


def test_too_few_liked_movies_to_tune_is_a_clear_error():
    tiny = make_synthetic(n_users=30, n_items=20, density=0.2, seed=1)
    with pytest.raises(ValueError, match="--ranking defaults"):
        tune_ranking.rank(tiny, PARAMS, "tuned")
    with pytest.raises(ValueError, match="ranking mode"):
        tune_ranking.rank(tiny, PARAMS, "best")


def test_sparse_search_scores_every_blend_as_the_dense_reference(split):
    """The search's sparse graph rows and fused top 10 give the dense (I, I) walk's figures for every grid point."""
    dense_graphs = split.graph_parts()
    graphs, local = split.graphs()
    weightings = list(itertools.product(tune_ranking.MF_WEIGHTS, tune_ranking.POP_WEIGHTS, tune_ranking.ALPHAS))
    sparse = split.judged(dict(graphs), local, weightings)
    assert set(sparse) == set(dense_graphs)
    for key, graph in dense_graphs.items():
        for c, (wm, wp, alpha) in enumerate(weightings):
            want = split.judge.ndcg_recall(split.score(graph, wm, wp, alpha))
            assert np.allclose((sparse[key][0][c], sparse[key][1][c]), want, atol=1e-9), (key, wm, wp, alpha)


def test_sparse_graph_rows_are_the_dense_walks_top_n(split):
    graphs, local = split.graphs([0.5], [0.7], [0.3, 0.5])
    needed = np.unique(split.rows)
    assert np.array_equal(needed[local], split.rows)
    inter = item_graph.interactions(*split.train, split.n_items, 0.5)
    walk = item_graph.Walk(inter, 0.7)
    for beta in (0.3, 0.5):
        rows, weights = item_graph.prune(walk.block(0, split.n_items) / walk.damping(beta), tune_ranking.NEIGHBORS)
        got_rows, got_weights = graphs[0.5, 0.7, beta]
        assert np.allclose(got_weights, weights[needed], rtol=1e-6)
        for r, i in enumerate(needed):  # the same neighbours with weight (tied ones in any order)
            positive = weights[i] > 0
            assert set(got_rows[r][positive]) == set(rows[i][positive])


def test_the_fallback_blend_is_scored_as_the_dense_reference(split):
    fallback = parts.FALLBACK_WEIGHTS
    zeros = np.zeros((len(split.rows), split.n_items))
    want = split.judge.ndcg_recall(split.score(zeros, fallback["mf"], fallback["popularity"], parts.FALLBACK_ALPHA))
    assert np.allclose(split.ndcg_recall(None), want, atol=1e-9)
    blend = tune_ranking.DEFAULT_BLEND
    graph = split.graph_parts([blend.low_weight], [blend.rp3_alpha], [blend.rp3_beta])[
        blend.low_weight, blend.rp3_alpha, blend.rp3_beta]
    assert np.allclose(split.ndcg_recall(blend),
                       split.judge.ndcg_recall(split.score(graph, blend.mf, blend.popularity, blend.alpha)), atol=1e-9)


def test_a_split_keeps_a_seeded_sample_of_its_held_out_users(dataset):
    users, items = dataset.indices()
    args = (users, items, dataset.rating, len(dataset.user_ids()), dataset.genre_matrix().astype(np.float64), PARAMS)
    whole = tune_ranking.ValidationSplit(*args, seed=7, rating_scale=dataset.rating_scale, foldin_reg=3.0)
    few = tune_ranking.ValidationSplit(*args, seed=7, rating_scale=dataset.rating_scale, foldin_reg=3.0,
                                       max_queries=10)
    again = tune_ranking.ValidationSplit(*args, seed=7, rating_scale=dataset.rating_scale, foldin_reg=3.0,
                                         max_queries=10)
    assert len(whole.rows) > 10 and len(few.rows) == 10 and np.array_equal(few.rows, again.rows)
    assert {tuple(r) for r in few.rows} <= {tuple(r) for r in whole.rows}


def test_one_split_is_enough_once_it_has_enough_users(dataset, monkeypatch):
    users, items = dataset.indices()
    monkeypatch.setattr(tune_ranking, "ENOUGH_QUERIES", 5)
    lines = []
    tune_ranking.tune_blend(users, items, dataset.rating, len(dataset.user_ids()),
                            dataset.genre_matrix().astype(np.float64), PARAMS, splits=3, on_progress=lines.append)
    assert len(lines) == 2 and all(line.startswith("validation split 1:") for line in lines)


def test_tuned_is_allowed_at_any_catalog_size(dataset):
    arrays, serving = tune_ranking.rank(dataset, PARAMS, "tuned")
    assert arrays["neighbor_rows"].shape[0] == len(dataset.movies)
    assert "grid search" in serving["tuned_by"]["method"] and len(serving["tuned_by"]["top"]) == 5


def test_batches_of_queries_give_the_figures_of_one_batch(split, monkeypatch):
    graphs, local = split.graphs([0.0], [0.7], [0.4])
    weightings = [(0.1, 0.2, 0.8), (0.4, 0.0, 1.0)]
    whole = split.judged(dict(graphs), local, weightings)
    monkeypatch.setattr(tune_ranking, "BATCH_CELLS", 7 * split.n_items)  # 7 queries a batch
    assert len(split.rows) % 7 != 0  # a short last batch too
    batched = split.judged(dict(graphs), local, weightings)
    for key in whole:
        assert np.allclose(whole[key], batched[key], atol=1e-12)


@pytest.mark.parametrize("odds", [0.0, 32.0])
def test_a_blend_with_ease_round_trips_through_the_manifest_and_rank_builds_its_part(dataset, odds):
    blend = tune_ranking.Blend(0.5, 0.7, 0.4, mf=0.2, popularity=0.2, alpha=0.9, ease=0.25, ease_lambda=50.0,
                               ease_odds=odds)
    restored = tune_ranking.Blend.of_serving(blend.serving())
    assert restored is not None and restored.key() == blend.key()
    arrays, serving = tune_ranking.rank(dataset, PARAMS, "defaults", kept=(blend, "v1"))
    n = len(dataset.movies)
    assert arrays["ease_rows"].tolist() == list(range(n)) and arrays["ease_weights"].shape == (n, n)
    users, items = dataset.indices()  # the part is the fit of the kept (λ, odds), not plain EASE's λ
    _, want = ease.fit(users, items, dataset.rating, len(dataset.user_ids()), n, 50.0, odds=odds)
    assert np.array_equal(arrays["ease_weights"], want)
    assert serving["weights"]["ease"] == 0.25 and serving["ease"]["lambda"] == 50.0
    assert serving["ease"]["dropout_odds"] == odds and ("EDLAE" in serving["ease"]["method"]) == bool(odds)
    assert serving["ease"]["items"] == n and serving["ease"]["restricted_to_most_liked"] is False
    plain, plain_serving = tune_ranking.rank(dataset, PARAMS, "defaults")  # DEFAULT_BLEND: no EASE part
    assert "ease_rows" not in plain and "ease" not in plain_serving and plain_serving["weights"]["ease"] == 0.0


def test_the_search_scores_the_ease_part_as_the_dense_reference(split):
    """With an EASE part, the sparse search's figures are the dense blend's (graph weight 1 plus w * EASE)."""
    graphs, local = split.graphs([0.0], [0.7], [0.4])
    weightings = [(0.1, 0.2, 0.8), (0.3, 0.0, 0.9)]
    lam, odds = 200.0, 16.0
    sparse = split.judged(dict(graphs), local, weightings, {0.0: (0.0, 0.0), 0.5: (lam, odds)})
    graph = split.graph_parts([0.0], [0.7], [0.4])[0.0, 0.7, 0.4]
    ease = split.ease_part(lam, odds)
    for we in (0.0, 0.5):
        for c, (wm, wp, alpha) in enumerate(weightings):
            want = split.judge.ndcg_recall(split.score(graph, wm, wp, alpha, ease, we))
            got = sparse[(0.0, 0.7, 0.4), we]
            assert np.allclose((got[0][c], got[1][c]), want, atol=1e-9), (we, wm, wp, alpha)
    blend = tune_ranking.Blend(0.0, 0.7, 0.4, mf=0.3, popularity=0.0, alpha=0.9, ease=0.5, ease_lambda=lam,
                               ease_odds=odds)
    assert np.allclose(split.ndcg_recall(blend),
                       split.judge.ndcg_recall(split.score(graph, 0.3, 0.0, 0.9, ease, 0.5)), atol=1e-9)
