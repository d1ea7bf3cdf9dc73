"""Fault-test fixtures: a stack of their own (its processes get killed and frozen) and extra gateways."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from scripts.stack import Process, Stack


@pytest.fixture(scope="package")
def stack(tiny_artifact_root: Path, tmp_path_factory) -> Iterator[Stack]:
    """Redis, matcher, scorer and gateway as processes on the tiny artifact."""
    stack = Stack(artifact_dir=tiny_artifact_root, log_dir=tmp_path_factory.mktemp("fault-logs"))
    try:
        yield stack.start_all()
    finally:
        stack.stop()


StartGateway = Callable[..., tuple[Process, str]]


@pytest.fixture
def start_gateway(stack: Stack, tmp_path: Path) -> Iterator[StartGateway]:
    """Starts another gateway process on the stack's backends with GATEWAY_* overrides; (process, URL)."""
    started: list[Process] = []

    def start(**overrides: str) -> tuple[Process, str]:
        proc, url = stack.extra_gateway(f"gateway-{len(started)}", tmp_path, **overrides)
        started.append(proc)
        return proc, url

    yield start
    for proc in started:
        proc.stop()


def sample(exposition: str, name: str, **labels: str) -> float | None:
    """The value of one sample of a Prometheus text exposition (None when absent)."""
    for family in text_string_to_metric_families(exposition):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None
