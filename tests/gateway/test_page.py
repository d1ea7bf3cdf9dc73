"""The web page: served at /, with a strict CSP, no external resources, no HTML built from data."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.gateway.app import STATIC_DIR
from tests.gateway.conftest import Gateway


@pytest.fixture
def gw(gateway_without_backends: Gateway) -> Gateway:
    return gateway_without_backends


def static_text(name: str) -> str:
    return (Path(STATIC_DIR) / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(("url", "content_type"), [
    ("/", "text/html"), ("/index.html", "text/html"), ("/app.js", "javascript"), ("/style.css", "text/css"),
])
async def test_page_files_are_served_with_csp(gw: Gateway, url: str, content_type: str) -> None:
    reply = await gw.client.get(url)
    assert reply.status_code == 200
    assert content_type in reply.headers["content-type"]
    assert reply.headers["content-security-policy"].startswith("default-src 'self'")
    assert reply.headers["x-content-type-options"] == "nosniff"


async def test_api_answers_and_errors_carry_csp_too(gw: Gateway) -> None:
    for reply in (await gw.client.get("/health/live"), await gw.client.get("/no/such/page"),
                  await gw.client.post("/recommend/titles", json={})):
        assert "default-src 'self'" in reply.headers["content-security-policy"]
    missing = await gw.client.get("/no/such/page")
    assert missing.status_code == 404 and missing.json() == {"detail": "Not Found"}


async def test_api_routes_win_over_the_page(gw: Gateway) -> None:
    assert (await gw.client.get("/health/live")).json() == {"status": "alive"}
    assert (await gw.client.get("/openapi.json")).json()["paths"]["/recommend/titles"]


PAGE_FILES = ("index.html", "dashboard.html", "common.js", "saved-list.js", "app.js", "account.js", "dashboard.js",
              "dashboard-app.js", "style.css")


@pytest.mark.parametrize(("page", "refs"), [
    ("index.html", ["favicon.svg", "style.css", "common.js", "saved-list.js", "app.js", "account.js", "#title-input",
                    "./", "./", "dashboard.html"]),
    ("dashboard.html", ["favicon.svg", "style.css", "vendor/chart.js", "common.js", "timeline.js", "dashboard.js",
                        "dashboard-app.js",
                        "./", "./", "dashboard.html"]),
])
def test_page_loads_only_its_own_files(page: str, refs: list[str]) -> None:
    html = static_text(page)
    assert re.findall(r'(?:src|href)="([^"]+)"', html) == refs
    assert "<style" not in html and " style=" not in html  # inline style is blocked by the CSP
    assert re.search(r"<script>[^<]", html) is None  # no inline script either


@pytest.mark.parametrize("name", PAGE_FILES)
def test_no_file_of_the_page_names_another_origin(name: str) -> None:
    assert re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", static_text(name)) is None, name


@pytest.mark.parametrize("name", ["common.js", "saved-list.js", "app.js", "account.js", "dashboard.js",
                                  "dashboard-app.js"])
def test_script_never_builds_html_from_strings(name: str) -> None:
    script = static_text(name)
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in script, sink
    assert "textContent" in script or name == "saved-list.js"  # it builds no DOM at all


@pytest.mark.parametrize(("page", "scripts"), [("index.html", ["app.js", "account.js"]),
                                               ("dashboard.html", ["dashboard.js", "dashboard-app.js"])])
def test_page_has_the_controls_the_script_uses(page: str, scripts: list[str]) -> None:
    html = static_text(page)
    present = set(re.findall(r'id="([a-z-]+)"', html))
    for name in scripts:
        used = set(re.findall(r'\$\("([a-z-]+)"\)', static_text(name)))
        assert used and used <= present, (name, used - present)
