"""Invalid requests are 422/4xx JSON answers, decided before any backend is called."""
from __future__ import annotations

import re

import pytest

from tests.gateway.conftest import Gateway

GOOD = {"movies": ["Toy Story"], "top_k": 10, "alpha": 0.7}


@pytest.fixture
def gw(gateway_without_backends: Gateway) -> Gateway:
    return gateway_without_backends


def assert_422(reply, field: str | None = None) -> None:
    assert reply.status_code == 422, reply.text
    assert reply.headers["content-type"].startswith("application/json")
    detail = reply.json()["detail"]
    assert isinstance(detail, list) and detail
    if field is not None:
        assert any(field in map(str, err["loc"]) for err in detail), detail


async def test_good_body_reaches_the_backend(gw: Gateway) -> None:
    assert (await gw.client.post("/recommend/titles", json=GOOD)).status_code == 503


@pytest.mark.parametrize(("change", "field"), [
    ({"movies": None}, "movies"),
    ({"movies": []}, "movies"),
    ({"movies": [f"movie {i}" for i in range(21)]}, "movies"),
    ({"movies": "Toy Story"}, "movies"),
    ({"movies": [""]}, "movies"),
    ({"movies": ["   "]}, "movies"),
    ({"movies": ["x" * 201]}, "movies"),
    ({"movies": [12]}, "movies"),
    ({"top_k": 0}, "top_k"),
    ({"top_k": 101}, "top_k"),
    ({"top_k": "ten"}, "top_k"),
    ({"top_k": 2.5}, "top_k"),
    ({"top_k": True}, "top_k"),
    ({"alpha": -0.01}, "alpha"),
    ({"alpha": 1.01}, "alpha"),
    ({"alpha": "high"}, "alpha"),
])
async def test_recommend_field_errors(gw: Gateway, change: dict, field: str) -> None:
    body = {**GOOD, **change}
    if change.get("movies", "") is None:
        del body["movies"]
    assert_422(await gw.client.post("/recommend/titles", json=body), field)


# Numbers sent as strings: pydantic's lax mode would read them; the API takes JSON numbers only, so a
# client's quoting bug is reported instead of silently applied (and cached under another key).
@pytest.mark.parametrize(("path", "body", "field", "kind"), [
    ("/recommend/titles", {**GOOD, "alpha": "0.7"}, "alpha", "number"),
    ("/recommend/titles", {**GOOD, "alpha": "1"}, "alpha", "number"),
    ("/recommend/titles", {**GOOD, "top_k": "10"}, "top_k", "integer"),
    ("/recommend/titles", {**GOOD, "year_min": "1990"}, "year_min", "integer"),
    ("/recommend/titles", {**GOOD, "exclude_movie_ids": ["5"]}, "exclude_movie_ids", "integer"),
    ("/recommend/titles", {"movies": [{"title": "Toy Story", "rating": "4.5"}]}, "rating", "number"),
    ("/predict-rating", {"user_id": "196", "movie_id": 242}, "user_id", "integer"),
    ("/predict-rating", {"user_id": 196, "movie_id": "242"}, "movie_id", "integer"),
])
async def test_numeric_strings_are_refused_with_a_message_that_says_so(
        gw: Gateway, path: str, body: dict, field: str, kind: str) -> None:
    reply = await gw.client.post(path, json=body)
    assert_422(reply, field)
    messages = [err["msg"] for err in reply.json()["detail"] if field in map(str, err["loc"])]
    assert any(f"expected a JSON {kind}, got the string" in m and "without quotes" in m for m in messages), messages


async def test_json_numbers_of_either_kind_are_taken_where_a_number_is_expected(gw: Gateway) -> None:
    # 1 (an integer) is a fine alpha or rating; past validation the closed backends answer 503.
    for body in ({**GOOD, "alpha": 1}, {"movies": [{"title": "Toy Story", "rating": 4}]}):
        assert (await gw.client.post("/recommend/titles", json=body)).status_code == 503


async def test_alpha_range_is_in_the_openapi_schema(gw: Gateway) -> None:
    # Clients (and schemathesis) read the limits from the spec.
    schemas = (await gw.client.get("/openapi.json")).json()["components"]["schemas"]
    alpha = schemas["RecommendRequest"]["properties"]["alpha"]
    assert {"type": "number", "minimum": 0.0, "maximum": 1.0}.items() <= alpha["anyOf"][0].items()


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
async def test_alpha_must_be_finite(gw: Gateway, literal: str) -> None:
    raw = '{"movies": ["Toy Story"], "alpha": %s}' % literal  # Python's JSON parser accepts these
    reply = await gw.client.post("/recommend/titles", content=raw, headers={"content-type": "application/json"})
    assert_422(reply, "alpha")


