"""A movie titled with HTML stays text everywhere; the pages fit a phone screen."""
from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.browser.artifact import XSS_TITLE
from tests.browser.conftest import shot


def no_horizontal_scroll(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), "page scrolls sideways"


def test_a_title_made_of_html_is_shown_as_text_and_never_runs(browser_stack, desktop) -> None:
    page, problems = desktop
    page.goto(browser_stack.gateway_url)
    box = page.get_by_role("combobox", name="Add a movie")
    box.fill("img src onerror")
    option = page.get_by_role("option").filter(has_text=XSS_TITLE)
    expect(option).to_be_visible()
    option.click()
    chip = page.locator(".chip-title")
    expect(chip).to_have_text(f"{XSS_TITLE} (1996)")
    expect(page.locator("#results > li").first).to_be_visible()
    named = page.locator(".because", has_text="Because you liked")  # the one input, where it carried a card
    for i in range(named.count()):
        expect(named.nth(i)).to_have_text(f"Because you liked “{XSS_TITLE}”")

    # The same query typed raw: not found, its did-you-mean is the movie, shown as text too.
    box.fill(XSS_TITLE.replace("1", "2"))
    box.press("Escape")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#missing")).to_contain_text(XSS_TITLE.replace("1", "2"))

    assert page.locator("img").count() == 0  # no element was ever parsed from a title
    assert page.evaluate("() => document.body.innerHTML.includes('<img')") is False
    problems.assert_none()  # and so no alert(), no CSP violation from an inline handler


def test_the_page_fits_a_phone(browser_stack, phone) -> None:
    page, problems = phone
    page.goto(browser_stack.gateway_url)
    no_horizontal_scroll(page)
    shot(page, "07-phone-start")
    page.get_by_role("button", name="Toy Story").click()
    page.get_by_role("combobox", name="Add a movie").fill("heatt")
    page.get_by_role("option").filter(has_text="Heat").first.click()
    expect(page.locator(".chip.matched")).to_have_count(2)
    cards = page.locator("#results > li")
    expect(cards).to_have_count(10)
    widths = [cards.nth(i).bounding_box()["width"] for i in range(3)]
    xs = {round(cards.nth(i).bounding_box()["x"]) for i in range(3)}
    assert len(xs) == 1 and min(widths) > 300, (xs, widths)  # one column, full width
    no_horizontal_scroll(page)
    shot(page, "08-phone-recommendations")

    page.goto(f"{browser_stack.gateway_url}/dashboard.html")
    expect(page.locator("#dashboard")).to_have_attribute("data-state", "ready")
    no_horizontal_scroll(page)
    width = page.locator("#chart-genres").bounding_box()["width"]
    assert 250 < width <= 390, width
    shot(page, "09-phone-dashboard")
    problems.assert_none()
