"""The limits the .proto comments state are the servers' limits: the last allowed value passes, one more is refused."""
from __future__ import annotations

import grpc
import pytest

from docs.gen_contract import compile_with_comments, elements
from scripts.stack import Stack
from services.client import CallError, MatcherClient, ScorerClient, recommend_request
from services.matcher import server as matcher_server
from services.scorer import server as scorer_server

INVALID = grpc.StatusCode.INVALID_ARGUMENT


def comment(rpc: str) -> str:
    return next(e.comment for e in elements(compile_with_comments()) if e.name == f"movierec.v1.{rpc}")


def test_the_comments_state_the_servers_constants() -> None:
    m, s = matcher_server, scorer_server
    assert f"1..{m.MAX_QUERIES} queries per call, each 1..{m.MAX_QUERY_CHARS} characters" in comment("Matcher/Resolve")
    assert f"at most {m.MAX_ALTERNATIVES} alternatives" in comment("Matcher/Resolve")
    assert f"prefix 1..{m.MAX_PREFIX_CHARS} characters" in comment("Matcher/Suggest")
    assert f"at most {m.MAX_SUGGESTIONS} suggestions" in comment("Matcher/Suggest")
    rec = comment("Scorer/Recommend")
    assert f"1..{s.MAX_LIKED} liked movies, top_k 1..{s.MAX_K} (0 = {s.DEFAULT_K})" in rec
    assert f"at most {s.MAX_EXCLUDE:,} excluded ids" in rec and f"at most {s.MAX_GENRES} genres" in rec
    assert f"years {s.YEAR_RANGE[0]}..{s.YEAR_RANGE[1]}" in rec
    assert f"k 1..{s.MAX_K} (0 = {s.DEFAULT_K})" in comment("Scorer/SimilarMovies")
    assert f"1..{s.MAX_BATCH} items per call" in comment("Scorer/RecommendBatch")


async def refused(call) -> str:
    with pytest.raises(CallError) as failed:
        await call
    assert failed.value.code == INVALID, failed.value
    return failed.value.details


async def test_matcher_limits(backends: Stack) -> None:
    m = matcher_server
    async with MatcherClient(backends.matcher_address) as matcher:
        assert len((await matcher.resolve(["heat"] * m.MAX_QUERIES)).results) == m.MAX_QUERIES
        await refused(matcher.resolve(["heat"] * (m.MAX_QUERIES + 1)))
        await matcher.resolve(["h" * m.MAX_QUERY_CHARS], max_alternatives=m.MAX_ALTERNATIVES)
        assert "queries[1]" in await refused(matcher.resolve(["heat", "h" * (m.MAX_QUERY_CHARS + 1)]))
        await refused(matcher.resolve(["heat"], max_alternatives=m.MAX_ALTERNATIVES + 1))
        await refused(matcher.resolve([]))
        await matcher.suggest("h" * m.MAX_PREFIX_CHARS, limit=m.MAX_SUGGESTIONS)
        await refused(matcher.suggest("h" * (m.MAX_PREFIX_CHARS + 1)))
        await refused(matcher.suggest("heat", limit=m.MAX_SUGGESTIONS + 1))


async def test_scorer_limits(backends: Stack) -> None:
    s = scorer_server
    async with ScorerClient(backends.scorer_address) as scorer:
        await scorer.recommend([1] * s.MAX_LIKED, top_k=s.MAX_K, exclude=range(10**6, 10**6 + s.MAX_EXCLUDE),
                               year_max=s.YEAR_RANGE[1])
        await refused(scorer.recommend([1] * (s.MAX_LIKED + 1)))
        await refused(scorer.recommend([1], top_k=s.MAX_K + 1))
        await refused(scorer.recommend([1], exclude=range(s.MAX_EXCLUDE + 1)))
        await refused(scorer.recommend([1], genres=[f"g{i}" for i in range(s.MAX_GENRES + 1)]))
        await refused(scorer.recommend([1], year_min=s.YEAR_RANGE[1] + 1))
        await refused(scorer.recommend([1], alpha=1.5))
        await scorer.similar_movies(50, k=s.MAX_K)
        await refused(scorer.similar_movies(50, k=s.MAX_K + 1))
        batch = await scorer.recommend_batch([recommend_request([1])] * s.MAX_BATCH)
        assert len(batch.results) == s.MAX_BATCH and {r.code for r in batch.results} == {0}
        await refused(scorer.recommend_batch([recommend_request([1])] * (s.MAX_BATCH + 1)))
