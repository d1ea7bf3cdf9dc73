"""The list of movies in headless Chromium: chips show what each title resolved to, the list survives a
reload, the address shares it with another browser, and back/forward step through its changes."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import DESKTOP, new_page, shot


def add_as_typed(page: Page, typed: str) -> None:
    """Adds a title exactly as typed (the autocomplete closed), as a person pressing Add does."""
    box = page.get_by_role("combobox", name="Add a movie")
    box.fill(typed)
    box.press("Escape")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(box).to_have_value("")


def chips(page: Page):
    return page.get_by_role("list", name="Your movies").get_by_role("listitem")


def card_titles(page: Page) -> list[str]:
    cards = page.locator("#results > li")
    expect(cards.first).to_be_visible()
    return cards.locator("h3").all_inner_texts()


def wait_settled(page: Page, n_chips: int) -> None:
    """Every chip resolved or marked not found, and the recommendations for this list shown."""
    expect(chips(page)).to_have_count(n_chips)
    expect(page.locator(".chip.matched, .chip.unmatched")).to_have_count(n_chips)
    expect(page.locator("#results-section")).not_to_have_attribute("aria-busy", "true")


def test_a_chip_shows_the_movie_it_resolved_to_with_the_typed_title_as_a_hint(browser_stack, desktop) -> None:
    page, problems = desktop
    page.goto(browser_stack.gateway_url)
    add_as_typed(page, "jurasic prk")
    chip = chips(page).first
    expect(chip).to_have_class(re.compile(r"\bmatched\b"))
    expect(chip.locator(".chip-title")).to_have_text("Jurassic Park (1993)")
    expect(chip).to_have_attribute("title", "You typed “jurasic prk”")
    expect(page.get_by_role("button", name=re.compile(r"^Jurassic Park \(1993\): liked"))).to_be_visible()
    shot(page, "10-chip-resolved")
    problems.assert_none()


def test_an_unmatched_chip_says_so_and_offers_its_did_you_mean(browser_stack, desktop) -> None:
    page, problems = desktop
    page.goto(browser_stack.gateway_url)
    add_as_typed(page, "jurassic world")
    chip = chips(page).first
    expect(chip).to_have_class(re.compile(r"\bunmatched\b"))
    expect(chip.locator(".chip-title")).to_have_text("jurassic world")
    expect(chip.locator(".chip-note")).to_have_text("not found")
    fix = chip.get_by_role("button", name=re.compile(r"^Did you mean Jurassic Park \(1993\)\?"))
    expect(fix).to_have_text("Jurassic Park (1993)?")
    shot(page, "11-chip-unmatched")
    fix.click()
    expect(chips(page)).to_have_count(1)
    expect(chips(page).first).to_have_class(re.compile(r"\bmatched\b"))
    expect(chips(page).first.locator(".chip-title")).to_have_text("Jurassic Park (1993)")
    expect(page.locator("#results > li")).to_have_count(10)
    problems.assert_none()


def test_the_list_survives_a_reload(browser_stack, desktop) -> None:
    page, problems = desktop
    page.goto(browser_stack.gateway_url)
    add_as_typed(page, "usual suspect")
    add_as_typed(page, "heat")
    page.get_by_role("button", name=re.compile(r"^Heat \(1995\): liked")).click()  # disliked
    wait_settled(page, 2)
    expect(page.locator(".chip.disliked")).to_have_count(1)
    before = card_titles(page)

    page.goto(browser_stack.gateway_url)  # the bare address: the list comes from this browser's storage
    wait_settled(page, 2)
    expect(chips(page).locator(".chip-title")).to_have_text(["Usual Suspects, The (1995)", "Heat (1995)"])
    expect(chips(page).first).to_have_attribute("title", "You typed “usual suspect”")
    expect(page.locator(".chip.disliked .chip-title")).to_have_text("Heat (1995)")
    assert card_titles(page) == before
    assert [k for k, _ in parse_qsl(urlsplit(page.url).query)][:2] == ["m", "d"]  # and the address holds it again
    problems.assert_none()


def test_the_address_shares_the_list_and_recommendations_with_another_browser(browser_stack, desktop,
                                                                              browser: Browser) -> None:
    page, problems = desktop
    page.goto(browser_stack.gateway_url)
    add_as_typed(page, "star wars")
    add_as_typed(page, "jurasic prk")
    page.locator("#alpha").fill("0.35")
    page.get_by_label("Results").select_option("5")
    wait_settled(page, 2)
    expect(page.locator("#results > li")).to_have_count(5)
    address, mine = page.url, card_titles(page)
    query = dict(parse_qsl(urlsplit(address).query))
    assert query["alpha"] == "0.35" and query["k"] == "5"

    other, other_problems = new_page(browser, DESKTOP)  # a new context: no storage shared with the first
    try:
        other.goto(address)
        wait_settled(other, 2)
        expect(chips(other).locator(".chip-title")).to_have_text(["Star Wars (1977)", "Jurassic Park (1993)"])
        expect(other.locator("#results > li")).to_have_count(5)
        assert card_titles(other) == mine
        expect(other.locator("#alpha")).to_have_value("0.35")
        other_problems.assert_none()
    finally:
        other.context.close()
    problems.assert_none()


def test_back_and_forward_step_through_the_list(browser_stack, desktop) -> None:
    page, problems = desktop
    page.goto(browser_stack.gateway_url)
    add_as_typed(page, "toy story")
    wait_settled(page, 1)
    one = card_titles(page)
    add_as_typed(page, "the godfather")
    wait_settled(page, 2)
    two = card_titles(page)
    assert one != two

    page.go_back()
    wait_settled(page, 1)
    expect(chips(page).locator(".chip-title")).to_have_text(["Toy Story (1995)"])
    assert card_titles(page) == one
    page.go_forward()
    wait_settled(page, 2)
    expect(chips(page).locator(".chip-title")).to_have_text(["Toy Story (1995)", "Godfather, The (1972)"])
    assert card_titles(page) == two
    page.go_back()
    page.go_back()  # before the first movie: the empty page
    expect(chips(page)).to_have_count(0)
    expect(page.get_by_role("heading", name="Start with a movie you like")).to_be_visible()
    expect(page.locator("#results-section")).to_be_hidden()
    problems.assert_none()


def test_a_hand_edited_address_loses_nothing_and_runs_nothing(browser_stack, desktop) -> None:
    page, problems = desktop
    # markup as a title, blanks, a repeat, a disliked movie, out-of-range controls
    page.goto(f"{browser_stack.gateway_url}/?m=%3Cimg+src%3Dx+onerror%3Dalert(1)%3E&m=&m=+&d=Heat+(1995)"
              "&m=heat+(1995)&alpha=7&k=-3")
    wait_settled(page, 2)
    expect(chips(page).locator(".chip-title")).to_have_text(["<img src=x onerror=alert(1)> (1996)", "Heat (1995)"])
    expect(page.locator(".chip.disliked")).to_have_count(1)
    expect(page.get_by_label("Results")).to_have_value("10")
    problems.assert_none()  # no alert, no script error
