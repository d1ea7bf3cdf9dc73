"""The gateway's request limits agree with the backends' checks for any input (hypothesis, in process)."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from services.gateway.schemas import RecommendRequest

FAST = settings(max_examples=300, deadline=None, derandomize=True)


@FAST
@given(st.text(max_size=260))
def test_a_title_passes_iff_the_matcher_would_take_it(title: str) -> None:
    # services/matcher/server.py refuses query.strip() == "" and more than 200 characters after it.
    ok = 0 < len(title.strip()) <= 200
    try:
        RecommendRequest(movies=[title])
    except ValidationError:
        assert not ok or len(title.strip(" \t\n\r\x0b\x0c")) > 200, repr(title)
    else:
        assert ok, repr(title)


@FAST
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10, 10), st.booleans(),
                 st.none()))
def test_alpha_is_a_finite_number_in_0_1_or_absent(alpha: object) -> None:
    ok = alpha is None or (isinstance(alpha, (int, float)) and not isinstance(alpha, bool)
                           and math.isfinite(alpha) and 0 <= alpha <= 1)
    if ok:
        RecommendRequest(movies=["heat"], alpha=alpha)
    else:
        with pytest.raises(ValidationError):
            RecommendRequest(movies=["heat"], alpha=alpha)


@pytest.mark.parametrize("body, ok", [
    ({"movies": ["heat"] * 20}, True), ({"movies": ["heat"] * 21}, False), ({"movies": []}, False),
    ({"movies": ["heat"], "top_k": 100}, True), ({"movies": ["heat"], "top_k": 101}, False),
    ({"movies": ["heat"], "top_k": 0}, False), ({"movies": ["heat"], "top_k": 3.0}, False),
    ({"movies": [{"title": "heat", "rating": float("nan")}]}, False),
])
def test_counts_and_top_k(body: dict, ok: bool) -> None:
    if ok:
        RecommendRequest(**body)
    else:
        with pytest.raises(ValidationError):
            RecommendRequest(**body)
