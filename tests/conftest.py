"""Session fixtures (a private Redis, artifacts, the real services as processes on loopback) and the test layers.

Every test is `unit` or `integration`, marked at collection: integration when it (or its module) says so or
uses a fixture that starts processes; unit otherwise, and a unit test that opens a socket, a gRPC server or
channel, or a process fails at once, so the quick loop (`bash scripts/test.sh -m unit`) stays honest.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import grpc
import numpy as np
import pytest

from scripts.stack import ROOT, Stack
from testing.artifacts import build_tiny_artifact

# Fixtures that start real processes (directly or through another fixture): their users are integration tests.
PROCESS_FIXTURES = {"redis_stack", "redis_url", "backends", "ml100k_artifact_root", "ml100k_stack", "postgres_url",
                    "browser_stack", "orphan_gateway_url", "browser"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("integration") is None:
            uses_processes = PROCESS_FIXTURES & set(getattr(item, "fixturenames", ()))
            item.add_marker(pytest.mark.integration if uses_processes else pytest.mark.unit)


class UnitLayerViolation(RuntimeError):
    """A test collected as `unit` reached for the network or a process."""


def _refuse(what: str):
    def refuse(*args, **kwargs):
        raise UnitLayerViolation(f"a unit test {what}: mark it @pytest.mark.integration (tests/conftest.py)")
    return refuse


@pytest.fixture(autouse=True)
def _layer_guard(request, monkeypatch) -> None:
    """Unit tests get no sockets, gRPC servers or channels, and no child processes."""
    if request.node.get_closest_marker("unit") is None:
        return
    for name in ("connect", "connect_ex", "bind"):
        monkeypatch.setattr(socket.socket, name, _refuse(f"opened a socket ({name})"))
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse("started a process"))
    for module, name in ((grpc, "server"), (grpc.aio, "server"), (grpc, "insecure_channel"),
                         (grpc.aio, "insecure_channel"), (grpc, "secure_channel"), (grpc.aio, "secure_channel")):
        monkeypatch.setattr(module, name, _refuse(f"used grpc.{name}"))


@pytest.fixture(autouse=True)
def _seed() -> None:
    np.random.seed(42)  # legacy global RNG, for any library code that still uses it


@pytest.fixture(scope="session")
def log_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("logs")


@pytest.fixture(scope="session")
def redis_stack(log_dir) -> Stack:
    """A private redis-server on a free loopback port (never the machine's own Redis)."""
    stack = Stack(artifact_dir=Path("/nonexistent"), log_dir=log_dir)
    stack.start_redis()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def redis_url(redis_stack) -> str:
    return redis_stack.redis_url


@pytest.fixture(scope="session")
def tiny_artifact_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tiny-artifacts")
    build_tiny_artifact(root)
    return root


@pytest.fixture(scope="session")
def backends(tiny_artifact_root, log_dir) -> Stack:
    """Matcher and scorer as real processes serving the tiny artifact."""
    stack = Stack(artifact_dir=tiny_artifact_root, log_dir=log_dir / "tiny")
    stack.log_dir.mkdir(exist_ok=True)
    try:
        stack.start_service("matcher")
        stack.start_service("scorer")
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def ml100k_artifact_root(tmp_path_factory) -> Path:
    """A real artifact trained on MovieLens 100K, ranking blend tuned, by the command scripts/run.sh runs."""
    root = tmp_path_factory.mktemp("ml100k-artifacts")
    command = [sys.executable, "-m", "trainer", "train", "--out", str(root)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900, env=os.environ.copy())
    assert done.returncode == 0, f"{command} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return root


@pytest.fixture(scope="session")
def ml100k_stack(ml100k_artifact_root, log_dir) -> Stack:
    """The whole stack (Redis, matcher, scorer, gateway) as processes on the ML-100K artifact."""
    stack = Stack(artifact_dir=ml100k_artifact_root, log_dir=log_dir / "ml100k")
    stack.log_dir.mkdir(exist_ok=True)
    try:
        yield stack.start_all()
    finally:
        stack.stop()
