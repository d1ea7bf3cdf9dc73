"""A lone surrogate anywhere in a body that fails validation is a 422 naming the field, never a 500.

JSON may escape a lone surrogate ("\\ud800") and some clients send its raw UTF-8-like bytes (ED A0 80);
UTF-8 cannot encode it, so a 422 that echoed it verbatim could not be rendered.
"""
from __future__ import annotations

import pytest

from tests.gateway.conftest import Gateway
from tests.gateway.test_validation import assert_422

ESCAPED = b'"\\ud800"'  # the JSON text "\ud800"
RAW = b'"\xed\xa0\x80"'  # the same code point as raw bytes (not valid UTF-8)
RECOMMEND = b'{"movies": %(movies)s, "top_k": %(top_k)s, "alpha": %(alpha)s, "genres": %(genres)s, ' \
            b'"year_min": %(year_min)s, "year_max": %(year_max)s, "exclude_movie_ids": %(exclude)s}'
GOOD_FIELDS = {b"movies": b'["toy story"]', b"top_k": b"3", b"alpha": b"0.5", b"genres": b'["Drama"]',
               b"year_min": b"1990", b"year_max": b"2000", b"exclude": b"[1]"}

# field of /recommend/titles -> (the field's value with the surrogate at %s, the name the 422 gives)
RECOMMEND_CASES = {
    "title": (b"movies", b"[%s]", "movies"),
    "rated title": (b"movies", b'[{"title": %s, "rating": 4}]', "movies"),
    "rating": (b"movies", b'[{"title": "heat", "rating": %s}]', "rating"),
    "top_k": (b"top_k", b"%s", "top_k"),
    "alpha": (b"alpha", b"%s", "alpha"),
    "genre": (b"genres", b"[%s]", "genres"),
    "year_min": (b"year_min", b"%s", "year_min"),
    "year_max": (b"year_max", b"%s", "year_max"),
    "excluded id": (b"exclude", b"[%s]", "exclude_movie_ids"),
}


@pytest.fixture
def gw(gateway_without_backends: Gateway) -> Gateway:
    return gateway_without_backends


async def post(gw: Gateway, path: str, body: bytes):
    return await gw.client.post(path, content=body, headers={"content-type": "application/json"})


@pytest.mark.parametrize("surrogate", [ESCAPED, RAW], ids=["escaped", "raw-bytes"])
@pytest.mark.parametrize("case", sorted(RECOMMEND_CASES))
async def test_recommend_field_with_a_lone_surrogate_is_a_422_naming_it(gw: Gateway, case: str,
                                                                       surrogate: bytes) -> None:
    key, template, field = RECOMMEND_CASES[case]
    body = RECOMMEND % {**GOOD_FIELDS, key: template % surrogate}
    reply = await post(gw, "/recommend/titles", body)
    assert_422(reply, field)
    assert "\\ud800" in reply.text  # the input is echoed, escaped


@pytest.mark.parametrize("surrogate", [ESCAPED, RAW], ids=["escaped", "raw-bytes"])
@pytest.mark.parametrize("field", ["user_id", "movie_id"])
async def test_predict_rating_field_with_a_lone_surrogate_is_a_422_naming_it(gw: Gateway, field: str,
                                                                            surrogate: bytes) -> None:
    values = {b"user_id": b"1", b"movie_id": b"1", field.encode(): surrogate}
    body = b'{"user_id": %(user_id)s, "movie_id": %(movie_id)s}' % values
    assert_422(await post(gw, "/predict-rating", body), field)


@pytest.mark.parametrize("surrogate", [ESCAPED, RAW], ids=["escaped", "raw-bytes"])
@pytest.mark.parametrize(("path", "body", "field"), [
    ("/recommend/titles", b'{%s: 1, "movies": []}', "movies"),  # an extra key, echoed with the whole body
    ("/recommend/titles", b'{%s: ["toy story"]}', "movies"),  # the only key is not "movies"
    ("/predict-rating", b'{%s: 1, "movie_id": 1}', "user_id"),
])
async def test_a_lone_surrogate_in_a_key_is_a_422(gw: Gateway, path: str, body: bytes, field: str,
                                                 surrogate: bytes) -> None:
    assert_422(await post(gw, path, body % surrogate), field)
