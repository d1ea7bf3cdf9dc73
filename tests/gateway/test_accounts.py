"""Accounts through the gateway, against the real profiles, matcher, scorer and Redis: cookies, CSRF, isolation.

The security checks (issue 20 item 9), each with its test here:
- session fixation: a session cookie set before sign-in is never the one after, and a valid session planted by
  someone else stays theirs — `test_every_login_makes_a_new_session_and_logout_revokes_it`,
  `test_a_planted_session_never_becomes_the_victims`;
- CSRF: a cookie-authenticated write without the `X-CSRF-Token` header, with a wrong or empty one, or with another
  person's, is 403 JSON and writes nothing — `test_no_session_is_401_and_a_write_without_csrf_is_403`,
  `test_one_person_never_reads_or_changes_anothers_data`; sign-in takes JSON only (a cross-site form cannot
  sign anyone in) — `test_wrong_password_and_unknown_user_get_the_same_401_and_a_taken_name_409`;
- brute force: sign-in attempts limited per username and per client, 429 with `Retry-After`, the right password
  refused too once limited — `test_sign_in_is_rate_limited_per_username_and_per_client`,
  `test_once_limited_even_the_right_password_is_refused`; one 401 for a wrong password and an unknown name;
- another person's data: no way to read or change it — `test_one_person_never_reads_or_changes_anothers_data`;
- cookie flags: session cookie HttpOnly, SameSite=Lax, Path=/, Secure over HTTPS only; the CSRF cookie readable by
  the page — `test_sign_up_sets_an_http_only_session_and_a_csrf_cookie`.
"""
from __future__ import annotations

import itertools
from contextlib import asynccontextmanager

import httpx
import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, select

from movierec.store.engine import make_engine
from movierec.store.schema import accounts, events, marks, ratings, sessions
from scripts.stack import Stack
from services.gateway import account_schemas
from services.gateway.auth import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from services.gateway.cache import personal_key
from services.profiles import credentials, server
from tests.gateway.conftest import Gateway, OpenGateway, closed_address

PASSWORD = "correct horse battery"
_names = itertools.count()
LENIENT = {"login_per_minute_per_client": 10_000}  # many sign-ins from one test client


def name() -> str:
    return f"person{next(_names)}"


