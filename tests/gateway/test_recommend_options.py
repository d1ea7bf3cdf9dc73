"""/recommend/titles options: rated titles, genre and year filters, exclusions, explanations; all in the cache key."""
from __future__ import annotations

from services.gateway.cache import recommend_key
from tests.gateway.conftest import OpenGateway


async def test_explanations_name_what_carried_each_recommendation(open_gateway: OpenGateway) -> None:
    async with open_gateway() as gw:
        body = (await gw.client.post("/recommend/titles",
                                     json={"movies": ["Toy Story", "Godfather"], "top_k": 6})).json()
    assert body["recommendations"]
    for r in body["recommendations"]:
        why = r["explanation"]
        assert why["driver"] in ("your movies", "genre", "popularity", None)
        assert {b["title"] for b in why["because_you_liked"]} <= {"Toy Story", "Godfather, The"}
        assert all(0.25 <= b["share"] <= 1 for b in why["because_you_liked"])
        assert why["because_you_liked"] == [] or why["driver"] == "your movies"
        assert 0 <= why["genre_share"] <= 1 and 0 <= why["popularity_share"] <= 1
        if why["driver"] == "genre":
            assert why["genre_share"] >= 0.5
        if why["driver"] == "popularity":
            assert why["popularity_share"] >= 0.5
    assert {r["explanation"]["driver"] for r in body["recommendations"]} - {None}, "something carried them"


async def test_a_rated_title_changes_the_answer_and_plain_titles_still_work(open_gateway: OpenGateway) -> None:
    async with open_gateway() as gw:
        plain = (await gw.client.post("/recommend/titles", json={"movies": ["Toy Story", "Star Wars"]})).json()
        loved = (await gw.client.post("/recommend/titles", json={
            "movies": ["Toy Story", {"title": "Star Wars", "rating": 5}]})).json()
        disliked = (await gw.client.post("/recommend/titles", json={
            "movies": ["Toy Story", {"title": "Star Wars", "rating": 1}]})).json()
    ids = lambda b: [r["movieId"] for r in b["recommendations"]]  # noqa: E731
    assert ids(loved) == ids(plain)  # a plain title is a 5
    assert loved["cached"] is False  # ...but its own cache entry
    assert ids(disliked) != ids(plain)
    assert ids(plain).index(82) < ids(disliked).index(82)  # Jurassic Park, Star Wars' genres, goes down


async def test_filters_and_exclusions_are_applied(open_gateway: OpenGateway) -> None:
    async with open_gateway() as gw:
        body = (await gw.client.post("/recommend/titles", json={
            "movies": ["Toy Story"], "genres": ["Sci-Fi", "Crime"], "year_min": 1990, "year_max": 1995,
            "exclude_movie_ids": [82]})).json()
        again = (await gw.client.post("/recommend/titles", json={
            "movies": ["Toy Story"], "genres": ["Crime", "Sci-Fi"], "year_min": 1990, "year_max": 1995,
            "exclude_movie_ids": [82]})).json()
    got = {r["movieId"] for r in body["recommendations"]}
    assert got == {12, 273, 670}  # Sci-Fi or Crime, 1990-1995, Jurassic Park (82) excluded
    assert again["cached"] is True and {r["movieId"] for r in again["recommendations"]} == got


async def test_bad_options_are_422(open_gateway: OpenGateway) -> None:
    async with open_gateway() as gw:
        for extra in ({"year_min": 1999, "year_max": 1990}, {"genres": ["Western"]},
                      {"movies": [{"title": "Heat", "rating": 7}]}, {"movies": [{"rating": 4}]},
                      {"exclude_movie_ids": [0]}):
            reply = await gw.client.post("/recommend/titles", json={"movies": ["Heat"], **extra})
            assert reply.status_code == 422, (extra, reply.text)
            assert reply.json()["detail"]


def test_options_enter_the_cache_key_only_when_given() -> None:
    plain = recommend_key(["Heat"], 10, None, "v1")
    assert recommend_key(["Heat"], 10, None, "v1", {}) == plain
    assert recommend_key(["Heat"], 10, None, "v1", {"ratings": [4.0]}) != plain
    assert recommend_key(["Heat"], 10, None, "v1", {"genres": ["Drama"]}) != plain
