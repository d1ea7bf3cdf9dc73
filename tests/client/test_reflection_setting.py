"""Reflection is on by default and off with MATCHER_REFLECTION / SCORER_REFLECTION=false."""
from __future__ import annotations

import asyncio

import grpc
import pytest

from movierec.v1 import matcher_pb2_grpc
from services.client.reflect import Reflected
from services.common.settings import load_settings
from services.matcher.settings import MatcherSettings
from services.scorer.settings import ScorerSettings
from testing.servers import grpc_service

pytestmark = pytest.mark.integration  # gRPC servers and channels on loopback


def test_the_setting_defaults_on_and_reads_false(monkeypatch) -> None:
    assert load_settings(MatcherSettings).reflection and load_settings(ScorerSettings).reflection
    monkeypatch.setenv("MATCHER_REFLECTION", "false")
    monkeypatch.setenv("SCORER_REFLECTION", "0")
    assert not load_settings(MatcherSettings).reflection and not load_settings(ScorerSettings).reflection


@pytest.mark.parametrize("enabled", [True, False])
async def test_a_server_without_reflection_answers_unimplemented(enabled: bool) -> None:
    service = grpc_service(matcher_pb2_grpc.MatcherServicer(), grace=0, reflection=enabled)
    await service.start()

    def list_services() -> list[str]:  # the blocking reflection client, off the server's event loop
        with grpc.insecure_channel(service.address) as channel:
            return Reflected(channel).services()

    try:
        if enabled:
            assert "movierec.v1.Matcher" in await asyncio.to_thread(list_services)
        else:
            with pytest.raises(grpc.RpcError) as refused:
                await asyncio.to_thread(list_services)
            assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED
    finally:
        await service.stop()
