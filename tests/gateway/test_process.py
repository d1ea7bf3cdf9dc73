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
