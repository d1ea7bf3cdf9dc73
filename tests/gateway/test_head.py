"""HEAD on every GET route answers like GET (status, type, length), without a body."""
from __future__ import annotations

import pytest

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from tests.gateway.conftest import OpenGateway

GET_PATHS = ["/health", "/health/live", "/model", "/movies/search?q=toy", "/movies/1/similar?k=3",
             "/dashboard/stats", "/metrics", "/", "/dashboard.html", "/movies/0/similar", "/no-such-page"]


def test_every_get_route_of_the_spec_is_listed() -> None:
    spec = create_app(GatewaySettings()).openapi()
    listed = {p.split("?")[0].replace("/1/", "/{movie_id}/") for p in GET_PATHS}
    assert {path for path, ops in spec["paths"].items() if "get" in ops} <= listed


@pytest.mark.parametrize("path", GET_PATHS)
async def test_head_answers_like_get_without_a_body(open_gateway: OpenGateway, path: str) -> None:
    async with open_gateway() as gw:
        got = await gw.client.get(path)
        head = await gw.client.head(path)
    assert head.status_code == got.status_code != 405
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    if path != "/metrics":  # its counts grow with each request
        assert head.headers.get("content-length") == got.headers.get("content-length")
    else:
        assert int(head.headers["content-length"]) > 0
