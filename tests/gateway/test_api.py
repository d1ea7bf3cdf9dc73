"""The HTTP API against the real matcher and scorer (tiny artifact) and a real Redis."""
from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from movierec.v1 import matcher_pb2, matcher_pb2_grpc, scorer_pb2, scorer_pb2_grpc
from scripts.stack import Stack
from testing.artifacts import MOVIES
from tests.gateway.conftest import OpenGateway

CATALOG = {m[0]: m for m in MOVIES}  # movie_id -> (movie_id, title, year, genres, n_ratings)
MOVIE_FIELDS = {"movieId", "title", "year", "genres"}


@pytest.fixture(scope="module")
def model_version(tiny_artifact_root: Path) -> str:
    return (tiny_artifact_root / "LATEST").read_text().strip()


async def matcher_resolve(backends: Stack, queries: list[str]) -> matcher_pb2.ResolveResponse:
    async with grpc.aio.insecure_channel(backends.matcher_address) as channel:
        return await matcher_pb2_grpc.MatcherStub(channel).Resolve(
            matcher_pb2.ResolveRequest(queries=queries, max_alternatives=3), timeout=5)


async def scorer_recommend(backends: Stack, ids: list[int], top_k: int, alpha: float) -> scorer_pb2.RecommendResponse:
    async with grpc.aio.insecure_channel(backends.scorer_address) as channel:
        return await scorer_pb2_grpc.ScorerStub(channel).Recommend(scorer_pb2.RecommendRequest(
            liked=[scorer_pb2.LikedMovie(movie_id=i) for i in ids], top_k=top_k, alpha=alpha), timeout=5)


async def test_health_ok(open_gateway: OpenGateway, model_version: str) -> None:
    async with open_gateway() as gw:
        reply = await gw.client.get("/health")
    assert reply.status_code == 200
    assert reply.json() == {"status": "ok", "model_version": model_version,
                            "dependencies": {"matcher": "ok", "scorer": "ok", "profiles": "ok", "redis": "ok"}}


async def test_recommend_happy_path(open_gateway: OpenGateway, backends: Stack, model_version: str) -> None:
    movies = ["toy story", "the usual suspects", "jurasic park", "HEAT (1995)"]
    async with open_gateway() as gw:
        reply = await gw.client.post("/recommend/titles", json={"movies": movies, "top_k": 5})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert set(body) == {"input_movies", "missing_movies", "recommendations", "resolved", "suggestions",
                         "model_version", "alpha", "diversity", "cached"}
    assert body["diversity"] == 0.0  # absent: ranked by score alone
    assert body["input_movies"] == ["Toy Story", "Usual Suspects, The", "Jurassic Park", "Heat"]
    assert body["missing_movies"] == [] and body["suggestions"] == {}
    assert [r["query"] for r in body["resolved"]] == movies
    liked = [r["movieId"] for r in body["resolved"]]
    assert liked == [1, 12, 82, 273]
    for r in body["resolved"]:
        assert r["title"] == CATALOG[r["movieId"]][1] and r["year"] == CATALOG[r["movieId"]][2]
        assert 0 < r["confidence"] <= 1
    assert (body["model_version"], body["alpha"], body["cached"]) == (model_version, 0.7, False)

    recs = body["recommendations"]
    assert len(recs) == 5
    for rec in recs:
        assert set(rec) == MOVIE_FIELDS | {"score", "explanation"}
        assert rec["movieId"] not in liked
        why = rec["explanation"]
        assert why["collaborative"] + why["genre"] == pytest.approx(rec["score"], abs=1e-4)
        assert {r["movieId"] for r in why["because_you_liked"]} <= set(liked)
        _, title, year, genres, _ = CATALOG[rec["movieId"]]
        assert (rec["title"], rec["year"], rec["genres"]) == (title, year, genres)
    scores = [r["score"] for r in recs]
    assert scores == sorted(scores, reverse=True)
    direct = await scorer_recommend(backends, liked, 5, 0.7)  # what the scorer itself ranks
    assert [r["movieId"] for r in recs] == [s.movie.movie_id for s in direct.recommendations]


async def test_alpha_is_applied_and_reported(open_gateway: OpenGateway, backends: Stack) -> None:
    async with open_gateway() as gw:
        replies = [(await gw.client.post("/recommend/titles", json={"movies": ["Heat"], "top_k": 11, "alpha": a}))
                   for a in (0.0, 1.0)]
    bodies = [r.json() for r in replies]
    assert [b["alpha"] for b in bodies] == [0.0, 1.0]
    for alpha, body in zip((0.0, 1.0), bodies):
        direct = await scorer_recommend(backends, [273], 11, alpha)
        assert [r["movieId"] for r in body["recommendations"]] == [s.movie.movie_id for s in direct.recommendations]
    assert [r["score"] for r in bodies[0]["recommendations"]] != [r["score"] for r in bodies[1]["recommendations"]]


async def test_repeated_movies_are_scored_once(open_gateway: OpenGateway) -> None:
    async with open_gateway() as gw:
        body = (await gw.client.post("/recommend/titles", json={"movies": ["Heat", "heat (1995)", "HEAT"]})).json()
    assert body["input_movies"] == ["Heat"]
    assert [r["movieId"] for r in body["resolved"]] == [273, 273, 273]
    assert 273 not in [r["movieId"] for r in body["recommendations"]]


