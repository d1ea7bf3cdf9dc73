"""The limits the .proto comments state are the servers' limits: the last allowed value passes, one more is refused."""
from __future__ import annotations

import grpc
import pytest

from docs.gen_contract import compile_with_comments, elements
from scripts.stack import Stack
from services.client import CallError, MatcherClient, ProfilesClient, ScorerClient, recommend_request
from services.matcher import server as matcher_server
from services.profiles import app_stats, credentials, values
from services.profiles import server as profiles_server
from services.profiles import store as profiles_store
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
    assert f"at most {s.MAX_GET_MOVIES:,} ids per call" in comment("Scorer/GetMovies")
    assert f"limit 0..{s.MAX_HISTORY} (0 = {s.DEFAULT_HISTORY})" in comment("Scorer/GetModelHistory")


def test_the_profiles_comments_state_the_servers_constants() -> None:
    c, st = credentials, profiles_store
    sign_up = comment("Profiles/SignUp")
    assert f"username {c.USERNAME_CHARS[0]}..{c.USERNAME_CHARS[1]} characters" in sign_up
    assert f"password {c.PASSWORD_CHARS[0]}..{c.PASSWORD_CHARS[1]} characters" in sign_up
    assert f"at most {profiles_server.MAX_INITIAL_RATINGS} initial ratings" in sign_up
    assert f"over {c.PASSWORD_CHARS[1]} characters" in comment("Profiles/LogIn")
    put = comment("Profiles/PutRating")
    assert f"movie_id 1..{values.MAX_MOVIE_ID}" in put and f"at most {st.MAX_RATINGS:,} rated movies" in put
    assert f"at most {st.MAX_MARKS:,} marks per account" in comment("Profiles/PutMark")
    assert f"newest {st.MAX_EXPORT_EVENTS:,} events" in comment("Profiles/ExportAccount")
    assert f"days 1..{app_stats.MAX_DAYS} (0 = {app_stats.DEFAULT_DAYS})" in comment("Profiles/GetAppStats")


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
        await scorer.recommend([1], diversity=1.0)
        await refused(scorer.recommend([1], diversity=1.5))
        await scorer.similar_movies(50, k=s.MAX_K)
        await refused(scorer.similar_movies(50, k=s.MAX_K + 1))
        batch = await scorer.recommend_batch([recommend_request([1])] * s.MAX_BATCH)
        assert len(batch.results) == s.MAX_BATCH and {r.code for r in batch.results} == {0}
        await refused(scorer.recommend_batch([recommend_request([1])] * (s.MAX_BATCH + 1)))
        found = await scorer.movies([50, 1, 50, *range(10**6, 10**6 + s.MAX_GET_MOVIES - 3)])
        assert [m.movie_id for m in found.movies] == [50, 1]
        await refused(scorer.movies(range(s.MAX_GET_MOVIES + 1)))


async def test_profiles_limits(profiles_stack: Stack) -> None:
    c = credentials
    n = profiles_server.MAX_INITIAL_RATINGS
    async with ProfilesClient(profiles_stack.profiles_address) as p:
        longest = "u" * c.USERNAME_CHARS[1]
        token = (await p.sign_up(longest, "p" * c.PASSWORD_CHARS[1], [(m, 3) for m in range(1, n + 1)])).token
        assert (await p.log_in(longest, "p" * c.PASSWORD_CHARS[1])).account.n_ratings == n
        await refused(p.sign_up("u" * (c.USERNAME_CHARS[1] + 1), "p" * c.PASSWORD_CHARS[0]))
        await refused(p.sign_up("u" * (c.USERNAME_CHARS[0] - 1), "p" * c.PASSWORD_CHARS[0]))
        await refused(p.sign_up("shortpass", "p" * (c.PASSWORD_CHARS[0] - 1)))
        await refused(p.sign_up("longpass", "p" * (c.PASSWORD_CHARS[1] + 1)))
        await refused(p.sign_up("manyratings", "p" * c.PASSWORD_CHARS[0], [(m, 3) for m in range(1, n + 2)]))
        await refused(p.log_in(longest, "p" * (c.PASSWORD_CHARS[1] + 1)))
        await p.put_rating(token, values.MAX_MOVIE_ID, 0.5)
        await refused(p.put_rating(token, 0, 0.5))
        await p.put_mark(token, values.MAX_MOVIE_ID, "seen")
        await refused(p.put_mark(token, -1, "seen"))
        assert len((await p.app_stats(days=app_stats.MAX_DAYS)).ratings_per_day) == app_stats.MAX_DAYS
        await refused(p.app_stats(days=app_stats.MAX_DAYS + 1))
