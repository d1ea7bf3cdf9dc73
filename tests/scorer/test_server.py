"""The Scorer over a real gRPC server on a loopback port: replies, status codes, health."""
from __future__ import annotations

import dataclasses

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from movierec.artifact import load_artifact
from movierec.v1 import scorer_pb2 as pb
from movierec.v1 import scorer_pb2_grpc
from services.client import ScorerClient, recommend_request
from services.scorer.model import HybridModel
from services.scorer.server import ScorerServicer
from testing.artifacts import GENRES, tiny_movies, write_random_artifact
from testing.servers import serving

pytestmark = pytest.mark.integration  # gRPC servers and channels on loopback


@pytest.fixture
async def channel(tiny_artifact_root):
    async with serving(ScorerServicer(HybridModel(load_artifact(tiny_artifact_root)))) as service:
        async with grpc.aio.insecure_channel(service.address) as ch:
            yield ch


async def test_recommend_returns_movies_with_version_and_alpha(channel):
    stub = scorer_pb2_grpc.ScorerStub(channel)
    reply = await stub.Recommend(pb.RecommendRequest(liked=[pb.LikedMovie(movie_id=1), pb.LikedMovie(movie_id=82)],
                                                     top_k=4, exclude_movie_ids=[50]))
    ids = [r.movie.movie_id for r in reply.recommendations]
    assert len(ids) == 4 and not {1, 82, 50} & set(ids)
    assert reply.model_version == "v-test-1" and reply.alpha == pytest.approx(0.7)
    assert all(r.movie.title and r.movie.year for r in reply.recommendations)
    scores = [r.score for r in reply.recommendations]
    assert scores == sorted(scores, reverse=True)


async def test_recommend_default_top_k_is_ten(channel):
    reply = await scorer_pb2_grpc.ScorerStub(channel).Recommend(pb.RecommendRequest(liked=[pb.LikedMovie(movie_id=1)]))
    assert len(reply.recommendations) == 10


@pytest.mark.parametrize("request_kwargs,needle", [
    ({}, "at least one"),
    ({"liked": [pb.LikedMovie(movie_id=1)] * 101}, "at most 100"),
    ({"liked": [pb.LikedMovie(movie_id=1)], "top_k": 101}, "top_k"),
    ({"liked": [pb.LikedMovie(movie_id=1)], "top_k": -1}, "top_k"),
    ({"liked": [pb.LikedMovie(movie_id=1)], "alpha": 1.5}, "alpha"),
    ({"liked": [pb.LikedMovie(movie_id=1)], "alpha": float("nan")}, "alpha"),
    ({"liked": [pb.LikedMovie(movie_id=1)], "diversity": 1.01}, "diversity"),
    ({"liked": [pb.LikedMovie(movie_id=1)], "diversity": -0.5}, "diversity"),
    ({"liked": [pb.LikedMovie(movie_id=1)], "diversity": float("nan")}, "diversity"),
    ({"liked": [pb.LikedMovie(movie_id=1, rating=9)]}, "rating"),
    ({"liked": [pb.LikedMovie(movie_id=1, rating=float("inf"))]}, "rating"),
])
async def test_recommend_rejects_bad_input(channel, request_kwargs, needle):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await scorer_pb2_grpc.ScorerStub(channel).Recommend(pb.RecommendRequest(**request_kwargs))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert needle in err.value.details()


async def test_recommend_unknown_movie_is_not_found_and_named(channel):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await scorer_pb2_grpc.ScorerStub(channel).Recommend(
            pb.RecommendRequest(liked=[pb.LikedMovie(movie_id=1), pb.LikedMovie(movie_id=424242)]))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND and "424242" in err.value.details()


async def test_predict_rating_known_and_unknown(channel):
    stub = scorer_pb2_grpc.ScorerStub(channel)
    reply = await stub.PredictRating(pb.PredictRatingRequest(user_id=1, movie_id=50))
    assert 1.0 <= reply.predicted_rating <= 5.0 and reply.model_version == "v-test-1"
    for user, movie in [(10_000, 50), (1, 10_000)]:
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await stub.PredictRating(pb.PredictRatingRequest(user_id=user, movie_id=movie))
        assert err.value.code() == grpc.StatusCode.NOT_FOUND


