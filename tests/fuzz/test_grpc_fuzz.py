"""Every gRPC method of the matcher, scorer and profiles, fuzzed (hypothesis) against the real processes.

Generated messages (empty, huge, unicode, extreme numbers, NaN/inf) and corrupt wire bytes must
be answered OK, INVALID_ARGUMENT or NOT_FOUND (and, from profiles, the account answers its contract
lists) with a message, within the deadline, and the services must stay SERVING: never UNKNOWN /
INTERNAL (an escaped exception) or a hang.
"""
from __future__ import annotations

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from movierec.v1 import matcher_pb2, profiles_pb2, scorer_pb2
from scripts.stack import Stack, grpc_serving
from tests.fuzz.messages import messages

ALLOWED = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND}
# No session, a taken username, a full account: what profiles.proto says these calls may answer.
ACCOUNT_ANSWERS = {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.ALREADY_EXISTS, grpc.StatusCode.FAILED_PRECONDITION}
METHODS = [(service, method) for file in (matcher_pb2, scorer_pb2, profiles_pb2)
           for service in file.DESCRIPTOR.services_by_name.values() for method in service.methods]
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


def _address(backends: Stack, service) -> str:
    return {"Matcher": backends.matcher_address, "Scorer": backends.scorer_address,
            "Profiles": backends.profiles_address}[service.name]


def _call(address: str, path: str, payload: bytes) -> grpc.StatusCode:
    allowed = ALLOWED | (ACCOUNT_ANSWERS if path.startswith("/movierec.v1.Profiles/") else set())
    with grpc.insecure_channel(address) as channel:
        try:
            channel.unary_unary(path)(payload, timeout=5.0)
        except grpc.RpcError as exc:
            assert exc.code() in allowed - {grpc.StatusCode.OK}, (path, exc.code(), exc.details())
            assert exc.details(), f"{path}: {exc.code().name} without a message"
            return exc.code()
    return grpc.StatusCode.OK


def test_every_method_is_fuzzed() -> None:
    names = {f"{s.name}.{m.name}" for s, m in METHODS}
    assert {"Matcher.Resolve", "Matcher.Suggest", "Scorer.Recommend", "Scorer.PredictRating",
            "Scorer.SimilarMovies", "Scorer.GetModelInfo", "Profiles.SignUp", "Profiles.PutRating",
            "Profiles.GetAppStats"} <= names


@pytest.mark.parametrize("service, method", METHODS, ids=[f"{s.name}.{m.name}" for s, m in METHODS])
def test_generated_messages_get_clear_answers(backends: Stack, service, method) -> None:
    address, path = _address(backends, service), f"/{service.full_name}/{method.name}"

    @FUZZ
    @given(messages(method.input_type))
    def check(request) -> None:
        _call(address, path, request.SerializeToString())

    check()
    assert grpc_serving(address)


@pytest.mark.parametrize("service, method", METHODS, ids=[f"{s.name}.{m.name}" for s, m in METHODS])
def test_corrupt_bytes_are_invalid_argument(backends: Stack, service, method) -> None:
    address, path = _address(backends, service), f"/{service.full_name}/{method.name}"
    for payload in (b"\xff\xff\xff\xff", b"\x08", b"\x0a\x05abc", b"\x12\xff\xff\xff\xff\x0f"):
        assert _call(address, path, payload) == grpc.StatusCode.INVALID_ARGUMENT

    @FUZZ
    @given(st.binary(max_size=200))
    def check(payload: bytes) -> None:
        _call(address, path, payload)

    check()
    assert grpc_serving(address)
