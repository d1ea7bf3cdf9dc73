"""Scorer.GetModelHistory over a real gRPC server: the artifact root's retrain history, newest `limit` runs."""
from __future__ import annotations

import grpc
import pytest

from movierec.artifact import load_artifact
from movierec.retrain_history import HISTORY_FILE, append_entry
from movierec.v1 import scorer_pb2 as pb
from movierec.v1 import scorer_pb2_grpc
from services.scorer.history import HistorySource
from services.scorer.model import HybridModel
from services.scorer.server import MAX_HISTORY, ScorerServicer
from testing.servers import serving

pytestmark = pytest.mark.integration  # gRPC servers and channels on loopback


def entry(n: int, promoted: bool) -> dict:
    figures = {"rmse": 0.9 + n / 1000, "rmse_base": 0.9, "rmse_app": None, "ndcg10": 0.5, "recall10": 0.45}
    return {"time": f"2026-12-05T{n:02d}:00:00Z", "version": f"v{n}",
            "outcome": "promoted" if promoted else "rejected", "reason": f"run {n}", "candidate": figures,
            "serving": None if n == 0 else {"version": f"v{n - 1}", **figures},
            "data": {"ratings": 1000 + n, "app_ratings": n, "app_accounts": 1}, "seconds": 1.5}


async def history(root, limit: int = 0) -> pb.ModelHistory:
    servicer = ScorerServicer(HybridModel(load_artifact(root)), history=HistorySource(root).read)
    async with serving(servicer) as service:
        async with grpc.aio.insecure_channel(service.address) as ch:
            return await scorer_pb2_grpc.ScorerStub(ch).GetModelHistory(pb.ModelHistoryRequest(limit=limit), timeout=5)


@pytest.fixture
def root(tmp_path, tiny_artifact_root):
    (tmp_path / "LATEST").write_text((tiny_artifact_root / "LATEST").read_text())
    version = (tiny_artifact_root / "LATEST").read_text().strip()
    (tmp_path / version).symlink_to(tiny_artifact_root / version)
    return tmp_path


async def test_history_runs_with_figures_oldest_first(root):
    for n in range(3):
        append_entry(root, entry(n, promoted=n != 2))
    with open(root / HISTORY_FILE, "a") as f:
        f.write('{"version": "torn", "outc')  # a run killed mid-write
    reply = await history(root)
    assert [r.version for r in reply.runs] == ["v0", "v1", "v2"]
    assert [r.promoted for r in reply.runs] == [True, True, False]
    first, last = reply.runs[0], reply.runs[2]
    assert not first.HasField("serving") and first.serving_version == ""
    assert last.serving_version == "v1" and last.serving.rmse == pytest.approx(0.902)
    assert last.candidate.HasField("ndcg10") and not last.candidate.HasField("rmse_app")
    assert (last.ratings, last.app_ratings, last.app_accounts, last.reason) == (1002, 2, 1, "run 2")
    assert [r.version for r in (await history(root, limit=2)).runs] == ["v1", "v2"]


async def test_no_history_is_empty_and_a_bad_limit_is_refused(root):
    assert list((await history(root)).runs) == []
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await history(root, limit=MAX_HISTORY + 1)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"between 0 and {MAX_HISTORY}" in err.value.details()