@asynccontextmanager
async def browser(gw: Gateway):
    """Another browser on the same gateway: its own cookie jar."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(gw.app), base_url="http://gateway.test") as client:
        yield client


def plant(client: httpx.AsyncClient, token: str) -> None:
    """Puts a session cookie in the jar as the gateway would have set it."""
    client.cookies.delete(SESSION_COOKIE)
    client.cookies.set(SESSION_COOKIE, token, domain="gateway.test")


def csrf(client: httpx.AsyncClient) -> dict[str, str]:
    return {CSRF_HEADER: client.cookies[CSRF_COOKIE]}


async def sign_up(client: httpx.AsyncClient, username: str, **extra) -> dict:
    reply = await client.post("/auth/signup", json={"username": username, "password": PASSWORD, **extra})
    assert reply.status_code == 201, reply.text
    return reply.json()


def table_rows(stack: Stack, table, account_id: int) -> int:
    engine = make_engine(stack.profiles_database_url)
    try:
        with engine.connect() as conn:
            column = table.c.id if table is accounts else table.c.account_id
            return conn.execute(select(func.count()).select_from(table).where(column == account_id)).scalar()
    finally:
        engine.dispose()


async def test_sign_up_sets_an_http_only_session_and_a_csrf_cookie(open_gateway: OpenGateway):
    async with open_gateway(**LENIENT) as gw:
        body = await sign_up(gw.client, name())
        cookies = gw.client.cookies
        assert body["account"]["n_ratings"] == 0 and body["account"]["model_user_id"] > 1_000_000_000
        reply = await gw.client.get("/me")
        assert reply.status_code == 200 and reply.json()["username"] == body["account"]["username"]
        assert cookies[SESSION_COOKIE] and cookies[CSRF_COOKIE] and cookies[SESSION_COOKIE] != cookies[CSRF_COOKIE]

        async with httpx.AsyncClient(transport=httpx.ASGITransport(gw.app), base_url="https://gateway.test") as other:
            raw = await other.post("/auth/login", json={"username": body["account"]["username"], "password": PASSWORD})
        headers = raw.headers.get_list("set-cookie")
        session = next(h for h in headers if h.startswith(SESSION_COOKIE + "="))
        token = next(h for h in headers if h.startswith(CSRF_COOKIE + "="))
        assert "HttpOnly" in session and "SameSite=lax" in session and "Secure" in session and "Path=/" in session
        assert "HttpOnly" not in token and "SameSite=lax" in token and "Secure" in token
        plain = await gw.client.post("/auth/login", json={"username": body["account"]["username"],
                                                           "password": PASSWORD})
        assert "Secure" not in plain.headers["set-cookie"]  # plain HTTP: a Secure cookie would never come back


async def test_no_session_is_401_and_a_write_without_csrf_is_403(open_gateway: OpenGateway):
    async with open_gateway(**LENIENT) as gw:
        for method, url, body in (("GET", "/me", None), ("GET", "/me/ratings", None), ("GET", "/me/export", None),
                                  ("GET", "/me/recommendations", None), ("PUT", "/me/ratings/1", {"rating": 4}),
                                  ("DELETE", "/me", None), ("POST", "/auth/logout", None)):
            reply = await gw.client.request(method, url, json=body)
            assert reply.status_code == 401 and "not signed in" in reply.json()["detail"], (method, url)
        await sign_up(gw.client, name())
        for headers in ({}, {CSRF_HEADER: "wrong"}, {CSRF_HEADER: ""}):
            for method, url, body in (("PUT", "/me/ratings/1", {"rating": 4}), ("DELETE", "/me/ratings/1", None),
                                      ("POST", "/me/feedback", {"movieId": 1, "kind": "seen"}),
                                      ("DELETE", "/me", None), ("POST", "/auth/logout", None)):
                reply = await gw.client.request(method, url, json=body, headers=headers)
                assert reply.status_code == 403 and CSRF_HEADER in reply.json()["detail"], (method, url, headers)
        assert (await gw.client.get("/me")).json()["n_ratings"] == 0  # none of those writes happened
        ok = await gw.client.put("/me/ratings/1", json={"rating": 4.5}, headers=csrf(gw.client))
        assert ok.status_code == 200 and ok.json()["rating"] == 4.5
        plant(gw.client, "forged-token")
        assert (await gw.client.get("/me")).status_code == 401


async def test_one_person_never_reads_or_changes_anothers_data(open_gateway: OpenGateway, backends: Stack):
    async with open_gateway(**LENIENT) as gw, browser(gw) as bob:
        ann = await sign_up(gw.client, name(), ratings=[{"movieId": 1, "rating": 5}])
        await sign_up(bob, name())
        # Bob reads only his own (empty) data: no request names an account, the session decides whose it is.
        assert (await bob.get("/me/ratings")).json()["ratings"] == []
        assert (await bob.get("/me/feedback")).json()["marks"] == []
        export = (await bob.get("/me/export")).json()
        assert export["ratings"] == [] and export["account"]["account_id"] != ann["account"]["account_id"]
        # Bob sends Ann's CSRF token with his own session: still only his own account is touched.
        reply = await bob.put("/me/ratings/50", json={"rating": 1},
                              headers={CSRF_HEADER: gw.client.cookies[CSRF_COOKIE]})
        assert reply.status_code == 403
        await bob.put("/me/ratings/1", json={"rating": 0.5}, headers=csrf(bob))
        await bob.delete("/me/ratings/1", headers=csrf(bob))
        await bob.post("/me/feedback", json={"movieId": 1, "kind": "not_interested"}, headers=csrf(bob))
        await bob.delete("/me", headers=csrf(bob))
        mine = (await gw.client.get("/me/ratings")).json()["ratings"]
        assert [(r["movieId"], r["rating"], r["title"]) for r in mine] == [(1, 5.0, "Toy Story")]
        assert (await gw.client.get("/me/feedback")).json()["marks"] == []
        assert (await gw.client.get("/me")).json()["account_id"] == ann["account"]["account_id"]
        assert (await bob.get("/me")).status_code == 401  # Bob's own account is gone, Ann's is whole


async def test_wrong_password_and_unknown_user_get_the_same_401_and_a_taken_name_409(open_gateway: OpenGateway):
    async with open_gateway(**LENIENT) as gw:
        username = name()
        await sign_up(gw.client, username)
        wrong = await gw.client.post("/auth/login", json={"username": username, "password": "not the password"})
        unknown = await gw.client.post("/auth/login", json={"username": "nobody-" + username, "password": PASSWORD})
        assert wrong.status_code == unknown.status_code == 401 and wrong.json() == unknown.json()
        taken = await gw.client.post("/auth/signup", json={"username": username.upper(), "password": PASSWORD})
        assert taken.status_code == 409 and "taken" in taken.json()["detail"]
        form = await gw.client.post("/auth/login", data={"username": username, "password": PASSWORD})
        assert form.status_code == 415  # a cross-site HTML form cannot sign anyone in


async def test_sign_in_is_rate_limited_per_username_and_per_client(open_gateway: OpenGateway):
    async with open_gateway(login_per_minute_per_username=3, login_per_minute_per_client=5) as gw:
        username = name()
        for _ in range(3):
            attempt = await gw.client.post("/auth/login", json={"username": username, "password": "x" * 8})
            assert attempt.status_code == 401
        limited = await gw.client.post("/auth/login", json={"username": username, "password": "x" * 8})
        assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 60
        assert "too many sign-in attempts" in limited.json()["detail"]
        fifth = await gw.client.post("/auth/login", json={"username": name(), "password": "x" * 8})
        assert fifth.status_code == 401  # another username: its own count, and the client's 5th attempt
        sixth = await gw.client.post("/auth/login", json={"username": name(), "password": "x" * 8})
        assert sixth.status_code == 429  # over the client's 5 a minute, whatever the username


async def test_every_login_makes_a_new_session_and_logout_revokes_it(open_gateway: OpenGateway):
    async with open_gateway(**LENIENT) as gw:
        username = name()
        await sign_up(gw.client, username)
        first = gw.client.cookies[SESSION_COOKIE]
        plant(gw.client, "planted-by-an-attacker")
        await gw.client.post("/auth/login", json={"username": username, "password": PASSWORD})
        second = gw.client.cookies[SESSION_COOKIE]
        assert second not in (first, "planted-by-an-attacker")
        out = await gw.client.post("/auth/logout", headers=csrf(gw.client))
        assert out.status_code == 200 and out.json() == {"signed_out": True}
        assert SESSION_COOKIE not in gw.client.cookies
        plant(gw.client, second)
        assert (await gw.client.get("/me")).status_code == 401  # revoked on the server, not only forgotten
        plant(gw.client, first)
        assert (await gw.client.get("/me")).status_code == 200  # the other session lives on


async def test_a_planted_session_never_becomes_the_victims(open_gateway: OpenGateway):
    """Mallory plants her own valid session cookie in Alice's browser; Alice signs in (or up): she gets a new
    session, and Mallory's token still opens only Mallory's account."""
    async with open_gateway(**LENIENT) as gw, browser(gw) as alice:
        mallory = await sign_up(gw.client, name())
        planted = gw.client.cookies[SESSION_COOKIE]
        alice_name = name()
        plant(alice, planted)
        signed_up = await alice.post("/auth/signup", json={"username": alice_name, "password": PASSWORD})
        assert signed_up.status_code == 201 and alice.cookies[SESSION_COOKIE] != planted
        plant(alice, planted)
        login = await alice.post("/auth/login", json={"username": alice_name, "password": PASSWORD})
        assert login.status_code == 200 and alice.cookies[SESSION_COOKIE] != planted
        assert (await alice.get("/me")).json()["username"] == alice_name
        await alice.put("/me/ratings/7", json={"rating": 5}, headers=csrf(alice))
        theirs = await gw.client.get("/me")  # Mallory, with the token she planted
        assert theirs.json()["account_id"] == mallory["account"]["account_id"] and theirs.json()["n_ratings"] == 0


async def test_a_password_change_signs_out_everywhere_and_in_again_here(open_gateway: OpenGateway):
    async with open_gateway(**LENIENT) as gw, browser(gw) as laptop:
        username = name()
        await sign_up(gw.client, username)
        await laptop.post("/auth/login", json={"username": username, "password": PASSWORD})
        before = gw.client.cookies[SESSION_COOKIE]
        change = {"current_password": PASSWORD, "new_password": "a brand new password"}
        assert (await gw.client.post("/me/password", json=change)).status_code == 403  # no CSRF header
        wrong = await gw.client.post("/me/password", headers=csrf(gw.client),
                                     json={**change, "current_password": "a wrong guess"})
        assert wrong.status_code == 403 and "current password is wrong" in wrong.json()["detail"]
        short = await gw.client.post("/me/password", headers=csrf(gw.client), json={**change, "new_password": "short"})
        assert short.status_code == 422
        assert (await laptop.get("/me")).status_code == 200  # refusals changed nothing
        changed = await gw.client.post("/me/password", json=change, headers=csrf(gw.client))
        assert changed.status_code == 200 and changed.json()["account"]["username"] == username
        assert gw.client.cookies[SESSION_COOKIE] != before and (await gw.client.get("/me")).status_code == 200
        assert (await laptop.get("/me")).status_code == 401  # the other browser is signed out
        plant(gw.client, before)
        assert (await gw.client.get("/me")).status_code == 401
        old = await laptop.post("/auth/login", json={"username": username, "password": PASSWORD})
        assert old.status_code == 401
        new = await laptop.post("/auth/login", json={"username": username, "password": "a brand new password"})
        assert new.status_code == 200


async def test_password_change_attempts_count_towards_the_sign_in_limit(open_gateway: OpenGateway):
    """A stolen session cannot be used to guess the account's password faster than signing in would."""
    async with open_gateway(login_per_minute_per_username=3, login_per_minute_per_client=10_000) as gw:
        await sign_up(gw.client, name())  # the username's first attempt
        guess = {"current_password": "a wrong guess", "new_password": "a brand new password"}
        for _ in range(2):
            assert (await gw.client.post("/me/password", json=guess, headers=csrf(gw.client))).status_code == 403
        limited = await gw.client.post("/me/password", json={**guess, "current_password": PASSWORD},
                                       headers=csrf(gw.client))
        assert limited.status_code == 429 and limited.headers["retry-after"].isdigit()
        assert (await gw.client.get("/me")).status_code == 200  # nothing changed: the session still works