async def test_missing_titles_come_with_the_matchers_suggestions(open_gateway: OpenGateway, backends: Stack) -> None:
    movies = ["Toy Story", "lion kong", "star warz", "godfather part ii", "qwertyuiop zxcvb"]
    expected = await matcher_resolve(backends, movies)
    unmatched = [r for r in expected.results if not r.matched]
    assert any(r.alternatives for r in unmatched), "pick queries the matcher has alternatives for"
    async with open_gateway() as gw:
        body = (await gw.client.post("/recommend/titles", json={"movies": movies})).json()
    assert body["missing_movies"] == [r.query for r in unmatched]
    assert "qwertyuiop zxcvb" in body["missing_movies"]
    assert set(body["suggestions"]) == set(body["missing_movies"])
    for r in unmatched:
        got = body["suggestions"][r.query]
        assert [s["movieId"] for s in got] == [c.movie.movie_id for c in r.alternatives]
        for s in got:
            assert set(s) == {"movieId", "title", "year", "confidence"}
            assert s["title"] == CATALOG[s["movieId"]][1] and 0 < s["confidence"] <= 1
    assert body["input_movies"][0] == "Toy Story" and body["recommendations"]


async def test_nothing_resolved_is_an_empty_200(open_gateway: OpenGateway, model_version: str) -> None:
    async with open_gateway() as gw:
        reply = await gw.client.post("/recommend/titles", json={"movies": ["qwertyuiop zxcvb", "zzzz yyyy xxxx"]})
    assert reply.status_code == 200
    body = reply.json()
    assert body["recommendations"] == [] and body["input_movies"] == [] and body["resolved"] == []
    assert body["missing_movies"] == ["qwertyuiop zxcvb", "zzzz yyyy xxxx"]
    assert set(body["suggestions"]) == set(body["missing_movies"])
    assert (body["model_version"], body["alpha"]) == (model_version, 0.7)


async def test_predict_rating(open_gateway: OpenGateway, model_version: str) -> None:
    async with open_gateway() as gw:
        ok = await gw.client.post("/predict-rating", json={"user_id": 3, "movie_id": 82})
        unknown_user = await gw.client.post("/predict-rating", json={"user_id": 9999, "movie_id": 82})
        unknown_movie = await gw.client.post("/predict-rating", json={"user_id": 3, "movie_id": 99999})
    assert ok.status_code == 200
    body = ok.json()
    assert (body["user_id"], body["movie_id"], body["model_version"]) == (3, 82, model_version)
    assert 1.0 <= body["predicted_rating"] <= 5.0  # the tiny artifact's rating range
    for reply, wanted in ((unknown_user, "9999"), (unknown_movie, "99999")):
        assert reply.status_code == 404
        assert reply.headers["content-type"].startswith("application/json")
        assert wanted in reply.json()["detail"]


async def test_search(open_gateway: OpenGateway, model_version: str) -> None:
    async with open_gateway() as gw:
        body = (await gw.client.get("/movies/search", params={"q": "jura", "limit": 5})).json()
    assert body["query"] == "jura" and body["catalog_version"] == model_version
    assert 1 <= len(body["results"]) <= 5
    assert body["results"][0]["movieId"] == 82
    assert set(body["results"][0]) == MOVIE_FIELDS | {"confidence"}


async def test_similar_movies(open_gateway: OpenGateway) -> None:
    async with open_gateway() as gw:
        ok = await gw.client.get("/movies/82/similar", params={"k": 4})
        unknown = await gw.client.get("/movies/99999/similar")
    body = ok.json()
    assert body["movie"] == {"movieId": 82, "title": "Jurassic Park", "year": 1993,
                             "genres": ["Action", "Adventure", "Sci-Fi"]}
    ids = [m["movieId"] for m in body["similar"]]
    assert len(ids) == 4 and 82 not in ids and len(set(ids)) == 4
    assert unknown.status_code == 404 and "99999" in unknown.json()["detail"]


async def test_model_info(open_gateway: OpenGateway, model_version: str) -> None:
    async with open_gateway() as gw:
        body = (await gw.client.get("/model")).json()
    assert body["model_version"] == model_version
    assert (body["n_movies"], body["n_users"], body["default_alpha"]) == (len(MOVIES), 20, 0.7)
    assert body["params"] == {"factors": 4}  # JSON-decoded from the scorer's strings


async def test_a_suggestion_as_the_page_labels_it_resolves_to_that_movie(open_gateway: OpenGateway) -> None:
    """The page's "did you mean" button sends "Title (year)"; that must pick exactly the suggested movie."""
    # Sequels the catalog lacks: no match, with the original as a suggestion (typos like "star warz" now resolve).
    async with open_gateway() as gw:
        body = (await gw.client.post("/recommend/titles", json={"movies": ["toy story 2", "star wars 2"]})).json()
        suggested = [s for options in body["suggestions"].values() for s in options]
        assert suggested
        labels = [f"{s['title']} ({s['year']})" for s in suggested]
        again = (await gw.client.post("/recommend/titles", json={"movies": labels})).json()
    assert [r["movieId"] for r in again["resolved"]] == [s["movieId"] for s in suggested]
