"""The recommender page in headless Chromium against the real gateway, matcher and scorer."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import shot


def add_by_keyboard(page: Page, typed: str, expected_option: str) -> None:
    """Types a title as people do, waits for the suggestion, picks it with the arrow key and Enter."""
    box = page.get_by_role("combobox", name="Add a movie")
    box.fill(typed)
    option = page.get_by_role("option").filter(has_text=expected_option).first
    expect(option).to_be_visible()
    box.press("ArrowDown")
    expect(page.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(box).to_have_value("")


def test_typos_autocomplete_chips_and_live_recommendations(browser_stack, desktop) -> None:
    page, problems = desktop
    page.goto(browser_stack.gateway_url)
    expect(page.get_by_role("heading", name="Start with a movie you like")).to_be_visible()
    expect(page.locator("#alpha-label")).to_contain_text("taste")
    shot(page, "01-start")

    add_by_keyboard(page, "usal suspects", "Usual Suspects")
    chips = page.get_by_role("list", name="Your movies").get_by_role("listitem")
    expect(chips).to_have_count(1)
    expect(chips.first).to_contain_text("Usual Suspects, The (1995)")
    cards = page.locator("#results > li")
    expect(cards).to_have_count(10)  # the default result count
    expect(page.locator("#result-count")).to_have_text(re.compile(r"^10 movies"))
    # what carried it (test_cards_say_what_carried_each_recommendation checks each card against the API)
    expect(cards.first.locator(".because")).to_have_text(
        re.compile(r"^(Because you liked “Usual Suspects, The”|Mostly )"))
    expect(cards.first.locator(".score")).to_contain_text("score")

    # A second title by mouse: typo, then click the suggestion.
    page.get_by_role("combobox", name="Add a movie").fill("jurasic park")
    page.get_by_role("option").filter(has_text="Jurassic Park").click()
    expect(chips).to_have_count(2)
    expect(page.locator(".chip.matched")).to_have_count(2)  # both resolved after the live refresh
    shot(page, "02-recommendations")

    # Result count and the slider change the answer live.
    page.get_by_label("Results").select_option("5")
    expect(cards).to_have_count(5)
    page.locator("#alpha").fill("0")
    expect(page.locator("#alpha-label")).to_have_text(re.compile(r"^Mostly movies of similar genres"))

    # Dislike one, then remove it with the keyboard.
    page.get_by_role("button", name=re.compile(r"^Jurassic Park \(1993\): liked")).click()
    expect(page.locator(".chip.disliked")).to_have_count(1)
    remove = page.get_by_role("button", name="Remove Jurassic Park (1993)")
    remove.focus()
    page.keyboard.press("Enter")
    expect(chips).to_have_count(1)
    expect(page.locator(".chip.disliked")).to_have_count(0)
    problems.assert_none()


def test_did_you_mean_replaces_the_title_and_recommends(browser_stack, desktop) -> None:
    page, problems = desktop
    page.goto(browser_stack.gateway_url)
    box = page.get_by_role("combobox", name="Add a movie")
    box.fill("jurassic world")
    box.press("Escape")  # close the autocomplete: keep the title as typed
    page.get_by_role("button", name="Add", exact=True).click()
    missing = page.locator("#missing")
    expect(missing).to_contain_text("“jurassic world” was not found. Did you mean:")
    expect(page.locator("#status")).to_contain_text("None of your titles matched")
    expect(page.locator(".chip.unmatched")).to_have_count(1)
    shot(page, "03-did-you-mean")

    missing.get_by_role("button", name="Jurassic Park (1993)").click()
    expect(missing).to_be_hidden()
    expect(page.locator(".chip")).to_have_text(re.compile(r"^Jurassic Park \(1993\)"))
    expect(page.locator("#results > li")).to_have_count(10)
    problems.assert_none()


def test_similar_movies_from_a_card(browser_stack, desktop) -> None:
    page, problems = desktop
    page.goto(browser_stack.gateway_url)
    page.get_by_role("button", name="Star Wars").click()  # an example title
    first = page.locator("#results > li").first
    expect(first).to_be_visible()
    title = first.locator("h3").evaluate("h => h.firstChild.textContent")
    first.get_by_role("button", name=re.compile("^Movies similar to")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading", level=2)).to_have_text(
        re.compile(f"^Similar to {re.escape(title)} \\(\\d{{4}}\\)$"))
    similar = dialog.locator("#similar-list > li")
    expect(similar).to_have_count(8)
    shot(page, "04-similar", full_page=False)

    similar.first.get_by_role("button", name=re.compile("^Add ")).click()
    expect(similar.first.get_by_role("button", name=re.compile("^Add "))).to_have_text("Added")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator(".chip")).to_have_count(2)
    problems.assert_none()


def test_backend_down_says_so_and_offers_a_retry(orphan_gateway_url, desktop) -> None:
    page, problems = desktop
    page.goto(orphan_gateway_url)
    status = page.locator("#status")
    expect(status).to_contain_text("unavailable")
    page.get_by_role("button", name="Toy Story").click()
    expect(status).to_have_text(re.compile(r"^The recommendation service is unavailable: matcher is unavailable"))
    expect(page.get_by_role("button", name="Try again")).to_be_visible()
    expect(page.locator("#results-section")).to_be_hidden()
    shot(page, "05-backend-down")
    problems.assert_none()


def test_cards_say_what_carried_each_recommendation(browser_stack, desktop) -> None:
    page, problems = desktop
    page.goto(browser_stack.gateway_url)
    box = page.get_by_role("combobox", name="Add a movie")
    for title in ("Star Wars", "Toy Story"):
        box.fill(title)
        box.press("Escape")
        page.get_by_role("button", name="Add", exact=True).click()
    cards = page.locator("#results > li")
    expect(cards).to_have_count(10)
    expect(page.locator(".chip.matched")).to_have_count(2)
    expect(page.locator("#results-section")).not_to_have_attribute("aria-busy", "true")
    # each card says what the API's explanation says: the inputs that carried it (at most three, each
    # at least a quarter of its collaborative score), or mostly genre, or mostly popularity
    body = page.request.post(f"{browser_stack.gateway_url}/recommend/titles", data={
        "movies": ["Star Wars", "Toy Story"], "top_k": 10, "alpha": float(page.locator("#alpha").input_value())}).json()
    for card, movie in zip(cards.all(), body["recommendations"]):
        why = movie["explanation"]
        expect(card.locator("h3")).to_contain_text(movie["title"])
        line = card.locator(".because")
        if why["driver"] == "your movies" and why["because_you_liked"]:
            names = [f"“{r['title']}”" for r in why["because_you_liked"]]
            assert len(names) <= 3 and all(r["share"] >= 0.25 for r in why["because_you_liked"])
            expect(line).to_have_text(re.compile("^Because you liked " + ".*".join(map(re.escape, names)) + "$"))
        elif why["driver"] == "genre":
            expect(line).to_have_text(re.compile(r"^Mostly its genres, .* \(\d+% of its score\)$"))
        elif why["driver"] == "popularity":
            expect(line).to_have_text(re.compile(r"^Mostly popularity: .* \(\d+% of its score\)$"))
        elif why["driver"] is None:
            expect(line).to_have_count(0)
    # all genre: every card that is explained says so
    page.locator("#alpha").fill("0")
    expect(page.locator("#results-section")).not_to_have_attribute("aria-busy", "true")
    expect(page.locator(".because[data-driver='your movies'], .because[data-driver='popularity']")).to_have_count(0)
    expect(page.locator(".because[data-driver='genre']").first).to_contain_text("Mostly its genres")
    shot(page, "12-explanations")
    problems.assert_none()
