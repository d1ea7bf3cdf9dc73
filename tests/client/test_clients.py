"""The typed clients and the reflection tool against the real matcher and scorer processes."""
from __future__ import annotations

import subprocess
import sys

import grpc
import pytest

from scripts.stack import ROOT, Stack
from services.client import CallError, MatcherClient, ScorerClient, recommend_request
from services.client.reflect import Reflected


async def test_matcher_client_resolves_and_suggests(backends: Stack) -> None:
    async with MatcherClient(backends.matcher_address) as matcher:
        resolved = await matcher.resolve(["usual suspects", "zzzzzz qqq"])
        suggested = await matcher.suggest("jura", limit=3)
        assert await matcher.healthy()
    assert resolved.results[0].matched and resolved.results[0].best.movie.movie_id == 12
    assert not resolved.results[1].matched
    assert suggested.suggestions[0].movie.title == "Jurassic Park"


async def test_scorer_client_calls_every_rpc(backends: Stack) -> None:
    async with ScorerClient(backends.scorer_address) as scorer:
        rec = await scorer.recommend([1, 82], top_k=3, ratings={82: 4.5}, exclude=[50])
        similar = await scorer.similar_movies(50, k=2)
        info = await scorer.model_info()
        rating = await scorer.predict_rating(1, 1)
        assert await scorer.healthy()
    assert len(rec.recommendations) == 3 and not {1, 82, 50} & {r.movie.movie_id for r in rec.recommendations}
    assert similar.movie.movie_id == 50 and len(similar.similar) == 2
    assert info.model_version == rec.model_version == similar.model_version == rating.model_version
    assert 0.5 <= rating.predicted_rating <= 5


async def test_errors_carry_the_code_and_the_servers_message(backends: Stack) -> None:
    async with ScorerClient(backends.scorer_address) as scorer, MatcherClient(backends.matcher_address) as matcher:
        with pytest.raises(CallError) as unknown:
            await scorer.recommend([99999])
        with pytest.raises(CallError) as too_many:
            await matcher.resolve(["heat"] * 51)
    assert unknown.value.code == grpc.StatusCode.NOT_FOUND and "99999" in unknown.value.details
    assert unknown.value.attempts == 1  # NOT_FOUND is never retried
    assert too_many.value.code == grpc.StatusCode.INVALID_ARGUMENT and "at most 50" in too_many.value.details


async def test_recommend_batch_answers_each_item_as_recommend_would(backends: Stack) -> None:
    requests = [recommend_request([1], top_k=4), recommend_request([99999]),
                recommend_request([50, 82], top_k=2, genres=["Crime"]), recommend_request([1], top_k=101)]
    async with ScorerClient(backends.scorer_address) as scorer:
        batch = await scorer.recommend_batch(requests)
        singles = [await scorer.recommend([1], top_k=4), await scorer.recommend([50, 82], top_k=2, genres=["Crime"])]
        with pytest.raises(CallError) as too_big:
            await scorer.recommend_batch([recommend_request([1])] * 101)
        with pytest.raises(CallError) as empty:
            await scorer.recommend_batch([])
    codes = [r.code for r in batch.results]
    assert codes == [0, grpc.StatusCode.NOT_FOUND.value[0], 0, grpc.StatusCode.INVALID_ARGUMENT.value[0]]
    assert batch.results[1].error.startswith("requests[1]: ") and "99999" in batch.results[1].error
    assert "top_k" in batch.results[3].error and not batch.results[3].HasField("response")
    assert [batch.results[0].response, batch.results[2].response] == singles
    assert batch.model_version == singles[0].model_version
    assert too_big.value.code == empty.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "at most 100" in too_big.value.details


def test_reflection_lists_and_calls_both_services(backends: Stack) -> None:
    with grpc.insecure_channel(backends.matcher_address) as channel:
        matcher = Reflected(channel)
        assert matcher.services() == ["grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection",
                                      "movierec.v1.Matcher"]
        assert matcher.methods("movierec.v1.Matcher") == ["Resolve", "Suggest"]
        reply = matcher.call("movierec.v1.Matcher/Resolve", '{"queries": ["heat 1995"]}')
    assert reply["results"][0]["best"]["movie"]["movieId"] == "273"  # int64 is a string in protobuf JSON
    with grpc.insecure_channel(backends.scorer_address) as channel:
        scorer = Reflected(channel)
        assert "RecommendBatch" in scorer.methods("movierec.v1.Scorer")
        info = scorer.call("movierec.v1.Scorer/GetModelInfo", "{}")
    assert info["modelVersion"] == "v-test-1"


def test_reflect_command_prints_a_reply_and_a_clear_error(backends: Stack) -> None:
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "services.client.reflect", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)

    listed = run(backends.scorer_address, "list")
    called = run(backends.scorer_address, "call", "movierec.v1.Scorer/SimilarMovies", '{"movieId": 50, "k": 1}')
    refused = run(backends.scorer_address, "call", "movierec.v1.Scorer/SimilarMovies", '{"movieId": 99999}')
    assert listed.returncode == 0 and "movierec.v1.Scorer" in listed.stdout.split()
    assert called.returncode == 0 and '"title": "Star Wars"' in called.stdout
    assert refused.returncode == 1 and refused.stderr.startswith("error: NOT_FOUND: ")