@pytest.mark.parametrize(("content", "content_type"), [
    (b"{not json", "application/json"),
    (b"", "application/json"),
    (b"[\"Toy Story\"]", "application/json"),
    (b"movies=Toy+Story", "application/x-www-form-urlencoded"),
    (b"Toy Story", "text/plain"),
    (b"\xff\xfe\x00", "application/json"),
])
async def test_bodies_that_are_not_a_json_object(gw: Gateway, content: bytes, content_type: str) -> None:
    reply = await gw.client.post("/recommend/titles", content=content, headers={"content-type": content_type})
    assert reply.status_code in (400, 422), reply.text
    assert "detail" in reply.json()


async def test_oversized_body_is_413_json(gw: Gateway) -> None:
    big = b"{" + b" " * 200_000 + b"}"

    async def chunks():  # no Content-Length: the limit must hold while the body streams in
        for i in range(0, len(big), 4096):
            yield big[i:i + 4096]

    for content in (big, chunks()):
        reply = await gw.client.post("/recommend/titles", content=content, headers={"content-type": "application/json"})
        assert reply.status_code == 413
        assert "detail" in reply.json()


@pytest.mark.parametrize("body", [
    {"user_id": 1}, {"movie_id": 1}, {"user_id": "one", "movie_id": 1}, {"user_id": 0, "movie_id": 1},
    {"user_id": 1, "movie_id": -3}, {"user_id": 2**63, "movie_id": 1}, {"user_id": 1.5, "movie_id": 1},
    {"user_id": 1, "movie_id": 2**53},
])
async def test_predict_rating_field_errors(gw: Gateway, body: dict) -> None:
    assert_422(await gw.client.post("/predict-rating", json=body))


@pytest.mark.parametrize("url", [
    "/movies/search", "/movies/search?q=", "/movies/search?q=" + "x" * 201, "/movies/search?q=heat&limit=0",
    "/movies/search?q=heat&limit=51", "/movies/0/similar", "/movies/abc/similar", "/movies/1/similar?k=0",
    "/movies/1/similar?k=101", "/movies/1/similar?alpha=2", "/movies/1/similar?alpha=nan",
    f"/movies/{2**63}/similar", f"/movies/{2**53}/similar", "/movies/search?q=%0A", "/movies/search?q=%1C%20",
])
async def test_query_and_path_errors(gw: Gateway, url: str) -> None:
    assert_422(await gw.client.get(url))


# The OpenAPI schema states the limits the server applies, so what a schema-driven client or fuzzer
# generates as valid passes validation (a 503 here: these gateways have no backends).
@pytest.mark.parametrize(("method", "url", "body"), [
    ("GET", f"/movies/{2**53 - 1}/similar", None),
    ("GET", "/movies/search?q=%EF%BB%BF", None),  # U+FEFF: not whitespace to Python (nor to the schema)
    ("POST", "/recommend/titles", {"movies": ["\ufeff"], "exclude_movie_ids": [2**53 - 1], "genres": [" x "]}),
    ("POST", "/predict-rating", {"user_id": 2**53 - 1, "movie_id": 2**53 - 1}),
])
async def test_the_largest_ids_and_any_visible_text_pass_validation(gw: Gateway, method: str, url: str,
                                                                    body: dict | None) -> None:
    assert (await gw.client.request(method, url, json=body)).status_code == 503


async def test_the_schema_states_the_not_blank_rule_the_server_applies(gw: Gateway) -> None:
    spec = (await gw.client.get("/openapi.json")).json()
    search = spec["paths"]["/movies/search"]["get"]["parameters"][0]["schema"]
    title = spec["components"]["schemas"]["RatedTitle"]["properties"]["title"]
    genre = spec["components"]["schemas"]["RecommendRequest"]["properties"]["genres"]["items"]
    assert search["pattern"] == title["pattern"] == genre["pattern"]
    pattern = re.compile(search["pattern"])
    for text in ("\n", " \t", "\x1c\x1f", "\u3000\xa0", "\u2028"):
        assert not pattern.search(text) and not text.strip()
        assert_422(await gw.client.get("/movies/search", params={"q": text}), "q")
    for text in ("a", " heat ", "\ufeff"):
        assert pattern.search(text)
    movie_id = spec["paths"]["/movies/{movie_id}/similar"]["get"]["parameters"][0]["schema"]
    assert movie_id["maximum"] == 2**53 - 1 == float(movie_id["maximum"])  # exact even as a float


async def test_the_spec_lists_the_refusals_of_slow_and_oversized_requests(gw: Gateway) -> None:
    spec = (await gw.client.get("/openapi.json")).json()
    assert {"408", "413", "422", "431", "503"} <= set(spec["paths"]["/recommend/titles"]["post"]["responses"])
    assert {"408", "431"} <= set(spec["paths"]["/movies/search"]["get"]["responses"])
