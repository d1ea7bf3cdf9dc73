"""docker-compose.yml's commands start the stack: every service run as a local process with its
compose environment (host names → 127.0.0.1, ports → free ports) answers a recommendation."""
from __future__ import annotations

import json
import time
import urllib.request

import psycopg
import pytest

from movierec.artifact import LATEST
from testing.artifacts import build_graph_artifact
from tests.deploy.compose_processes import ComposeRun, Mapping

pytestmark = pytest.mark.integration


def test_mapping_rewrites_hosts_ports_and_mounts(tmp_path):
    m = Mapping({"redis", "matcher"}, {6379: 40001, 50051: 40002}, {"/artifacts": tmp_path, "/tmp": tmp_path / "t"})
    assert m.text("redis://redis:6379/0") == "redis://127.0.0.1:40001/0"
    assert m.text("0.0.0.0:50051") == m.text("matcher:50051") == "127.0.0.1:40002"
    assert m.text("0.0.0.0") == "127.0.0.1" and m.text("6379") == "40001" and m.text("8000") == "8000"
    assert m.text("matcher") == "matcher"  # e.g. the module name of `python -m trainer`
    assert m.text("/artifacts") == str(tmp_path) and m.text("/tmp/x") == str(tmp_path / "t" / "x")
    assert m.text("/artifactsfoo") == "/artifactsfoo" and m.text("INFO") == "INFO"


@pytest.fixture(scope="module")
def compose_stack(tmp_path_factory):
    run = ComposeRun(tmp_path_factory.mktemp("compose"))
    # The artifact volume already holds a servable model (with an item graph), so the one-shot trainer's
    # `--if-missing` run finishes at once (training ML-100K is tested in tests/trainer).
    build_graph_artifact(run.volumes["artifacts"])
    try:
        run.up()
        run.wait_for("gateway", "service_healthy")
        yield run
    finally:
        run.down()


def test_every_service_started_and_the_trainer_finished(compose_stack):
    procs = compose_stack.processes
    assert set(procs) == set(compose_stack.config["services"])
    assert procs["trainer"].popen.returncode == 0
    assert "nothing to do (--if-missing)" in procs["trainer"].log_tail()
    assert all(p.alive() for name, p in procs.items() if name != "trainer")
    # The retrain loop reads the compose PostgreSQL (no app ratings yet), judges its candidate, and waits.
    compose_stack.wait_for_log("retrain", "next run in 3600 s", timeout=600)
    assert "promoted" in compose_stack.processes["retrain"].log_tail(100_000) or \
        "rejected" in compose_stack.processes["retrain"].log_tail(100_000)


def test_recommendation_through_the_published_gateway_port(compose_stack):
    published = int(compose_stack.config["services"]["gateway"]["ports"][0].split(":")[0])
    url = f"http://127.0.0.1:{compose_stack.ports[published]}/recommend/titles"
    request = urllib.request.Request(url, data=json.dumps({"movies": ["toy story", "heat 1995"], "top_k": 5}).encode(),
                                     headers={"Content-Type": "application/json"})
    latest = (compose_stack.volumes["artifacts"] / LATEST).read_text().strip()
    for _ in range(120):  # the retrain loop may have just promoted a version: the hot reload catches up
        with urllib.request.urlopen(request, timeout=10) as reply:
            body = json.loads(reply.read())
        if body["model_version"] == latest:
            break
        time.sleep(0.5)
    assert body["model_version"] == latest
    assert body["input_movies"] == ["Toy Story", "Heat"]
    assert 0 < len(body["recommendations"]) <= 5
    assert not {r["movieId"] for r in body["recommendations"]} & {1, 273}


def test_gateway_health_sees_redis_and_every_backend(compose_stack):
    url = f"http://127.0.0.1:{compose_stack.ports[8000]}/health"
    with urllib.request.urlopen(url, timeout=5) as reply:
        health = json.loads(reply.read())
    assert health["status"] == "ok" and set(health["dependencies"].values()) == {"ok"}
    assert set(health["dependencies"]) == {"matcher", "scorer", "profiles", "redis"}


def test_an_account_through_the_gateway_lands_in_postgres(compose_stack):
    """docker-compose's profiles stores in its postgres: a sign-up and a rating, then the row in the database."""
    base = f"http://127.0.0.1:{compose_stack.ports[8000]}"
    request = urllib.request.Request(base + "/auth/signup", data=json.dumps(
        {"username": "compose-user", "password": "correct horse", "ratings": [{"movieId": 1, "rating": 4.5}]}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.status == 201
    env = compose_stack.config["services"]["postgres"]["environment"]
    with psycopg.connect(host="127.0.0.1", port=compose_stack.postgres.port, user=env["POSTGRES_USER"],
                         dbname=env["POSTGRES_DB"]) as conn:
        rows = conn.execute("SELECT a.username, r.movie_id, r.half_stars FROM accounts a "
                            "JOIN ratings r ON r.account_id = a.id").fetchall()
    assert rows == [("compose-user", 1, 9)]


def test_sigterm_stops_every_server_cleanly(compose_stack):
    """STOPSIGNAL SIGTERM: each server exits 0 within compose's stop_grace_period."""
    for name in ("gateway", "profiles", "scorer", "matcher"):
        proc = compose_stack.processes[name]
        assert proc.stop(grace=15) == 0, f"{name} did not exit 0 on SIGTERM:\n{proc.log_tail()}"


def test_nothing_wrote_into_the_images_app_directories(compose_stack):
    """With a read-only root filesystem writes can only go to mounts: the code trees stay untouched
    (no __pycache__, no numba cache) after serving and stopping."""
    for name in ("gateway", "scorer", "matcher"):
        compose_stack.processes[name].stop(grace=15)
    for name, before in compose_stack.apps_at_start.items():
        assert compose_stack.app_files(name) == before, f"{name} wrote into /app"