async def test_once_limited_even_the_right_password_is_refused(open_gateway: OpenGateway):
    """Past the limit a guess cannot tell a right password from a wrong one: both are 429."""
    async with open_gateway(login_per_minute_per_username=3, login_per_minute_per_client=10_000) as gw:
        username = name()
        await sign_up(gw.client, username)  # the username's first attempt
        for _ in range(2):
            assert (await gw.client.post("/auth/login", json={"username": username,
                                                              "password": "a wrong guess"})).status_code == 401
        right = await gw.client.post("/auth/login", json={"username": username.upper(), "password": PASSWORD})
        assert right.status_code == 429 and right.headers["retry-after"].isdigit()
        assert right.headers["content-type"] == "application/json" and SESSION_COOKIE not in right.headers.get(
            "set-cookie", "")


async def test_recommendations_follow_each_rating_and_mark(open_gateway: OpenGateway):
    async with open_gateway(**LENIENT) as gw:
        await sign_up(gw.client, name())
        empty = (await gw.client.get("/me/recommendations")).json()
        assert empty["recommendations"] == [] and empty["input_movies"] == []
        await gw.client.put("/me/ratings/1", json={"rating": 5}, headers=csrf(gw.client))
        first = (await gw.client.get("/me/recommendations", params={"top_k": 5})).json()
        ids = [r["movieId"] for r in first["recommendations"]]
        assert len(ids) == 5 and 1 not in ids and first["input_movies"] == ["Toy Story"]
        assert first["cached"] is False and "because_you_liked" in first["recommendations"][0]["explanation"]
        again = (await gw.client.get("/me/recommendations", params={"top_k": 5})).json()
        assert again == {**first, "cached": True}  # nothing changed: the stored answer, whole
        await gw.client.put("/me/ratings/82", json={"rating": 0.5}, headers=csrf(gw.client))
        second = (await gw.client.get("/me/recommendations", params={"top_k": 5})).json()
        assert second["cached"] is False  # the rating changed what the answer is computed from
        second_ids = [r["movieId"] for r in second["recommendations"]]
        assert second_ids != ids and 82 not in second_ids  # a disliked movie moves the list and is not offered
        top = second["recommendations"][0]["movieId"]
        await gw.client.post("/me/feedback", json={"movieId": top, "kind": "not_interested"}, headers=csrf(gw.client))
        third = [r["movieId"] for r in (await gw.client.get("/me/recommendations")).json()["recommendations"]]
        assert top not in third
        undo = await gw.client.delete(f"/me/feedback/{top}", params={"kind": "not_interested"}, headers=csrf(gw.client))
        assert undo.json() == {"removed": True}
        assert top in [r["movieId"] for r in (await gw.client.get("/me/recommendations")).json()["recommendations"]]
        varied = (await gw.client.get("/me/recommendations", params={"top_k": 5, "diversity": 1})).json()
        assert varied["diversity"] == 1 and len(varied["recommendations"]) == 5
        plain = (await gw.client.get("/me/recommendations", params={"top_k": 5, "diversity": 0})).json()
        default = (await gw.client.get("/me/recommendations", params={"top_k": 5})).json()
        assert plain["diversity"] == 0 and plain["recommendations"] == default["recommendations"]
        bad = await gw.client.get("/me/recommendations", params={"diversity": 1.5})
        assert bad.status_code == 422 and "diversity" in bad.text
        await gw.client.put("/me/ratings/99999", json={"rating": 4}, headers=csrf(gw.client))  # unknown to the model
        assert (await gw.client.get("/me/recommendations")).status_code == 200


