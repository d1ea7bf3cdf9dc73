"""The re-rank stage: its features against a slow dense reference, the order it serves, its artifact file."""
from __future__ import annotations

import grpc
import numpy as np
import pytest

from movierec.artifact import RERANK_FILE, ArtifactError, load_artifact, read_rerank_model, sha256_file
from movierec.ranking import parts
from movierec.ranking.lambdamart import LambdaMart
from movierec.ranking.ranker import Ranker
from movierec.ranking.rerank_features import FEATURES, GRAPH_LINKS, LEGACY_FEATURES, graph_links
from movierec.v1 import scorer_pb2 as pb
from movierec.v1 import scorer_pb2_grpc
from services.scorer.model import HybridModel
from services.scorer.server import ScorerServicer
from testing.artifacts import (
    RERANK_CANDIDATES,
    backwards_rerank_model,
    build_graph_artifact,
    build_rerank_artifact,
)
from testing.servers import serving


@pytest.fixture(scope="module")
def stage_root(tmp_path_factory):
    return build_rerank_artifact(tmp_path_factory.mktemp("rerank"))


@pytest.fixture(scope="module")
def stage_model(stage_root) -> HybridModel:
    return HybridModel(load_artifact(stage_root))


def slow_features(m: HybridModel, rows: np.ndarray, weights: np.ndarray, cand: np.ndarray, alpha: float) -> np.ndarray:
    """FEATURES (C, F) from dense (I, I) matrices and parts.py's whole-catalog definitions, one value at a time."""
    n = m.n_items
    graph = parts.zscore(parts.graph_scores(m.neighbor_rows, m.neighbor_weights, rows, weights, n))
    ease = parts.zscore(parts.ease_scores(m.ease_rows, m.ease_weights, rows, weights, n))
    mf = parts.zscore(parts.mf_scores(m.item_factors, rows, weights, m.foldin_reg))
    content = parts.zscore(parts.content_scores(m.genre_units, rows, weights))
    blend = parts.blend(graph, mf, m.popularity, content, m.weights, alpha, ease)
    dense_graph = np.zeros((n, n))
    for i in range(n):
        for j, w in zip(m.neighbor_rows[i], m.neighbor_weights[i]):
            dense_graph[i, j] += w
    dense_ease = np.zeros((n, n))
    dense_ease[np.ix_(m.ease_rows, m.ease_rows)] = m.ease_weights
    f = m.item_factors.astype(np.float64)
    f_units = f / np.linalg.norm(f, axis=1, keepdims=True)
    pairs = [dense_graph, dense_ease, f_units @ f_units.T, m.genre_units.astype(np.float64) @ m.genre_units.T]
    years = np.array([mv.year for mv in m.movies], dtype=np.float64)
    input_year = np.mean([years[r] for r in rows if years[r] > 0])
    out = []
    for rank, c in enumerate(cand):
        row = [blend[c], rank, graph[c], ease[c], mf[c], content[c]]
        for pair in pairs:
            values = [pair[r, c] for r in rows]
            row += [max(values), float(np.mean(values)), sum(w * v for w, v in zip(weights, values))]
        row += [m.popularity[c], m.movies[c].mean_rating, years[c], m.item_bias[c], float(np.mean(weights)),
                float(np.mean([m.popularity[r] for r in rows])), years[c] - input_year if years[c] > 0 else 0.0]
        row += slow_graph_links(m, rows, weights, c)
        out.append(row)
    return np.array(out)


def slow_graph_links(m: HybridModel, rows: np.ndarray, weights: np.ndarray, c: int) -> list[float]:
    """GRAPH_LINKS of candidate c, walking the neighbour rows' positive entries one by one."""
    width = m.neighbor_rows.shape[1]
    places = []
    for r in rows:
        listed = [j for j in range(width) if m.neighbor_rows[r, j] == c and m.neighbor_weights[r, j] > 0]
        places.append(listed[0] if listed else None)
    found = [(w, p) for w, p in zip(weights, places) if p is not None]
    back = [j for j in range(width) if m.neighbor_rows[c, j] in set(rows.tolist()) and m.neighbor_weights[c, j] > 0]
    return [len(found), min([p for _, p in found], default=width), sum(max(w, 0.0) / (1 + p) for w, p in found),
            len(back), float(sum(m.neighbor_weights[c, j] for j in back))]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_features_equal_the_slow_reference(stage_model, seed):
    m = stage_model
    rng = np.random.default_rng(seed)
    rows = rng.choice(m.n_items, 3, replace=False).astype(np.int64)
    weights = m.rating_weights(rng.choice([1.0, 3.5, 4.0, 5.0], 3))
    top, features = m.candidates(rows, weights, RERANK_CANDIDATES, m.default_alpha)
    assert features.shape == (len(top), len(FEATURES)) and not set(rows) & set(top.tolist())
    want = slow_features(m, rows, weights, top, m.default_alpha)
    assert np.allclose(features, want, rtol=1e-4, atol=1e-4), np.argwhere(~np.isclose(features, want, 1e-4, 1e-4))


