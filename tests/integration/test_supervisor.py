"""The supervised local stack (`python -m scripts.supervisor`, what scripts/run.sh runs) under traffic:
each child killed in turn is restarted while the others keep serving; a crash loop stops everything."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from scripts.stack import ROOT, free_port
from services.gateway.auth import CSRF_COOKIE, CSRF_HEADER

pytestmark = pytest.mark.integration  # real processes and servers on loopback

PATIENCE = 120.0  # seconds a test waits for something the stack owes; generous, never asserted on
CHILDREN = {"redis": "redis-server", "matcher": "services.matcher", "scorer": "services.scorer",
            "profiles": "services.profiles", "gateway": "services.gateway"}
# What each request needs: during an outage of a backend, requests that do not need it must still be 200.
NEEDS = {"/recommend/titles": {"matcher", "scorer"}, "/predict-rating": {"scorer"}, "/movies/search": {"matcher"},
         "/me/ratings/1": {"profiles"}}
# A request that cannot be answered without the child (a recommendation may come from the cache).
RECOVERY = {"matcher": "/movies/search", "scorer": "/predict-rating", "redis": "/recommend/titles",
            "profiles": "/me/ratings/1", "gateway": "/recommend/titles"}


@dataclass
class Runner:
    """The supervised stack as one process, its output file and its gateway's URL."""

    popen: subprocess.Popen
    output: Path
    url: str

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def child_pid(self, name: str) -> int | None:
        """The pid of the runner's child `name` now (None while it is down)."""
        children = Path(f"/proc/{self.popen.pid}/task/{self.popen.pid}/children").read_text().split()
        for pid in map(int, children):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (FileNotFoundError, ProcessLookupError):  # it exited between the listing and the read
                continue
            if CHILDREN[name] in cmdline:
                return pid
        return None

    def wait_for(self, predicate, what: str) -> None:
        give_up = time.monotonic() + PATIENCE
        while not predicate():
            assert self.popen.poll() is None, f"the runner exited while waiting for {what}:\n{self.text()[-3000:]}"
            assert time.monotonic() < give_up, f"no {what} within {PATIENCE:.0f} s:\n{self.text()[-3000:]}"
            time.sleep(0.1)


