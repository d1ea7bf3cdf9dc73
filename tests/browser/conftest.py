"""Browser-test fixtures: the real stack on a small artifact, Debian's headless Chromium, screenshots."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from scripts.stack import ROOT, Stack, free_port, http_ok, spawn, wait_until
from tests.browser.artifact import build_browser_artifact

CHROMIUM = Path("/usr/bin/chromium")
# Playwright cannot download its own browsers here; Debian's chromium, with nothing phoning home.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="package")
def browser_stack(tmp_path_factory, log_dir) -> Iterator[Stack]:
    """Redis, matcher, scorer and gateway as processes on the browser-test artifact (with stats.json)."""
    root = tmp_path_factory.mktemp("browser-artifacts")
    build_browser_artifact(root)
    stack = Stack(artifact_dir=root, log_dir=log_dir / "browser")
    stack.log_dir.mkdir(exist_ok=True)
    try:
        yield stack.start_all()
    finally:
        stack.stop()


@pytest.fixture(scope="package")
def orphan_gateway_url(log_dir) -> Iterator[str]:
    """A gateway whose matcher, scorer and Redis are all closed ports: every backend is down."""
    stack = Stack(artifact_dir=Path("/nonexistent"), log_dir=log_dir / "orphan", redis_port=free_port(),
                  matcher_port=free_port(), scorer_port=free_port(), gateway_port=free_port())
    stack.log_dir.mkdir(exist_ok=True)
    proc = spawn("gateway", [sys.executable, "-m", "services.gateway"], stack.env(), stack.log_dir)
    try:
        wait_until(proc, lambda: http_ok(stack.gateway_url + "/health/live"), 60)
        yield stack.gateway_url
    finally:
        proc.stop()


# Package scope, not session: Playwright's sync API keeps an event loop running while it is open,
# which would stop every later pytest-asyncio test in the session ("cannot be called from a running
# event loop"); it is closed when the last browser test is done.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    assert CHROMIUM.is_file(), (f"{CHROMIUM} is missing: run `bash scripts/setup.sh dev` as root or "
                                "`sudo apt-get install -y chromium chromium-driver`")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class PageProblems:
    """What a page reported that it should not: script errors, CSP violations, alert() and friends."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.csp: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("dialog", self._dialog)
        page.on("console", self._console)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.csp.append(message.text)

    def assert_none(self) -> None:
        assert not self.errors, self.errors
        assert not self.dialogs, self.dialogs
        assert not self.csp, self.csp


def new_page(browser: Browser, viewport: dict[str, int]) -> tuple[Page, PageProblems]:
    context = browser.new_context(viewport=viewport, reduced_motion="reduce")
    context.set_default_timeout(10_000)
    page = context.new_page()
    return page, PageProblems(page)


@pytest.fixture
def desktop(browser: Browser) -> Iterator[tuple[Page, PageProblems]]:
    page, problems = new_page(browser, DESKTOP)
    yield page, problems
    page.context.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[tuple[Page, PageProblems]]:
    page, problems = new_page(browser, PHONE)
    yield page, problems
    page.context.close()


def shot(page: Page, name: str, full_page: bool = True) -> Path:
    """Saves a screenshot under test-artifacts/screenshots/ (gitignored) for people to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