async def test_sign_up_keeps_the_anonymous_list_and_export_returns_everything(open_gateway: OpenGateway):
    async with open_gateway(**LENIENT) as gw:
        body = await sign_up(gw.client, name(), ratings=[{"movieId": 1, "rating": 4.5}, {"movieId": 50, "rating": 2}])
        assert body["account"]["n_ratings"] == 2
        await gw.client.post("/me/feedback", json={"movieId": 12, "kind": "seen"}, headers=csrf(gw.client))
        await gw.client.delete("/me/ratings/50", headers=csrf(gw.client))
        export = (await gw.client.get("/me/export")).json()
        assert export["account"]["username"] == body["account"]["username"]
        assert [(r["movieId"], r["rating"], r["title"]) for r in export["ratings"]] == [(1, 4.5, "Toy Story")]
        assert [(m["movieId"], m["kind"], m["title"]) for m in export["marks"]] == [(12, "seen", "Usual Suspects, The")]
        assert [(e["kind"], e["movieId"]) for e in export["events"]] == [
            ("account_created", None), ("rating_set", 1), ("rating_set", 50), ("mark_set", 12), ("rating_removed", 50)]
        assert len(export["sessions"]) == 1 and export["events_truncated"] is False
        assert PASSWORD not in str(export) and gw.client.cookies[SESSION_COOKIE] not in str(export)


