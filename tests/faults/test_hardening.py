"""Gateway hardening as a real process: /metrics, the per-client rate limit, CORS, security headers."""
from __future__ import annotations

import socket
import sys

import grpc
import httpx
import pytest

from movierec.v1 import scorer_pb2, scorer_pb2_grpc
from scripts.stack import Stack, free_port, grpc_serving, spawn, wait_until
from services.gateway.settings import SettingsError, load_settings
from tests.faults.conftest import StartGateway, sample

pytestmark = pytest.mark.integration  # real processes and servers on loopback

BODY = {"movies": ["toy story", "heat"], "top_k": 3}


def test_metrics_count_requests_cache_hits_and_name_the_model(start_gateway: StartGateway) -> None:
    _, url = start_gateway()
    with httpx.Client(base_url=url, timeout=10) as client:
        for _ in range(3):
            assert client.post("/recommend/titles", json=BODY).status_code == 200
        assert client.get("/movies/999999/similar").status_code in (404, 422)
        reply = client.get("/metrics")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/plain")
    text = reply.text
    assert sample(text, "movierec_http_requests_total", route="/recommend/titles", method="POST",
                  status="200") == 3
    assert sample(text, "movierec_http_request_seconds_count", route="/recommend/titles", method="POST") == 3
    hits = sample(text, "movierec_cache_lookups_total", result="hit") or 0
    misses = sample(text, "movierec_cache_lookups_total", result="miss") or 0
    assert hits >= 2 and hits + misses == 3  # the same body: at most the first is a miss
    assert sample(text, "movierec_model_info", service="gateway", version="v-test-1") == 1
    # Route templates, not raw paths, label the requests (bounded cardinality).
    assert 'route="/movies/{movie_id}/similar"' in text and "/movies/999999" not in text


def test_a_client_that_hangs_up_mid_body_is_counted_as_499_not_as_a_server_error(
        start_gateway: StartGateway) -> None:
    proc, url = start_gateway()
    host, port = url.removeprefix("http://").split(":")
    for _ in range(3):
        with socket.create_connection((host, int(port)), timeout=10) as conn:
            conn.sendall(b"POST /recommend/titles HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 100\r\n\r\n{\"movies\":")
    with httpx.Client(base_url=url, timeout=10) as client:
        # The gateway notices each hang-up once its read of the body ends; wait for all three.
        wait_until(proc, lambda: (sample(client.get("/metrics").text, "movierec_http_requests_total",
                                   method="POST", status="499") or 0) >= 3, timeout=20)
        text = client.get("/metrics").text
    assert not [line for line in text.splitlines()
                if line.startswith("movierec_http_requests_total") and 'status="500"' in line]


def test_metrics_can_be_switched_off(start_gateway: StartGateway) -> None:
    _, url = start_gateway(metrics_enabled="false")
    assert httpx.get(url + "/metrics").status_code == 404


def test_cors_is_same_origin_by_default(stack: Stack) -> None:
    reply = httpx.options(stack.gateway_url + "/recommend/titles", headers={
        "origin": "https://elsewhere.example", "access-control-request-method": "POST"})
    assert "access-control-allow-origin" not in reply.headers
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in reply.headers["content-security-policy"]


def test_cors_allows_configured_origins_only(start_gateway: StartGateway) -> None:
    _, url = start_gateway(cors_origins="https://app.example, https://other.example")
    preflight = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}
    allowed = httpx.options(url + "/recommend/titles", headers={"origin": "https://app.example", **preflight})
    refused = httpx.options(url + "/recommend/titles", headers={"origin": "https://evil.example", **preflight})
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert "access-control-allow-origin" not in refused.headers


def test_cors_origins_must_be_urls() -> None:
    assert load_settings(cors_origins="https://a.example,http://b.example:8080").cors_origin_list == [
        "https://a.example", "http://b.example:8080"]
    with pytest.raises(SettingsError, match="GATEWAY_CORS_ORIGINS"):
        load_settings(cors_origins="a.example")


def test_grpc_service_metrics_on_their_own_port(tiny_artifact_root, tmp_path) -> None:
    address, metrics_port = f"127.0.0.1:{free_port()}", free_port()
    proc = spawn("scorer", [sys.executable, "-m", "services.scorer"],
                 {"SCORER_ADDRESS": address, "SCORER_ARTIFACT_DIR": str(tiny_artifact_root),
                  "SCORER_METRICS_PORT": str(metrics_port)}, tmp_path)
    try:
        wait_until(proc, lambda: grpc_serving(address), 60)
        with grpc.insecure_channel(address) as channel:
            scorer = scorer_pb2_grpc.ScorerStub(channel)
            scorer.GetModelInfo(scorer_pb2.ModelInfoRequest(), timeout=5)
            with pytest.raises(grpc.RpcError):
                scorer.PredictRating(scorer_pb2.PredictRatingRequest(user_id=10**9, movie_id=1), timeout=5)
        text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
    finally:
        proc.stop()
    assert sample(text, "movierec_grpc_requests_total", method="GetModelInfo", code="OK") == 1
    assert sample(text, "movierec_grpc_requests_total", method="PredictRating", code="NOT_FOUND") == 1
    assert sample(text, "movierec_grpc_request_seconds_count", method="GetModelInfo") == 1
    assert sample(text, "movierec_model_info", service="scorer", version="v-test-1") == 1


def test_every_service_binds_loopback_by_default(monkeypatch) -> None:
    from services.common.settings import load_settings as load_service_settings
    from services.matcher.settings import MatcherSettings
    from services.scorer.settings import ScorerSettings

    for name in ("MATCHER_ADDRESS", "SCORER_ADDRESS", "GATEWAY_HOST", "MATCHER_METRICS_PORT", "SCORER_METRICS_PORT"):
        monkeypatch.delenv(name, raising=False)
    for cls in (MatcherSettings, ScorerSettings):
        settings = load_service_settings(cls)
        assert settings.address.startswith("127.0.0.1:") and settings.metrics_port == 0
    assert load_settings().host == "127.0.0.1"
