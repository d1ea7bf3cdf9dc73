"""Accounts in the page, in headless Chromium against the real stack: sign up with the anonymous list,
rate with stars, watch "For you" change, "not interested" removes a movie, edit "My ratings", sign out and in."""
from __future__ import annotations

import itertools
import re

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import shot

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new password"
_names = itertools.count()


def sign_in_form(page: Page, username: str, button: str, password: str = PASSWORD) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name=button, exact=True).click()


def for_you_ids(page: Page) -> list[str]:
    return page.locator("#for-you-list > li h3").all_inner_texts()


def test_sign_up_rate_mark_and_edit_in_the_page(browser_stack, desktop) -> None:
    page, problems = desktop
    username = f"viewer{next(_names)}"
    page.goto(browser_stack.gateway_url)
    expect(page.get_by_label("Username")).to_be_visible()

    # An anonymous list first: it becomes the account's ratings on sign-up.
    page.get_by_role("button", name="Toy Story").click()
    page.get_by_role("combobox", name="Add a movie").fill("heatt")
    page.get_by_role("option").filter(has_text="Heat").first.click()
    expect(page.locator(".chip.matched")).to_have_count(2)
    sign_in_form(page, username, "Create account")
    expect(page.locator("#account-status")).to_have_text("Welcome! Your 2 movies are saved as ratings.")
    expect(page.locator("#account-name")).to_have_text(username)
    expect(page.locator("#account-form")).to_be_hidden()
    ratings = page.locator("#my-ratings-list > li")
    expect(ratings).to_have_count(2)
    expect(page.get_by_label("Your rating of Toy Story (1995)").first).to_have_value("5")

    # "For you" comes from the stored ratings; a new star rating on a card changes it on the next request.
    for_you = page.locator("#for-you-list > li")
    expect(for_you.first).to_be_visible()
    # The Variety slider's value goes with "For you" too (GET /me/recommendations?diversity=).
    for value in ("1", "0.2"):
        with page.expect_response(lambda r: "/me/recommendations?" in r.url) as reloaded:
            page.get_by_label("Variety").fill(value)
        assert f"diversity={value}" in reloaded.value.url and reloaded.value.json()["diversity"] == float(value)
    expect(for_you.first).to_be_visible()
    before = for_you_ids(page)
    first_title = before[0]
    card = for_you.first
    card.get_by_label(re.compile(r"^Your rating of ")).select_option("0.5")
    expect(page.locator("#account-status")).to_contain_text("Rated")
    expect(ratings).to_have_count(3)
    expect(page.locator("#for-you-list > li h3").first).not_to_have_text(first_title)
    shot(page, "20-account-for-you")

    # Not interested: the card goes, and the next list does not bring it back.
    victim = page.locator("#for-you-list > li").first
    victim_title = victim.locator("h3").inner_text()
    victim.get_by_role("button", name=re.compile(r"^Not interested in ")).click()
    expect(page.locator("#account-status")).to_contain_text("will not be recommended again")
    expect(page.locator("#for-you-list > li h3").filter(has_text=victim_title)).to_have_count(0)
    page.get_by_label("Results").select_option("5")  # another request
    page.reload()
    expect(page.locator("#account-name")).to_have_text(username)  # still signed in after a reload
    expect(page.locator("#for-you-list > li").first).to_be_visible()
    assert victim_title not in for_you_ids(page)

    # My ratings: edit one with the keyboard-friendly select, remove another.
    page.get_by_role("button", name="My ratings").click()
    heat = page.locator("#my-ratings-list").get_by_label(re.compile(r"^Your rating of Heat"))
    heat.select_option("3.5")
    expect(page.locator("#account-status")).to_contain_text("Rated Heat")
    page.get_by_role("button", name=re.compile(r"^Remove my rating of Toy Story")).click()
    expect(ratings).to_have_count(2)
    expect(page.locator("#my-ratings-list")).not_to_contain_text("Toy Story")
    shot(page, "21-account-my-ratings")

    # A new password: still signed in here, and it is the one that signs in from now on.
    page.get_by_role("button", name="Change password").click()
    page.get_by_label("Current password").fill("not the password")
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.locator("#password-submit").click()
    expect(page.locator("#account-status")).to_have_text("the current password is wrong; nothing was changed")
    shot(page, "21-account-password", full_page=False)
    page.get_by_label("Current password").fill(PASSWORD)
    page.locator("#password-submit").click()
    expect(page.locator("#account-status")).to_have_text("Password changed. Every other device is signed out.")
    expect(page.locator("#password-form")).to_be_hidden()
    expect(page.locator("#account-name")).to_have_text(username)

    # Sign out, then in again: the ratings were stored, not kept in the page.
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("#account-status")).to_have_text("Signed out.")
    expect(page.locator("#for-you")).to_be_hidden()
    sign_in_form(page, username, "Sign in", NEW_PASSWORD)
    expect(page.locator("#account-name")).to_have_text(username)
    expect(ratings).to_have_count(2)
    expect(page.locator("#my-ratings-list").get_by_label(re.compile(r"^Your rating of Heat"))).to_have_value("3.5")
    problems.assert_none()


def test_a_wrong_password_says_so_without_signing_in(browser_stack, desktop) -> None:
    page, problems = desktop
    page.goto(browser_stack.gateway_url)
    page.get_by_label("Username").fill(f"nobody{next(_names)}")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#account-status")).to_have_text("wrong username or password")
    expect(page.locator("#account-signed-in")).to_be_hidden()
    problems.assert_none()


def test_the_dashboard_shows_the_apps_figures(browser_stack, desktop) -> None:
    page, problems = desktop
    signup = httpx.post(f"{browser_stack.gateway_url}/auth/signup", json={
        "username": f"dash{next(_names)}", "password": PASSWORD, "ratings": [{"movieId": 1, "rating": 4.5}]})
    assert signup.status_code == 201
    stats = httpx.get(f"{browser_stack.gateway_url}/dashboard/app-stats", params={"days": 30}).json()
    page.goto(f"{browser_stack.gateway_url}/dashboard.html")
    expect(page.locator("#app-stats")).to_have_attribute("data-state", "ready")
    expect(page.locator("#app-tiles .tile").first).to_contain_text(f"{stats['accounts']}accounts")
    points = page.evaluate("ids => ids.map(id => Chart.getChart(id).data.datasets[0].data)",
                           ["chart-app-days", "chart-app-histogram"])
    assert points[0] == [d["count"] for d in stats["ratings_per_day"]] and len(points[0]) == 30
    assert points[1] == [b["count"] for b in stats["rating_histogram"]] and len(points[1]) == 10
    assert stats["accounts"] >= 1 and points[0][-1] >= 1 and points[1][8] >= 1  # the 4.5 rated today
    shot(page, "22-dashboard-app")
    problems.assert_none()