def test_the_stage_orders_the_candidates_as_its_model_says(stage_model, tmp_path):
    """The tiny model ranks the blend's list backwards: the served top k is the blend's best C reversed."""
    rows, ratings = np.array([0, 3], dtype=np.int64), np.array([5.0, 4.0], dtype=np.float32)
    m = stage_model
    blend_alone = HybridModel(load_artifact(build_graph_artifact(tmp_path, ease=True)))
    blend_top = blend_alone.recommend(rows, ratings, RERANK_CANDIDATES, m.default_alpha, explain=False).rows
    top, features = m.candidates(rows, m.rating_weights(ratings), RERANK_CANDIDATES, m.default_alpha)
    assert top.tolist() == blend_top.tolist()  # same arrays: the stage sees the blend alone's candidates
    said = m.reranker.scores(features)
    assert np.all(np.diff(said) > 0)  # the model prefers every later candidate
    got = m.recommend(rows, ratings, 4, m.default_alpha)
    assert got.rows.tolist() == blend_top[::-1][:4].tolist()
    assert len(got.reasons) == 4 and len(got.drivers) == 4  # explanations still computed for the new order
    assert np.allclose(got.score, blend_alone.recommend(rows, ratings, RERANK_CANDIDATES, m.default_alpha,
                                                        explain=False).score[::-1][:4])  # the blend's own scores


def test_diversity_reranks_the_stages_order(stage_model):
    rows, ratings = np.array([0, 3], dtype=np.int64), np.array([5.0, 4.0], dtype=np.float32)
    plain = stage_model.recommend(rows, ratings, 4, stage_model.default_alpha, explain=False)
    varied = stage_model.recommend(rows, ratings, 4, stage_model.default_alpha, explain=False, diversity=1.0)
    assert varied.rows[0] == plain.rows[0]  # MMR starts from the stage's best
    assert not set(varied.rows.tolist()) & set(rows.tolist())


def test_the_artifact_round_trips_the_model_text_with_its_checksum(stage_root):
    art = load_artifact(stage_root)
    text = (stage_root / RERANK_FILE).read_text(encoding="utf-8")
    assert art.rerank_model == text and text.startswith("tree")
    assert art.manifest["files"][RERANK_FILE]["sha256"] == sha256_file(stage_root / RERANK_FILE)
    assert read_rerank_model(stage_root) == text
    assert read_rerank_model(build_graph_artifact(stage_root.parent / "plain")) is None


def test_a_corrupted_model_text_is_refused(tmp_path):
    root = build_rerank_artifact(tmp_path / "a")
    file = root / RERANK_FILE
    text = file.read_text(encoding="utf-8")
    file.write_text(text.replace("tree", "tref", 1), encoding="utf-8")  # same size, other bytes
    with pytest.raises(ArtifactError, match="rerank.txt"):
        load_artifact(root)
    with pytest.raises(ArtifactError, match="rerank.txt"):
        read_rerank_model(root)


def test_a_checksummed_text_that_is_no_model_is_refused_by_the_scorer(tmp_path):
    art = load_artifact(build_rerank_artifact(tmp_path, model_text="not a LightGBM model\n"))
    with pytest.raises(ArtifactError, match="re-rank model"):
        HybridModel(art)


def test_a_model_of_other_features_is_refused():
    text = backwards_rerank_model(4, queries=20).replace("feature_names=blend ", "feature_names=other ", 1)
    with pytest.raises(ValueError, match="features"):
        LambdaMart(text, 4)