async def test_similar_movies_and_model_info(channel):
    stub = scorer_pb2_grpc.ScorerStub(channel)
    reply = await stub.SimilarMovies(pb.SimilarMoviesRequest(movie_id=82, k=3))
    assert reply.movie.title == "Jurassic Park" and len(reply.similar) == 3
    assert 82 not in [s.movie.movie_id for s in reply.similar]
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub.SimilarMovies(pb.SimilarMoviesRequest(movie_id=5555))
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    info = await stub.GetModelInfo(pb.ModelInfoRequest())
    assert info.model_version == "v-test-1" and info.dataset == "tiny-test" and info.n_movies == 12
    assert info.metrics["rmse"] == 1.0 and info.params["factors"] == "4"


async def test_health_reports_serving_for_the_service(channel):
    reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service="movierec.v1.Scorer"))
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


async def test_recommend_explains_and_filters(channel):
    stub = scorer_pb2_grpc.ScorerStub(channel)
    reply = await stub.Recommend(pb.RecommendRequest(
        liked=[pb.LikedMovie(movie_id=1), pb.LikedMovie(movie_id=127, rating=4.0)], top_k=10,
        genres=["Sci-Fi", "Thriller"], year_min=1990, year_max=1995))
    got = [r.movie for r in reply.recommendations]
    assert got and all({"Sci-Fi", "Thriller"} & set(m.genres) and 1990 <= m.year <= 1995 for m in got)
    for r in reply.recommendations:
        assert {b.movie_id for b in r.because} <= {1, 127}
        assert all(0.25 <= b.share <= 1 for b in r.because) and sum(b.share for b in r.because) <= 1 + 1e-5
        assert all(b.title in ("Toy Story", "Godfather, The") for b in r.because)
        assert not r.because or r.driver == pb.DRIVER_INPUTS
        assert 0 <= r.genre_share <= 1 and 0 <= r.popularity_share <= 1
    assert {r.driver for r in reply.recommendations} - {pb.DRIVER_UNSPECIFIED}  # every one explained, or most
    similar = await stub.SimilarMovies(pb.SimilarMoviesRequest(movie_id=1, k=3))
    assert all(s.driver == pb.DRIVER_UNSPECIFIED and not s.because for s in similar.similar)


@pytest.mark.parametrize("request_kwargs,needle", [
    ({"genres": ["Western"]}, "unknown genres"),
    ({"year_min": 1999, "year_max": 1990}, "after year_max"),
    ({"year_min": -5}, "year_min"),
])
async def test_recommend_rejects_bad_filters(channel, request_kwargs, needle):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await scorer_pb2_grpc.ScorerStub(channel).Recommend(
            pb.RecommendRequest(liked=[pb.LikedMovie(movie_id=1)], **request_kwargs))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and needle in err.value.details()


async def test_ratings_change_the_recommendations(channel):
    stub = scorer_pb2_grpc.ScorerStub(channel)
    liked = [pb.LikedMovie(movie_id=1, rating=5.0), pb.LikedMovie(movie_id=50, rating=5.0)]
    mixed = [pb.LikedMovie(movie_id=1, rating=5.0), pb.LikedMovie(movie_id=50, rating=1.0)]
    a = await stub.Recommend(pb.RecommendRequest(liked=liked, top_k=10))
    b = await stub.Recommend(pb.RecommendRequest(liked=mixed, top_k=10))
    order = lambda reply: [r.movie.movie_id for r in reply.recommendations]  # noqa: E731
    assert order(a) != order(b)
    jurassic = 82  # shares Action/Adventure/Sci-Fi with Star Wars, which the second person disliked
    assert order(a).index(jurassic) < order(b).index(jurassic)


async def test_filters_that_leave_no_candidate_give_an_empty_answer(channel):
    # Toy Story excluded and the only 1930 movie is none: the contract says fewer (here zero) results.
    reply = await scorer_pb2_grpc.ScorerStub(channel).Recommend(pb.RecommendRequest(
        liked=[pb.LikedMovie(movie_id=1)], year_min=1930, year_max=1930))
    assert list(reply.recommendations) == [] and reply.model_version == "v-test-1"


