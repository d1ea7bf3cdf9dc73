"""gRPC status -> HTTP status and JSON body, in the one module that decides it."""
from __future__ import annotations

import json

import grpc
import pytest

from services.client import CallError
from services.gateway.errors import error_response, http_status


@pytest.mark.parametrize(("code", "status"), [
    (grpc.StatusCode.UNAVAILABLE, 503),
    (grpc.StatusCode.DEADLINE_EXCEEDED, 503),
    (grpc.StatusCode.NOT_FOUND, 404),
    (grpc.StatusCode.INVALID_ARGUMENT, 422),
    (grpc.StatusCode.INTERNAL, 502),
    (grpc.StatusCode.UNKNOWN, 502),
    (grpc.StatusCode.UNIMPLEMENTED, 502),
    (grpc.StatusCode.RESOURCE_EXHAUSTED, 502),
])
def test_status_mapping(code: grpc.StatusCode, status: int) -> None:
    assert http_status(code) == status
    response = error_response(CallError("scorer", "Recommend", code, "ipv4:10.0.0.7:50052 refused"))
    assert response.status_code == status
    assert response.media_type == "application/json"
    detail = json.loads(response.body)["detail"]
    assert isinstance(detail, str) and detail


@pytest.mark.parametrize("code", [grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED])
def test_unavailable_names_the_service_and_hides_transport_details(code: grpc.StatusCode) -> None:
    response = error_response(CallError("matcher", "Resolve", code, "ipv4:10.0.0.7:50051: Connection refused"))
    detail = json.loads(response.body)["detail"]
    assert detail.startswith("matcher is unavailable (")
    assert detail.endswith("; try again in a few seconds")
    assert "10.0.0.7" not in detail
    assert int(response.headers["retry-after"]) > 0


@pytest.mark.parametrize("code", [grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT])
def test_client_errors_pass_the_servicer_message_through(code: grpc.StatusCode) -> None:
    response = error_response(CallError("scorer", "PredictRating", code, "unknown user 9999"))
    assert json.loads(response.body) == {"detail": "unknown user 9999"}
