"""Scorer.GetDatasetStats over a real gRPC server: the artifact's stats.json, or NOT_FOUND without one."""
from __future__ import annotations

import json

import grpc
import pytest

from movierec.artifact import load_artifact
from movierec.v1 import scorer_pb2 as pb
from movierec.v1 import scorer_pb2_grpc
from services.scorer.model import HybridModel
from services.scorer.server import ScorerServicer
from testing.servers import serving
from tests.browser.artifact import build_browser_artifact

pytestmark = pytest.mark.integration  # gRPC servers and channels on loopback


async def _stats(root) -> pb.DatasetStats:
    async with serving(ScorerServicer(HybridModel(load_artifact(root)))) as service:
        async with grpc.aio.insecure_channel(service.address) as ch:
            return await scorer_pb2_grpc.ScorerStub(ch).GetDatasetStats(pb.DatasetStatsRequest(), timeout=5)


async def test_stats_are_the_artifacts_stats_json(tmp_path):
    build_browser_artifact(tmp_path)
    reply = await _stats(tmp_path)
    stats = json.loads(reply.stats_json)
    assert reply.model_version == "v-browser-1"
    assert stats == json.loads((tmp_path / "v-browser-1" / "stats.json").read_text(encoding="utf-8"))
    assert stats["totals"]["ratings"] == sum(b["count"] for b in stats["rating_histogram"])


async def test_an_artifact_without_stats_is_not_found_with_advice(tiny_artifact_root):
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await _stats(tiny_artifact_root)
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert "stats.json" in err.value.details() and "trainer train" in err.value.details()