@dataclass
class Traffic:
    """Requests to each path in a loop on a thread: (time sent, path, status or error name)."""

    url: str
    answers: list[tuple[float, str, str]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        bodies = {"/recommend/titles": {"movies": ["toy story", "heat"], "top_k": 3},
                  "/predict-rating": {"user_id": 3, "movie_id": 82}}
        with httpx.Client(base_url=self.url, timeout=10) as client:
            # An account whose session cookie the writes carry (the session outlives restarts: it is in the store).
            client.post("/auth/signup", json={"username": "supervised", "password": "correct horse battery"})
            while not self.stop.is_set():
                for path in NEEDS:
                    sent = time.monotonic()
                    try:
                        if path.startswith("/me/"):
                            reply = client.put(path, json={"rating": 4.0},
                                               headers={CSRF_HEADER: client.cookies.get(CSRF_COOKIE) or ""})
                        else:
                            reply = (client.post(path, json=bodies[path]) if path in bodies
                                     else client.get(path, params={"q": "jura"}))
                        kind = str(reply.status_code)
                        if reply.headers.get("content-type") != "application/json":
                            kind += " not JSON"
                    except httpx.HTTPError as exc:
                        kind = type(exc).__name__
                    self.answers.append((sent, path, kind))
                time.sleep(0.02)

    def first_ok_since(self, t: float, path: str) -> float | None:
        """When the first request to `path` sent at or after `t` that got a 200 was sent (None: none yet)."""
        return next((sent for sent, p, kind in list(self.answers) if sent >= t and p == path and kind == "200"),
                    None)

    def ok_since(self, t: float, path: str) -> bool:
        return self.first_ok_since(t, path) is not None


@pytest.fixture
def runner(tiny_artifact_root: Path, tmp_path: Path) -> Iterator[Runner]:
    ports = {"MATCHER_PORT": free_port(), "SCORER_PORT": free_port(), "PROFILES_PORT": free_port(),
             "GATEWAY_PORT": free_port()}
    env = {**os.environ, "ARTIFACT_DIR": str(tiny_artifact_root), "LOG_DIR": str(tmp_path / "logs"),
           "PROFILES_DATABASE_URL": f"sqlite:///{tmp_path / 'profiles.sqlite3'}",  # not the checkout's data/
           **{k: str(v) for k, v in ports.items()}}
    output = tmp_path / "runner.out"
    with open(output, "wb") as out:
        popen = subprocess.Popen([sys.executable, "-m", "scripts.supervisor"], cwd=ROOT, env=env, stdout=out,
                                 stderr=subprocess.STDOUT)
    run = Runner(popen, output, f"http://127.0.0.1:{ports['GATEWAY_PORT']}")
    try:
        run.wait_for(lambda: "is up" in run.text(), "stack start")
        yield run
    finally:
        if popen.poll() is None:
            popen.send_signal(signal.SIGTERM)
            popen.wait(60)


def test_each_child_killed_under_traffic_is_restarted_and_the_others_keep_serving(runner: Runner) -> None:
    traffic = Traffic(runner.url)
    thread = threading.Thread(target=traffic.run, daemon=True)
    thread.start()
    outages: dict[str, tuple[float, float]] = {}
    try:
        runner.wait_for(lambda: all(traffic.ok_since(0, path) for path in NEEDS), "first 200s")
        for name in ("matcher", "scorer", "redis", "profiles", "gateway"):
            old = runner.child_pid(name)
            assert old is not None, name
            killed = time.monotonic()
            os.kill(old, signal.SIGKILL)
            runner.wait_for(lambda n=name, o=old: runner.child_pid(n) not in (None, o), f"{name} restarted")
            restarted = time.monotonic()  # the old process is gone by now
            runner.wait_for(lambda t=restarted, p=RECOVERY[name]: traffic.ok_since(t, p),
                            f"200s again after killing {name}")
            # The outage ends when the request that got the first 200 was sent, not when this loop saw it:
            # a request sent after that may still be in flight when the next child is killed.
            outages[name] = (killed, traffic.first_ok_since(restarted, RECOVERY[name]) or killed)
    finally:
        traffic.stop.set()
        thread.join(30)
    assert runner.popen.poll() is None, runner.text()[-3000:]
    text = runner.text()
    for name in CHILDREN:
        assert f"{name} exited with code -9; restarting it in 0.5 s" in text
        assert f"{name} restarted (restart 1)" in text
    for backend in ("matcher", "scorer", "profiles"):  # what does not need the dead backend was served all along
        start, end = outages[backend]
        during = [(p, kind) for sent, p, kind in traffic.answers if start <= sent < end]
        assert any(kind == "503" for p, kind in during if backend in NEEDS[p]), during  # it was down
        for path, kind in during:  # a cached recommendation may still be a 200
            assert kind == "200" or (backend in NEEDS[path] and kind == "503"), (backend, path, kind)
    runner.popen.send_signal(signal.SIGTERM)
    assert runner.popen.wait(60) == 0
    assert '"matcher": 1' in runner.text() and "stopped." in runner.text()


def test_a_crash_loop_stops_the_stack_and_says_so(runner: Runner) -> None:
    others = [runner.child_pid(name) for name in ("redis", "scorer", "gateway")]
    killed: list[int] = []
    give_up = time.monotonic() + PATIENCE
    while runner.popen.poll() is None and time.monotonic() < give_up:
        pid = runner.child_pid("matcher")
        if pid is not None and pid not in killed:
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        time.sleep(0.05)
    assert runner.popen.wait(60) == 1, runner.text()[-3000:]
    text = runner.text()
    assert "matcher died 5 times within 60 s" in text and "crash loop" in text
    assert len(killed) == 5 and "stopped." in text
    assert not any(Path(f"/proc/{pid}").exists() for pid in others)  # nothing left behind