def test_a_stage_learnt_before_the_graph_links_is_served_on_its_own_columns(stage_model):
    """An artifact written before GRAPH_LINKS were features keeps loading: its model reads the first 25 columns."""
    import lightgbm

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, LEGACY_FEATURES)).astype(np.float32)
    booster = lightgbm.train({"objective": "lambdarank", "num_leaves": 4, "min_data_in_leaf": 5, "verbosity": -1},
                             lightgbm.Dataset(x, rng.integers(0, 2, 200), group=[10] * 20,
                                              feature_name=list(FEATURES[:LEGACY_FEATURES])), num_boost_round=5)
    old = LambdaMart(booster.model_to_string(), RERANK_CANDIDATES)
    rows = np.array([0, 3], dtype=np.int64)
    _, features = stage_model.candidates(rows, np.ones(2), RERANK_CANDIDATES, stage_model.default_alpha)
    assert features.shape[1] == len(FEATURES) > LEGACY_FEATURES and old.n_features == LEGACY_FEATURES
    assert np.allclose(old.scores(features), booster.predict(features[:, :LEGACY_FEATURES]))
    short = lightgbm.train({"objective": "lambdarank", "verbosity": -1, "min_data_in_leaf": 5},
                           lightgbm.Dataset(x[:, :-1], rng.integers(0, 2, 200), group=[10] * 20,
                                            feature_name=list(FEATURES[:LEGACY_FEATURES - 1])), num_boost_round=2)
    with pytest.raises(ValueError, match="features"):
        LambdaMart(short.model_to_string(), RERANK_CANDIDATES)


def test_graph_links_known_answer():
    """Movies 0-4; inputs 0 and 1. Row 0 lists 2, 3, then a weight-0 filler 4; row 1 lists 3 then 2; the
candidates' rows list both inputs (3, 2) or input 0 and a filler 1 (4)."""
    nb_rows = np.array([[2, 3, 4], [3, 2, 0], [0, 1, 3], [0, 1, 4], [0, 2, 1]], dtype=np.int32)
    nb_weights = np.array([[0.5, 0.2, 0.0], [0.4, 0.1, 0.05], [0.3, 0.3, 0.3], [0.6, 0.2, 0.0],
                           [0.1, 0.1, 0.0]], dtype=np.float32)
    ranker = Ranker(np.eye(5, 2, dtype=np.float32) + 0.1, np.eye(5, 2), np.arange(5) + 1, nb_rows, nb_weights)
    rows, weights = np.array([0, 1]), np.array([1.0, -1.0])
    hits, place, rr, back, back_w = graph_links(ranker, rows, weights, np.array([3, 4, 2]))
    assert hits.tolist() == [2, 0, 2] and place.tolist() == [0, 3, 0]  # 4 is only a filler: not listed
    assert rr.tolist() == pytest.approx([1 / 2, 0.0, 1.0])  # the disliked input (weight -1) adds nothing
    assert back.tolist() == [2, 1, 2] and back_w.tolist() == pytest.approx([0.8, 0.1, 0.6])
    assert len(GRAPH_LINKS) == 5


def test_an_artifact_without_the_stage_serves_the_blend(tmp_path):
    m = HybridModel(load_artifact(build_graph_artifact(tmp_path, ease=True)))
    assert m.reranker is None
    got = m.recommend(np.array([0, 3]), np.array([5.0, 4.0], dtype=np.float32), 4, m.default_alpha)
    assert len(got.rows) == 4 and np.all(np.diff(got.score) <= 0)  # the blend's order


@pytest.mark.integration
async def test_a_scorer_serving_the_stage_answers_recommend(stage_model):
    async with serving(ScorerServicer(stage_model)) as service:
        async with grpc.aio.insecure_channel(service.address) as channel:
            stub = scorer_pb2_grpc.ScorerStub(channel)
            liked = [pb.LikedMovie(movie_id=stage_model.movies[0].movie_id),
                     pb.LikedMovie(movie_id=stage_model.movies[3].movie_id, rating=4.0)]
            reply = await stub.Recommend(pb.RecommendRequest(liked=liked, top_k=4))
            varied = await stub.Recommend(pb.RecommendRequest(liked=liked, top_k=4, diversity=0.5))
    rows, ratings = np.array([0, 3], dtype=np.int64), np.array([5.0, 4.0], dtype=np.float32)
    want = stage_model.recommend(rows, ratings, 4, stage_model.default_alpha).rows
    assert [r.movie.movie_id for r in reply.recommendations] == [stage_model.movies[i].movie_id for i in want]
    assert reply.model_version == "v-rerank-1" and len(varied.recommendations) == 4


def test_filters_that_leave_few_or_no_candidates_still_answer(stage_model):
    rows, ratings = np.array([0, 3], dtype=np.int64), np.array([5.0, 4.0], dtype=np.float32)
    allowed = np.zeros(stage_model.n_items, dtype=bool)
    allowed[[1, 2, 3]] = True  # 3 is an input: two candidates are left
    got = stage_model.recommend(rows, ratings, 10, stage_model.default_alpha, allowed=allowed)
    assert sorted(got.rows.tolist()) == [1, 2] and len(got.reasons) == 2
    none = stage_model.recommend(rows, ratings, 10, stage_model.default_alpha, allowed=allowed,
                                 exclude_rows=np.array([1, 2]))
    assert len(none.rows) == 0