async def test_many_long_unknown_genres_get_a_short_clear_error(channel):
    # Found by tests/fuzz: echoing every unknown genre made the status message exceed gRPC's
    # metadata limit, so the client saw RESOURCE_EXHAUSTED instead of INVALID_ARGUMENT.
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await scorer_pb2_grpc.ScorerStub(channel).Recommend(pb.RecommendRequest(
            liked=[pb.LikedMovie(movie_id=1)], genres=["x" * 1000 + str(i) for i in range(20)]))
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "unknown genres" in err.value.details() and len(err.value.details()) < 1000


async def test_skip_unknown_liked_leaves_unknown_movies_out(tiny_artifact_root):
    servicer = ScorerServicer(HybridModel(load_artifact(tiny_artifact_root)))
    async with serving(servicer) as service, ScorerClient(service.address) as scorer:
        known = (await scorer.recommend([1], top_k=3)).recommendations
        mixed = await scorer.recommend([1, 99_999_999], top_k=3, skip_unknown=True)
        assert [r.movie.movie_id for r in mixed.recommendations] == [r.movie.movie_id for r in known]
        none_known = await scorer.recommend([99_999_999], top_k=3, skip_unknown=True)
        assert list(none_known.recommendations) == [] and none_known.model_version
        assert recommend_request([1]).skip_unknown_liked is False


async def test_diversity_zero_is_the_default_ranking_and_one_reorders(channel):
    stub = scorer_pb2_grpc.ScorerStub(channel)
    liked = [pb.LikedMovie(movie_id=1), pb.LikedMovie(movie_id=82)]

    async def ids(**kwargs):
        reply = await stub.Recommend(pb.RecommendRequest(liked=liked, top_k=5, **kwargs))
        return [r.movie.movie_id for r in reply.recommendations]
    default = await ids()
    assert await ids(diversity=0.0) == default
    varied = await ids(diversity=1.0)
    assert len(varied) == 5 and varied[0] == default[0] and not {1, 82} & set(varied)
    assert varied == await ids(diversity=1.0)


async def test_include_inputs_returns_the_known_liked_movies_once_in_order(tiny_artifact_root):
    servicer = ScorerServicer(HybridModel(load_artifact(tiny_artifact_root)))
    async with serving(servicer) as service, ScorerClient(service.address) as scorer:
        plain = await scorer.recommend([82, 1], top_k=3)
        assert list(plain.inputs) == []  # not asked for: the reply stays as small as before
        reply = await scorer.recommend([82, 99_999_999, 1, 82], top_k=3, skip_unknown=True, include_inputs=True)
        catalog = {m.movie_id: m for m in (await scorer.movies([1, 82])).movies}
        assert list(reply.inputs) == [catalog[82], catalog[1]]
        assert [r.movie.movie_id for r in reply.recommendations] == [r.movie.movie_id for r in plain.recommendations]


async def test_inputs_come_from_the_model_that_answered(tiny_artifact_root, tmp_path):
    """A swap between two replies: each reply's inputs, results and reasons name the titles of its own version."""
    renamed = [dataclasses.replace(m, title=f"{m.title} [v2]") for m in tiny_movies()]
    other = HybridModel(load_artifact(write_random_artifact(tmp_path / "v2", "v-test-2", renamed, GENRES)))
    servicer = ScorerServicer(HybridModel(load_artifact(tiny_artifact_root)))
    async with serving(servicer) as service, ScorerClient(service.address) as scorer:
        for model, version in ((servicer.model, "v-test-1"), (other, "v-test-2"), (servicer.model, "v-test-1")):
            servicer.model = model
            reply = await scorer.recommend([1, 82], top_k=5, include_inputs=True)
            titles = [m.title for m in reply.inputs] + [r.movie.title for r in reply.recommendations] + [
                b.title for r in reply.recommendations for b in r.because]
            assert reply.model_version == version and len(reply.inputs) == 2
            assert all(t.endswith(" [v2]") == (version == "v-test-2") for t in titles), titles
