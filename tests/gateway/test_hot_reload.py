"""Hot reload: LATEST flips while traffic runs; nothing fails, and nothing from the old model is served after."""
from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path

import grpc
import pytest

from movierec.v1 import matcher_pb2, matcher_pb2_grpc, scorer_pb2, scorer_pb2_grpc
from scripts.stack import Stack
from testing.artifacts import (
    GENRES,
    GRAPH_SERVING,
    build_graph_artifact,
    graph_arrays,
    tiny_movies,
    write_random_artifact,
)
from tests.gateway.conftest import OpenGateway

BODIES = [{"movies": ["Toy Story", "Heat"], "top_k": 4}, {"movies": ["Star Wars"], "top_k": 3},
          {"movies": ["Godfather", "Usual Suspects"], "top_k": 5, "alpha": 0.5}]


@pytest.fixture
def reloading_backends(tmp_path: Path, reloading_backends_on) -> tuple[Stack, Path]:
    """Matcher and scorer processes on an artifact root they poll every 0.1 s."""
    root = tmp_path / "artifacts"
    build_graph_artifact(root, version="v-reload-1", seed=0)
    return reloading_backends_on(root), root


async def test_latest_flips_under_traffic_without_failures_or_stale_answers(
        reloading_backends: tuple[Stack, Path], open_gateway: OpenGateway) -> None:
    stack, root = reloading_backends
    log: list[tuple[float, str, str, object]] = []  # (start time, source, model version, cached)
    failures: list[str] = []
    stop = asyncio.Event()

    # The background refresh is slowed to a minute: correctness must not depend on it.
    async with open_gateway(matcher_address=stack.matcher_address, scorer_address=stack.scorer_address,
                            model_refresh_seconds=60) as gw, \
            grpc.aio.insecure_channel(stack.scorer_address) as scorer_channel, \
            grpc.aio.insecure_channel(stack.matcher_address) as matcher_channel:
        scorer = scorer_pb2_grpc.ScorerStub(scorer_channel)
        matcher = matcher_pb2_grpc.MatcherStub(matcher_channel)
        for body in BODIES:  # fill the cache under the first version
            for _ in range(2):
                assert (await gw.client.post("/recommend/titles", json=body)).json()["model_version"] == "v-reload-1"

        async def http_traffic(body: dict) -> None:
            while not stop.is_set():
                started = time.monotonic()
                reply = await gw.client.post("/recommend/titles", json=body)
                if reply.status_code != 200:
                    failures.append(f"HTTP {reply.status_code}: {reply.text}")
                    continue
                log.append((started, "http", reply.json()["model_version"], reply.json()["cached"]))

        async def grpc_traffic() -> None:
            request = scorer_pb2.RecommendRequest(liked=[scorer_pb2.LikedMovie(movie_id=1)], top_k=5)
            while not stop.is_set():
                started = time.monotonic()
                try:
                    reply = await scorer.Recommend(request, timeout=5)
                    log.append((started, "scorer", reply.model_version, None))
                    resolved = await matcher.Resolve(matcher_pb2.ResolveRequest(queries=["heat"]), timeout=5)
                    log.append((started, "matcher", resolved.catalog_version, None))
                except grpc.aio.AioRpcError as e:
                    failures.append(f"gRPC {e.code().name}: {e.details()}")

        tasks = [asyncio.create_task(http_traffic(b)) for b in BODIES] + [asyncio.create_task(grpc_traffic())]
        await asyncio.sleep(0.5)
        build_graph_artifact(root, version="v-reload-2", seed=5)  # writes the version, then flips LATEST
        swapped_at = {}
        deadline = time.monotonic() + 20
        while len(swapped_at) < 2 and time.monotonic() < deadline:
            now = time.monotonic()
            info = await scorer.GetModelInfo(scorer_pb2.ModelInfoRequest())
            suggest = await matcher.Suggest(matcher_pb2.SuggestRequest(prefix="toy"))
            if info.model_version == "v-reload-2":
                swapped_at.setdefault("scorer", now)
            if suggest.catalog_version == "v-reload-2":
                swapped_at.setdefault("matcher", now)
            await asyncio.sleep(0.02)
        assert set(swapped_at) == {"scorer", "matcher"}, "the services did not pick up the new version"
        await asyncio.sleep(1.0)  # traffic on the new version, cache filling and hitting
        stop.set()
        await asyncio.gather(*tasks)

    assert not failures, failures[:5]
    after = [entry for entry in log if entry[0] > swapped_at["scorer"] and entry[1] != "matcher"]
    assert after and all(version == "v-reload-2" for _, _, version, _ in after), \
        {v for _, _, v, _ in after}
    assert all(v == "v-reload-2" for t, src, v, _ in log if src == "matcher" and t > swapped_at["matcher"])
    assert any(version == "v-reload-1" for _, _, version, _ in log), "traffic ran before the flip too"
    new_http = [cached for _, src, version, cached in log if src == "http" and version == "v-reload-2"]
    assert True in new_http and False in new_http, "answers were computed, then cached, under the new version"


async def test_personal_titles_follow_a_new_model_version(tmp_path: Path, reloading_backends_on,
                                                          open_gateway: OpenGateway) -> None:
    """/me/recommendations under a hot reload: every reply's input titles, results and reasons come from the
    version it names, and the new version's titles show once it serves."""
    root = tmp_path / "artifacts"
    build_graph_artifact(root, version="v-titles-1")
    stack = reloading_backends_on(root)
    stack.start_service("profiles")
    async with open_gateway(matcher_address=stack.matcher_address, scorer_address=stack.scorer_address,
                            profiles_address=stack.profiles_address) as gw:
        ratings = [{"movieId": 1, "rating": 5}, {"movieId": 82, "rating": 4}]
        signed_up = await gw.client.post("/auth/signup", json={"username": "reloader", "password": "a long password",
                                                               "ratings": ratings})
        assert signed_up.status_code == 201, signed_up.text
        seen: list[dict] = []

        async def recommendations() -> dict:
            reply = await gw.client.get("/me/recommendations", params={"top_k": 5})
            assert reply.status_code == 200, reply.text
            seen.append(reply.json())
            return seen[-1]

        assert sorted((await recommendations())["input_movies"]) == ["Jurassic Park", "Toy Story"]
        renamed = [dataclasses.replace(m, title=f"{m.title} [v2]") for m in tiny_movies()]
        write_random_artifact(root, "v-titles-2", renamed, GENRES, graph=graph_arrays(len(renamed), 5, 5),
                              serving=GRAPH_SERVING)
        deadline = time.monotonic() + 20
        while (await recommendations())["model_version"] != "v-titles-2" and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    assert seen[-1]["model_version"] == "v-titles-2", "the scorer did not pick up the new version"
    assert sorted(seen[-1]["input_movies"]) == ["Jurassic Park [v2]", "Toy Story [v2]"]
    for reply in seen:
        titles = reply["input_movies"] + [r["title"] for r in reply["recommendations"]] + [
            b["title"] for r in reply["recommendations"] for b in r["explanation"]["because_you_liked"]]
        new = reply["model_version"] == "v-titles-2"
        assert titles and all(t.endswith(" [v2]") == new for t in titles), (reply["model_version"], titles)
