"""`python -m services.gateway` as a real process: serves HTTP, logs JSON, exits cleanly on SIGTERM."""
from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from scripts.stack import Stack


def test_entry_point_serves_and_stops_on_sigterm(backends: Stack, redis_url: str, tmp_path: Path) -> None:
    stack = Stack(artifact_dir=Path("/nonexistent"), log_dir=tmp_path,
                  redis_port=int(redis_url.rsplit(":", 1)[1].split("/")[0]),
                  matcher_port=backends.matcher_port, scorer_port=backends.scorer_port)
    proc = stack.start_service("gateway")  # waits for GET /health == 200
    try:
        request = urllib.request.Request(stack.gateway_url + "/recommend/titles", method="POST",
                                         data=json.dumps({"movies": ["toy story"], "top_k": 3}).encode(),
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as reply:
            assert reply.status == 200
            assert "default-src 'self'" in reply.headers["content-security-policy"]
            assert len(json.loads(reply.read())["recommendations"]) == 3
    finally:
        code = proc.stop(grace=10)
    assert code == 0
    lines = [json.loads(line) for line in proc.log_path.read_text().splitlines() if line.startswith("{")]
    messages = [line["msg"] for line in lines]
    assert "gateway started" in messages and "gateway stopped" in messages
    assert all({"ts", "level", "logger", "msg"} <= set(line) for line in lines)


def _metric(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of `name` whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            head, value = line.rsplit(" ", 1)
            if all(f'{k}="{v}"' in head for k, v in labels.items()):
                total += float(value)
    return total


def test_two_workers_share_one_port_and_every_scrape_counts_both(backends: Stack, redis_url: str, tmp_path: Path,
                                                                 monkeypatch) -> None:
    """GATEWAY_WORKERS=2: both worker processes answer, and /metrics from either one sums them all."""
    monkeypatch.setenv("GATEWAY_WORKERS", "2")
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    stack = Stack(artifact_dir=Path("/nonexistent"), log_dir=tmp_path,
                  redis_port=int(redis_url.rsplit(":", 1)[1].split("/")[0]),
                  matcher_port=backends.matcher_port, scorer_port=backends.scorer_port)
    proc = stack.start_service("gateway")
    try:
        sent = 40
        for i in range(sent):  # a new connection each time, so the kernel spreads them over the workers
            request = urllib.request.Request(stack.gateway_url + "/recommend/titles", method="POST",
                                             data=json.dumps({"movies": ["toy story"], "top_k": 1 + i % 5}).encode(),
                                             headers={"content-type": "application/json"})
            with urllib.request.urlopen(request, timeout=5) as reply:
                assert reply.status == 200
        for _ in range(6):  # each scrape lands on either worker
            with urllib.request.urlopen(stack.gateway_url + "/metrics", timeout=5) as reply:
                text = reply.read().decode()
            assert _metric(text, "movierec_http_requests_total", route="/recommend/titles", status="200") == sent
            assert _metric(text, "movierec_cache_lookups_total") >= sent
    finally:
        assert proc.stop(grace=15) == 0
    started = [json.loads(line) for line in proc.log_path.read_text().splitlines()
               if line.startswith("{") and '"gateway started"' in line]
    assert len(started) == 2  # two workers, each with its own backends and cache
