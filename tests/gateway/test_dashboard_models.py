"""GET /dashboard/stats's `models` (the retrain history via Scorer.GetModelHistory) against a scorer servicer on
loopback: the runs as JSON, and null with a reason when the history cannot be read (the dataset charts still show)."""
from __future__ import annotations

import pytest

from movierec.artifact import ArtifactError, load_artifact
from services.gateway.settings import GatewaySettings
from services.scorer.model import HybridModel
from services.scorer.server import ScorerServicer
from testing.servers import serving
from tests.browser.artifact import HISTORY, build_browser_artifact
from tests.gateway.conftest import closed_address, run_gateway

pytestmark = pytest.mark.integration  # gRPC servers and channels on loopback


def unreadable(limit: int) -> list[dict]:
    raise ArtifactError("cannot read s3://bucket/models/retrain_history.jsonl: EndpointConnectionError")


@pytest.mark.parametrize("history, expected", [
    (lambda limit: HISTORY[-limit:], "runs"),
    (unreadable, "error"),
])
async def test_models_on_the_dashboard_stats(tmp_path, gateway_redis_url, history, expected) -> None:
    build_browser_artifact(tmp_path)
    servicer = ScorerServicer(HybridModel(load_artifact(tmp_path)), history=history)
    async with serving(servicer) as scorer:
        settings = GatewaySettings(matcher_address=closed_address(), scorer_address=scorer.address,
                                   redis_url=gateway_redis_url)
        async with run_gateway(settings) as gw:
            reply = await gw.client.get("/dashboard/stats")
    assert reply.status_code == 200 and reply.json()["stats"]["totals"]["ratings"] > 0
    body = reply.json()
    if expected == "runs":
        assert [m["version"] for m in body["models"]] == [e["version"] for e in HISTORY]
        assert body["models"][1]["candidate"] == {k: HISTORY[1]["candidate"][k] for k in
                                                 ("rmse", "rmse_base", "rmse_app", "ndcg10", "recall10")}
        assert "models_error" not in body
    else:
        assert body["models"] is None
        assert body["models_error"] == "the retrain history cannot be read now (scorer: UNAVAILABLE)"
