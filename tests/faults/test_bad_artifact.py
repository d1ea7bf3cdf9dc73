"""A corrupt or truncated artifact: refused at start with a clear error; on reload the old model keeps serving."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import grpc
import pytest

from movierec.v1 import scorer_pb2, scorer_pb2_grpc
from scripts.stack import Process, free_port, grpc_serving, spawn, wait_until
from testing.artifacts import build_tiny_artifact

pytestmark = pytest.mark.integration  # real processes and servers on loopback


def _log_lines(proc: Process) -> list[dict]:
    return [json.loads(line) for line in proc.log_path.read_text().splitlines() if line.startswith("{")]


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize("service", ["scorer", "matcher"])
@pytest.mark.parametrize("damage, named", [("truncated model.npz", "model.npz"), ("edited catalog", "catalog")])
def test_a_damaged_artifact_is_refused_at_start(service: str, damage: str, named: str, tmp_path: Path) -> None:
    version_dir = build_tiny_artifact(tmp_path / "artifacts")
    if damage.startswith("truncated"):
        _truncate(version_dir / "model.npz")
    else:
        catalog = next(version_dir.glob("catalog*"))
        catalog.write_text(catalog.read_text().replace("Toy Story", "Toy Storm"))
    prefix = service.upper()
    proc = spawn(service, [sys.executable, "-m", f"services.{service}"],
                 {f"{prefix}_ADDRESS": f"127.0.0.1:{free_port()}",
                  f"{prefix}_ARTIFACT_DIR": str(tmp_path / "artifacts")},
                 tmp_path)
    assert proc.popen.wait(60) == 2
    errors = [line for line in _log_lines(proc) if line["level"].upper() == "ERROR"]
    assert errors and errors[0]["msg"] == "cannot load the model artifact", proc.log_tail()
    assert named in errors[0]["error"], errors[0]


def test_a_corrupt_new_version_is_skipped_and_the_old_model_keeps_serving(tmp_path: Path) -> None:
    root = tmp_path / "artifacts"
    build_tiny_artifact(root, version="v1")
    address = f"127.0.0.1:{free_port()}"
    proc = spawn("scorer", [sys.executable, "-m", "services.scorer"],
                 {"SCORER_ADDRESS": address, "SCORER_ARTIFACT_DIR": str(root), "SCORER_RELOAD_SECONDS": "0.2"},
                 tmp_path)
    try:
        wait_until(proc, lambda: grpc_serving(address), 60)
        with grpc.insecure_channel(address) as channel:
            scorer = scorer_pb2_grpc.ScorerStub(channel)

            def version() -> str:
                return scorer.GetModelInfo(scorer_pb2.ModelInfoRequest(), timeout=5).model_version

            def recommend() -> list[int]:
                reply = scorer.Recommend(scorer_pb2.RecommendRequest(liked=[scorer_pb2.LikedMovie(movie_id=1)],
                                                                     top_k=3), timeout=5)
                return [r.movie.movie_id for r in reply.recommendations]

            assert version() == "v1"
            _truncate(build_tiny_artifact(root, version="v2", seed=2) / "model.npz")  # LATEST -> v2
            deadline = time.monotonic() + 20
            while not any("still serving the old one" in line["msg"] for line in _log_lines(proc)):
                assert time.monotonic() < deadline, proc.log_tail()
                time.sleep(0.1)
            assert version() == "v1" and len(recommend()) == 3 and proc.alive()
            refused = next(line for line in _log_lines(proc) if "still serving the old one" in line["msg"])
            assert "model.npz" in json.dumps(refused)

            build_tiny_artifact(root, version="v3", seed=3)  # a good version after the bad one is taken
            while version() != "v3":
                assert time.monotonic() < deadline + 20, proc.log_tail()
                time.sleep(0.1)
            assert len(recommend()) == 3
    finally:
        assert proc.stop() == 0
