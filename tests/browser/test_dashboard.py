"""The dashboard in headless Chromium: Chart.js served locally, charts drawn from the artifact's stats."""
from __future__ import annotations

import json

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.artifact import HISTORY, VERSION, XSS_TITLE
from tests.browser.conftest import shot

pytestmark = pytest.mark.integration  # real processes and servers on loopback

CHARTS = ["chart-histogram", "chart-months", "chart-most", "chart-top", "chart-genres"]


def test_stats_endpoint_and_chart_library_are_served_with_the_csp(browser_stack) -> None:
    url = browser_stack.gateway_url
    stats = httpx.get(f"{url}/dashboard/stats")
    assert stats.status_code == 200 and stats.json()["model_version"] == VERSION
    written = json.loads((browser_stack.artifact_dir / VERSION / "stats.json").read_text(encoding="utf-8"))
    assert stats.json()["stats"] == written
    for path, kind in (("/vendor/chart.js", "javascript"), ("/dashboard.html", "text/html")):
        reply = httpx.get(url + path)
        assert reply.status_code == 200 and kind in reply.headers["content-type"], path
        assert reply.headers["content-security-policy"].startswith("default-src 'self'")
    assert "Chart.js v4" in httpx.get(f"{url}/vendor/chart.js").text[:300]


def test_dashboard_draws_every_chart_with_tooltips_and_the_model_card(browser_stack, desktop) -> None:
    page, problems = desktop
    page.goto(f"{browser_stack.gateway_url}/dashboard.html")
    expect(page.locator("#dashboard")).to_have_attribute("data-state", "ready")
    points = page.evaluate("ids => ids.map(id => Chart.getChart(id).data.datasets[0].data.length)", CHARTS)
    stats = httpx.get(f"{browser_stack.gateway_url}/dashboard/stats").json()["stats"]
    assert points == [len(stats["rating_histogram"]), len(stats["ratings_per_month"]), len(stats["most_rated"]),
                      len(stats["top_rated"]), sum(1 for g in stats["genres"] if g["ratings"])]
    assert min(points) > 0

    # Interactive: hovering a bar of the histogram opens its tooltip.
    canvas = page.locator("#chart-histogram")
    canvas.scroll_into_view_if_needed()
    bar = page.evaluate("() => { const m = Chart.getChart('chart-histogram').getDatasetMeta(0).data[2];"
                        " return {x: m.x, y: (m.y + m.base) / 2}; }")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + bar["x"], box["y"] + bar["y"])
    page.wait_for_function("() => Chart.getChart('chart-histogram').tooltip.getActiveElements().length > 0")
    label = page.evaluate("() => Chart.getChart('chart-histogram').tooltip.body[0].lines[0]")
    assert label.endswith("%)") and " ratings (" in label

    tiles = page.locator("#totals .tile")
    expect(tiles).to_have_count(6)
    expect(tiles.first).to_contain_text(f"{stats['totals']['ratings']:,}")
    about = page.locator("#model-about")
    expect(about).to_contain_text(VERSION)
    expect(about).to_contain_text("browser-test")
    expect(page.locator("#model-metrics")).to_contain_text("rmse")
    expect(page.locator("#model-params")).to_contain_text("factors")
    expect(page.locator("#top-hint")).to_contain_text(f"at least {stats['top_rated_min_count']} ratings")
    shot(page, "06-dashboard")
    problems.assert_none()


def test_dashboard_with_the_backends_down_says_what_happened(orphan_gateway_url, desktop) -> None:
    page, problems = desktop
    page.goto(f"{orphan_gateway_url}/dashboard.html")
    expect(page.locator("#dashboard")).to_have_attribute("data-state", "error")
    expect(page.locator("#dash-status")).to_contain_text("scorer is unavailable")
    problems.assert_none()


def test_model_timeline_shows_each_retrain_run_with_its_outcome(browser_stack, desktop) -> None:
    models = httpx.get(f"{browser_stack.gateway_url}/dashboard/stats").json()["models"]
    assert [(m["version"], m["promoted"]) for m in models] == [(VERSION, True), ("v-browser-2", False)]
    assert models[1]["serving"]["rmse"] == 0.9101 and models[1]["candidate"]["rmse_app"] == 1.01
    assert models[0]["serving"] is None and models[0]["candidate"]["rmse_app"] is None
    assert models[1]["app_accounts"] == 6 and models[1]["reason"] == HISTORY[1]["reason"]

    page, problems = desktop
    page.goto(f"{browser_stack.gateway_url}/dashboard.html")
    expect(page.locator("#dashboard")).to_have_attribute("data-state", "ready")
    series = page.evaluate("() => Chart.getChart('chart-models').data.datasets.map(d => d.data)")
    assert series[0] == [0.9101, 0.93] and series[1] == [None, 0.9101]
    assert [round(x, 4) for x in series[2]] == [0.5, 0.49]
    rows = page.locator("#model-runs tr")
    expect(rows).to_have_count(2)
    expect(rows.first.locator(".outcome")).to_have_text("rejected")  # newest first
    expect(rows.first.locator(".reason")).to_have_text(HISTORY[1]["reason"])  # the HTML in it stays text
    expect(rows.nth(1).locator(".outcome")).to_have_text("promoted")
    expect(page.locator("#models-hint")).to_contain_text("2 retrain runs, 1 promoted and 1 rejected")
    assert XSS_TITLE in rows.first.inner_text()
    page.locator("#chart-models").scroll_into_view_if_needed()
    shot(page, "07-model-timeline")
    problems.assert_none()