async def test_delete_me_leaves_nothing_in_the_store(open_gateway: OpenGateway, backends: Stack,
                                                     gateway_redis_url: str):
    async with open_gateway(**LENIENT) as gw:
        username = name()
        signed_up = await sign_up(gw.client, username, ratings=[{"movieId": 1, "rating": 4}])
        account_id = signed_up["account"]["account_id"]
        assert (await gw.client.get("/me/recommendations")).json()["input_movies"] == ["Toy Story"]
        redis = aioredis.Redis.from_url(gateway_redis_url)
        cached = personal_key(account_id)
        assert await redis.exists(cached)  # the answer, naming a movie they rated, is in the cache
        await gw.client.post("/me/feedback", json={"movieId": 2, "kind": "seen"}, headers=csrf(gw.client))
        async with browser(gw) as second_device:
            await second_device.post("/auth/login", json={"username": username, "password": PASSWORD})
            assert all(table_rows(backends, t, account_id) for t in (accounts, sessions, ratings, marks, events))
            reply = await gw.client.delete("/me", headers=csrf(gw.client))
            assert reply.status_code == 200
            assert reply.json()["deleted"] == {"ratings": 1, "marks": 1, "events": 3, "sessions": 2}
            assert {t.name: table_rows(backends, t, account_id) for t in (accounts, sessions, ratings, marks, events)} \
                == dict.fromkeys(("accounts", "sessions", "ratings", "marks", "events"), 0)
            assert (await second_device.get("/me")).status_code == 401  # signed out everywhere
        assert SESSION_COOKIE not in gw.client.cookies
        gone = await gw.client.post("/auth/login", json={"username": username, "password": PASSWORD})
        assert gone.status_code == 401
        assert not await redis.exists(cached)  # and it went with the account
        await redis.aclose()


