"""The Matcher over a real grpc.aio server on a free loopback port: replies, validation, health."""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from movierec.artifact import load_catalog
from movierec.v1 import matcher_pb2, matcher_pb2_grpc
from services.matcher.index import MATCH_THRESHOLD, TitleIndex
from services.matcher.server import MatcherServicer
from testing.servers import serving as serving_service

pytestmark = pytest.mark.integration  # gRPC servers and channels on loopback

INVALID = grpc.StatusCode.INVALID_ARGUMENT


@contextlib.asynccontextmanager
async def serving(servicer: MatcherServicer) -> AsyncIterator[tuple[matcher_pb2_grpc.MatcherStub, grpc.aio.Channel]]:
    """(stub, channel) of a started GrpcService on a free loopback port serving `servicer`."""
    async with serving_service(servicer) as service:
        async with grpc.aio.insecure_channel(service.address) as channel:
            yield matcher_pb2_grpc.MatcherStub(channel), channel


@pytest.fixture
async def served(tiny_artifact_root):
    """(stub, channel, catalog version) of a matcher serving the tiny artifact."""
    manifest, movies = load_catalog(tiny_artifact_root)
    async with serving(MatcherServicer(TitleIndex(movies), manifest["version"])) as (stub, channel):
        yield stub, channel, manifest["version"]


async def resolve(stub, *queries: str, max_alternatives: int = 0) -> matcher_pb2.ResolveResponse:
    return await stub.Resolve(matcher_pb2.ResolveRequest(queries=list(queries), max_alternatives=max_alternatives),
                              timeout=5)


async def test_resolve_answers_each_query_in_order(served):
    stub, _, version = served
    reply = await resolve(stub, "the usual suspects", "Heat (1995)", "  jurasic park ", "The Matrix")
    assert reply.catalog_version == version
    assert [r.query for r in reply.results] == ["the usual suspects", "Heat (1995)", "  jurasic park ", "The Matrix"]
    usual, heat, jurassic, matrix = reply.results
    assert usual.matched and usual.best.movie.movie_id == 12 and usual.best.confidence == 1.0
    assert usual.best.movie.title == "Usual Suspects, The" and usual.best.movie.year == 1995
    assert list(usual.best.movie.genres) == ["Crime", "Thriller"]
    assert heat.matched and heat.best.movie.movie_id == 273
    assert jurassic.matched and jurassic.best.movie.movie_id == 82 and jurassic.best.confidence < 1.0
    assert not matrix.matched and not matrix.HasField("best")
    assert all(a.confidence < MATCH_THRESHOLD for a in matrix.alternatives)


async def test_no_match_carries_the_nearest_candidates(served):
    stub, _, _ = served
    (result,) = (await resolve(stub, "heet")).results
    assert not result.matched
    assert result.alternatives[0].movie.movie_id == 273


async def test_alternatives_default_to_three_and_follow_the_request(served):
    stub, _, _ = served
    (dup,) = (await resolve(stub, "body snatchers")).results
    assert dup.best.movie.movie_id == 670 and dup.alternatives[0].movie.movie_id == 573
    counts = {}
    for asked in (0, 1, 2, 10):  # a typo: fuzzy scoring, whose near keys are the alternatives
        (result,) = (await resolve(stub, "the godfater", max_alternatives=asked)).results
        assert result.best.movie.movie_id == 127
        assert result.best.movie.movie_id not in [a.movie.movie_id for a in result.alternatives]
        counts[asked] = len(result.alternatives)
    assert counts[1] == 1 and counts[2] == 2 and counts[0] == 3 <= counts[10] <= 10
    # a catalog title: answered from the key table; its alternatives are the movies of the same title only
    (exact,) = (await resolve(stub, "the godfather", max_alternatives=10)).results
    assert exact.best.movie.movie_id == 127 and exact.best.confidence == 1.0 and not exact.alternatives


async def test_a_swapped_in_catalog_answers_with_its_own_titles(tiny_artifact_root):
    # The servicer keeps built Movie messages; after a hot reload they must come from the new catalog.
    manifest, movies = load_catalog(tiny_artifact_root)
    servicer = MatcherServicer(TitleIndex(movies), manifest["version"])
    async with serving(servicer) as (stub, _):
        (before,) = (await resolve(stub, "heat")).results
        assert (before.best.movie.movie_id, before.best.movie.title) == (273, "Heat")
        renamed = tuple(replace(m, title="Heat Wave") if m.movie_id == 273 else m for m in movies)
        servicer.index, servicer.catalog_version = TitleIndex(renamed), "v2"
        reply = await resolve(stub, "heat wave")
        assert reply.catalog_version == "v2"
        assert (reply.results[0].best.movie.movie_id, reply.results[0].best.movie.title) == (273, "Heat Wave")


async def test_suggest(served):
    stub, _, version = served
    reply = await stub.Suggest(matcher_pb2.SuggestRequest(prefix="hea"), timeout=5)
    assert reply.catalog_version == version
    assert [s.movie.movie_id for s in reply.suggestions] == [273, 433]
    limited = await stub.Suggest(matcher_pb2.SuggestRequest(prefix="s", limit=1), timeout=5)
    assert len(limited.suggestions) == 1
    unlimited = await stub.Suggest(matcher_pb2.SuggestRequest(prefix="s", limit=0), timeout=5)
    assert 1 <= len(unlimited.suggestions) <= 10


@pytest.mark.parametrize(("request_", "fragment"), [
    (matcher_pb2.ResolveRequest(), "at least one"),
    (matcher_pb2.ResolveRequest(queries=["heat"] * 51), "at most 50"),
    (matcher_pb2.ResolveRequest(queries=["heat", "   "]), "queries[1] is empty"),
    (matcher_pb2.ResolveRequest(queries=["x" * 201]), "at most 200"),
    (matcher_pb2.ResolveRequest(queries=["heat"], max_alternatives=11), "max_alternatives"),
    (matcher_pb2.ResolveRequest(queries=["heat"], max_alternatives=-1), "max_alternatives"),
])
async def test_resolve_rejects_bad_requests(served, request_, fragment):
    stub, _, _ = served
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await stub.Resolve(request_, timeout=5)
    assert e.value.code() == INVALID
    assert fragment in e.value.details()


async def test_resolve_accepts_the_limits(served):
    stub, _, _ = served
    reply = await resolve(stub, *(["heat"] * 49 + ["  " + "x" * 200 + "  "]), max_alternatives=10)
    assert len(reply.results) == 50


@pytest.mark.parametrize(("request_", "fragment"), [
    (matcher_pb2.SuggestRequest(), "prefix is empty"),
    (matcher_pb2.SuggestRequest(prefix=" \t "), "prefix is empty"),
    (matcher_pb2.SuggestRequest(prefix="x" * 201), "at most 200"),
    (matcher_pb2.SuggestRequest(prefix="he", limit=51), "limit"),
    (matcher_pb2.SuggestRequest(prefix="he", limit=-3), "limit"),
])
async def test_suggest_rejects_bad_requests(served, request_, fragment):
    stub, _, _ = served
    with pytest.raises(grpc.aio.AioRpcError) as e:
        await stub.Suggest(request_, timeout=5)
    assert e.value.code() == INVALID
    assert fragment in e.value.details()


async def test_health_says_serving(served):
    _, channel, _ = served
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "movierec.v1.Matcher"):
        reply = await health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
