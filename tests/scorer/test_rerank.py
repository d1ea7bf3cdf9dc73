"""The re-rank stage: its features against a slow dense reference, the order it serves, its artifact file."""
from __future__ import annotations

import grpc
import numpy as np
import pytest

from movierec.artifact import RERANK_FILE, ArtifactError, load_artifact, read_rerank_model, sha256_file
from movierec.ranking import parts
from movierec.ranking.lambdamart import LambdaMart
from movierec.ranking.rerank_features import FEATURES
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
        out.append(row)
    return np.array(out)


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
