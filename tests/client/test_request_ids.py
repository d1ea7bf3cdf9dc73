"""One request id across gateway -> matcher -> scorer, read back from the services' JSON logs."""
from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from scripts.stack import Stack
from services.client import CallError, MatcherClient, ScorerClient
from services.common.request_id import RequestIdLogFilter, current_request_id
from services.gateway.app import create_app
from services.gateway.request_id import RequestIdMiddleware
from services.gateway.settings import GatewaySettings

pytestmark = pytest.mark.integration  # gRPC servers and channels on loopback


@pytest.fixture(scope="module")
def debug_backends(tiny_artifact_root: Path, tmp_path_factory) -> Stack:
    """Matcher and scorer processes logging at DEBUG, so every call writes its access line."""
    stack = Stack(artifact_dir=tiny_artifact_root, log_dir=tmp_path_factory.mktemp("request-id-logs"))
    saved = {k: os.environ.get(k) for k in ("MATCHER_LOG_LEVEL", "SCORER_LOG_LEVEL")}
    os.environ.update({k: "DEBUG" for k in saved})  # spawn() passes os.environ on to the children
    try:
        stack.start_service("matcher")
        stack.start_service("scorer")
    finally:
        for k, v in saved.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    yield stack
    stack.stop()


def access_lines(stack: Stack, service: str) -> list[dict]:
    """The per-call DEBUG lines ("rpc") of one service's log so far."""
    lines = (stack.log_dir / f"{service}.log").read_text().splitlines()
    return [r for r in map(json.loads, filter(lambda s: s.startswith("{"), lines)) if r.get("msg") == "rpc"]


def ids_of(stack: Stack, service: str, method: str) -> list[str]:
    return [r.get("request_id") for r in access_lines(stack, service) if r["method"].endswith("/" + method)]


@pytest.fixture
async def gateway(debug_backends: Stack, redis_url: str):
    cache_url = redis_url.rsplit("/", 1)[0] + "/5"  # a database of these tests, emptied: no cache hits
    async with aioredis.Redis.from_url(cache_url) as redis:
        await redis.flushdb()
    settings = GatewaySettings(matcher_address=debug_backends.matcher_address,
                               scorer_address=debug_backends.scorer_address, redis_url=cache_url)
    app = create_app(settings)
    assert any(m.cls is RequestIdMiddleware for m in app.user_middleware)  # create_app installs it
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw.test") as client:
            yield client


async def test_the_gateways_request_id_reaches_matcher_and_scorer_logs(gateway, debug_backends: Stack) -> None:
    reply = await gateway.post("/recommend/titles", headers={"X-Request-ID": "e2e-req-0001"},
                               json={"movies": ["toy story", "heat 1995"], "top_k": 3, "alpha": 0.41})
    assert reply.status_code == 200 and reply.headers["x-request-id"] == "e2e-req-0001"
    assert ids_of(debug_backends, "matcher", "Resolve")[-1] == "e2e-req-0001"
    assert ids_of(debug_backends, "scorer", "Recommend")[-1] == "e2e-req-0001"
    line = [r for r in access_lines(debug_backends, "scorer") if r.get("request_id") == "e2e-req-0001"][-1]
    assert line["code"] == "OK" and line["level"] == "debug" and line["ms"] >= 0


async def test_a_missing_or_unsafe_id_is_replaced_by_one_shared_fresh_id(gateway, debug_backends: Stack) -> None:
    for n, sent in enumerate(({}, {"X-Request-ID": 'x" injected\tvalue'}, {"X-Request-ID": "a" * 500})):
        reply = await gateway.post("/recommend/titles", headers=sent, json={"movies": ["star wars"], "top_k": 1 + n})
        made = reply.headers["x-request-id"]
        assert len(made) == 32 and int(made, 16) >= 0
        assert ids_of(debug_backends, "matcher", "Resolve")[-1] == made
        assert ids_of(debug_backends, "scorer", "Recommend")[-1] == made


async def test_a_batch_job_tags_both_services_with_its_own_id(debug_backends: Stack) -> None:
    async with MatcherClient(debug_backends.matcher_address) as matcher, \
            ScorerClient(debug_backends.scorer_address) as scorer:
        token = current_request_id.set("nightly-batch-7")
        try:
            resolved = await matcher.resolve(["jurassic park"])
            await scorer.recommend([resolved.results[0].best.movie.movie_id])
        finally:
            current_request_id.reset(token)
        await scorer.similar_movies(50, request_id="explicit-1")
    assert ids_of(debug_backends, "matcher", "Resolve")[-1] == "nightly-batch-7"
    assert ids_of(debug_backends, "scorer", "Recommend")[-1] == "nightly-batch-7"
    assert ids_of(debug_backends, "scorer", "SimilarMovies")[-1] == "explicit-1"


async def test_a_refused_call_is_logged_with_its_code(debug_backends: Stack) -> None:
    async with ScorerClient(debug_backends.scorer_address) as scorer:
        with pytest.raises(CallError, match="NOT_FOUND"):
            await scorer.recommend([99999], request_id="refused-1")
    for _ in range(50):  # the status goes out at abort(), the log line right after: wait for it
        line = [r for r in access_lines(debug_backends, "scorer") if r.get("request_id") == "refused-1"]
        if line:
            break
        await asyncio.sleep(0.02)
    assert [r["code"] for r in line] == ["NOT_FOUND"]


async def test_the_gateways_own_log_lines_carry_the_id(gateway, caplog) -> None:
    caplog.handler.addFilter(RequestIdLogFilter())
    with caplog.at_level(logging.INFO):
        reply = await gateway.post("/predict-rating", headers={"X-Request-ID": "gw-log-1"},
                                   json={"user_id": 999999, "movie_id": 1})
    assert reply.status_code == 404 and reply.headers["x-request-id"] == "gw-log-1"
    assert {getattr(r, "request_id", None) for r in caplog.records if r.name.startswith("services.gateway")} \
        == {"gw-log-1"}
