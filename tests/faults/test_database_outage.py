"""The profiles store's PostgreSQL stopped under traffic, then restarted on the same port and data: anonymous
recommendations keep answering, /health says degraded, account calls are 503 JSON with Retry-After, and once the
database is back the same profiles process serves account writes again (its pool reconnects by itself)."""
from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scripts.stack import Stack, grpc_serving
from services.gateway.auth import CSRF_COOKIE, CSRF_HEADER
from testing.postgres import PostgresServer

pytestmark = pytest.mark.integration

PATIENCE = 60.0  # generous: the probe runs every 2 s, a loaded CI machine may be slow


@pytest.fixture
def outage_stack(tiny_artifact_root: Path, tmp_path: Path) -> Iterator[tuple[Stack, PostgresServer]]:
    """A whole stack whose profiles store is a private PostgreSQL of its own (this test stops it)."""
    postgres = PostgresServer().start()
    stack = Stack(artifact_dir=tiny_artifact_root, log_dir=tmp_path, database_url=postgres.new_database("outage"))
    try:
        yield stack.start_all(), postgres
    finally:
        stack.stop()
        postgres.stop()


def wait_for(condition, what: str, stack: Stack) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        if time.monotonic() > deadline:
            profiles = next(p for p in stack.processes if p.name == "profiles")
            raise AssertionError(f"not within {PATIENCE} s: {what}\n{profiles.log_tail()}")
        time.sleep(0.2)


def test_database_stopped_and_restarted_under_traffic(outage_stack: tuple[Stack, PostgresServer]):
    stack, postgres = outage_stack
    profiles = next(p for p in stack.processes if p.name == "profiles")
    anonymous = {"movies": ["toy story"], "top_k": 3}
    with httpx.Client(base_url=stack.gateway_url, timeout=15) as client:
        reply = client.post("/auth/signup", json={"username": "outage1", "password": "correct horse battery"})
        assert reply.status_code == 201, reply.text
        csrf = {CSRF_HEADER: client.cookies[CSRF_COOKIE]}
        for movie in (1, 2, 3):  # traffic before the fault
            assert client.put(f"/me/ratings/{movie}", json={"rating": 4.0}, headers=csrf).status_code == 200
            assert client.post("/recommend/titles", json=anonymous).status_code == 200

        postgres.halt()
        wait_for(lambda: not grpc_serving(stack.profiles_address), "profiles health NOT_SERVING", stack)
        health = client.get("/health")
        assert health.status_code == 200, health.text
        assert health.json()["status"] == "degraded" and health.json()["dependencies"]["profiles"] == "down"
        for n in range(5):
            assert client.post("/recommend/titles", json={"movies": ["heat", f"no such film {n}"]}).status_code == 200
        for method, path, body in (("PUT", "/me/ratings/4", {"rating": 3.5}), ("GET", "/me", None),
                                   ("GET", "/me/ratings", None), ("POST", "/auth/login",
                                                                  {"username": "outage1",
                                                                   "password": "correct horse battery"})):
            reply = client.request(method, path, json=body, headers=csrf)
            assert reply.status_code == 503, (method, path, reply.text)
            assert reply.headers["content-type"] == "application/json" and reply.headers["Retry-After"].isdigit()
            assert "profiles" in reply.json()["detail"] and "try again" in reply.json()["detail"]

        postgres.restart()  # same port, same data directory
        wait_for(lambda: grpc_serving(stack.profiles_address), "profiles health SERVING again", stack)
        wait_for(lambda: client.put("/me/ratings/4", json={"rating": 3.5}, headers=csrf).status_code == 200,
                 "an account write succeeds", stack)
        assert profiles.alive(), "profiles recovered without a restart"
        assert client.get("/health").json()["status"] == "ok"
        stored = {r["movieId"]: r["rating"] for r in client.get("/me/ratings").json()["ratings"]}
        assert stored == {1: 4.0, 2: 4.0, 3: 4.0, 4: 3.5}