async def test_bad_account_input_is_422_json(open_gateway: OpenGateway):
    async with open_gateway(**LENIENT) as gw:
        for body in ({"username": "ab", "password": PASSWORD}, {"username": "bad name", "password": PASSWORD},
                     {"username": name(), "password": "short"}, {"username": name(), "password": "p" * 129},
                     {"username": name(), "password": PASSWORD, "ratings": [{"movieId": 1, "rating": 4.2}]},
                     {"username": name(), "password": PASSWORD, "ratings": [{"movieId": 1, "rating": 4}] * 101}):
            assert (await gw.client.post("/auth/signup", json=body)).status_code == 422, body
        await sign_up(gw.client, name())
        for url, body in (("/me/ratings/1", {"rating": 5.5}), ("/me/ratings/1", {"rating": "4"}),
                          ("/me/ratings/0", {"rating": 4}), ("/me/ratings/1", {})):
            assert (await gw.client.put(url, json=body, headers=csrf(gw.client))).status_code == 422, (url, body)
        bad_kind = await gw.client.post("/me/feedback", json={"movieId": 1, "kind": "liked"}, headers=csrf(gw.client))
        assert bad_kind.status_code == 422
        assert (await gw.client.get("/me/recommendations", params={"top_k": 101})).status_code == 422


def test_the_gateway_states_the_profiles_limits():
    assert account_schemas.PASSWORD_CHARS == credentials.PASSWORD_CHARS
    assert account_schemas.MAX_SIGNUP_RATINGS == server.MAX_INITIAL_RATINGS
    assert "{2,31}" in account_schemas.USERNAME_PATTERN and credentials.USERNAME_CHARS == (3, 32)


@pytest.mark.parametrize("path", ["/me", "/me/ratings"])
async def test_profiles_down_degrades_health_and_only_accounts_fail(open_gateway: OpenGateway, path: str):
    async with open_gateway(profiles_address=closed_address(), rpc_timeout_seconds=0.5) as gw:
        health = await gw.client.get("/health")
        assert health.status_code == 200 and health.json()["status"] == "degraded"
        assert health.json()["dependencies"]["profiles"] == "down"
        assert (await gw.client.post("/recommend/titles", json={"movies": ["toy story"]})).status_code == 200
        plant(gw.client, "some-token")
        reply = await gw.client.get(path)
        assert reply.status_code == 503 and "profiles is unavailable" in reply.json()["detail"]
        signup = await gw.client.post("/auth/signup", json={"username": name(), "password": PASSWORD})
        assert signup.status_code == 503 and signup.headers["retry-after"]
