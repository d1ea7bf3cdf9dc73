"""retrain -> promotion under traffic: the scorer swaps in the promoted version with no failed request, and an
app account, unknown before, gets predicted ratings through the gateway after."""
from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import grpc
import pytest

from movierec.artifact import latest_version
from movierec.store import APP_USER_ID_OFFSET
from movierec.v1 import scorer_pb2, scorer_pb2_grpc
from scripts.stack import ROOT, Stack
from testing.app_store import fill_store
from tests.gateway.conftest import OpenGateway
from trainer.bpmf import BPMFParams
from trainer.sources import load_dataset
from trainer.train import train_artifact

pytestmark = pytest.mark.integration  # real processes and servers on loopback

DATASET = "synthetic:300x100x12000"
SMALL = ["--dataset", DATASET, "--ranking", "defaults", "--factors", "3", "--samples", "10", "--burn-in", "5"]


@pytest.fixture
def serving_before_retrain(tmp_path: Path, reloading_backends_on) -> tuple[Stack, Path, str, list[int]]:
    """Matcher and scorer polling an artifact root (every 0.1 s) that `train` wrote; a store with 5 accounts."""
    root = tmp_path / "artifacts"
    train_artifact(root, BPMFParams(factors=3, samples=10, burn_in=5), load_dataset(DATASET), ranking="defaults")
    url = f"sqlite:///{tmp_path / 'profiles.sqlite3'}"
    accounts = fill_store(url, range(1, 101), accounts=5)
    return reloading_backends_on(root), root, url, accounts


async def test_retrain_promotes_under_traffic_and_the_app_account_gets_predictions(
        serving_before_retrain: tuple[Stack, Path, str, list[int]], open_gateway: OpenGateway) -> None:
    stack, root, url, accounts = serving_before_retrain
    before = latest_version(root)
    person = {"user_id": APP_USER_ID_OFFSET + accounts[0], "movie_id": 7}
    failures: list[str] = []
    seen: list[tuple[float, str]] = []  # (request start, model version that answered)
    stop = asyncio.Event()

    async with open_gateway(matcher_address=stack.matcher_address, scorer_address=stack.scorer_address) as gw, \
            grpc.aio.insecure_channel(stack.scorer_address) as channel:
        scorer = scorer_pb2_grpc.ScorerStub(channel)
        unknown = await gw.client.post("/predict-rating", json=person)
        assert unknown.status_code == 404 and "not in the training data" in unknown.json()["detail"]

        async def http_traffic() -> None:
            while not stop.is_set():
                started = time.monotonic()
                reply = await gw.client.post("/predict-rating", json={"user_id": 1, "movie_id": 7})
                if reply.status_code != 200:
                    failures.append(f"HTTP {reply.status_code}: {reply.text}")
                else:
                    seen.append((started, reply.json()["model_version"]))
                similar = await gw.client.get("/movies/7/similar", params={"k": 5})
                if similar.status_code != 200:
                    failures.append(f"HTTP {similar.status_code}: {similar.text}")
                await asyncio.sleep(0.005)  # leave the retrain process most of the two cores

        async def grpc_traffic() -> None:
            request = scorer_pb2.RecommendRequest(liked=[scorer_pb2.LikedMovie(movie_id=7)], top_k=5)
            while not stop.is_set():
                started = time.monotonic()
                try:
                    seen.append((started, (await scorer.Recommend(request, timeout=5)).model_version))
                except grpc.aio.AioRpcError as e:
                    failures.append(f"gRPC {e.code().name}: {e.details()}")
                await asyncio.sleep(0.005)

        tasks = [asyncio.create_task(http_traffic()), asyncio.create_task(grpc_traffic())]
        env = {k: v for k, v in os.environ.items() if k != "PROFILES_DATABASE_PASSWORD"}
        retrain = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "trainer", "retrain", "--out", str(root), "--database-url", url, *SMALL,
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(retrain.communicate(), timeout=600)
        assert retrain.returncode == 0, err.decode()[-3000:]
        assert out.decode().startswith("promoted "), out.decode()
        promoted = latest_version(root)
        assert promoted != before
        deadline = time.monotonic() + 30
        while (await scorer.GetModelInfo(scorer_pb2.ModelInfoRequest())).model_version != promoted:
            assert time.monotonic() < deadline, "the scorer did not swap in the promoted version"
            await asyncio.sleep(0.05)
        swapped = time.monotonic()
        await asyncio.sleep(0.5)  # traffic on the new version
        stop.set()
        await asyncio.gather(*tasks)

        known = await gw.client.post("/predict-rating", json=person)
        assert known.status_code == 200, known.text
        assert known.json()["model_version"] == promoted and 0.5 <= known.json()["predicted_rating"] <= 5.0

    assert not failures, failures[:5]
    assert {v for _, v in seen} == {before, promoted}, "traffic ran on both versions"
    assert all(v == promoted for t, v in seen if t > swapped)
