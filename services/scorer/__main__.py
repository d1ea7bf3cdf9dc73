"""Entry point: `python -m services.scorer` — load the artifact, serve until SIGTERM."""
from __future__ import annotations

import os

# One BLAS thread: requests are small mat-vecs, and threads would fight the event loop for 2 cores.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from movierec.v1 import scorer_pb2_grpc  # noqa: E402
from services.common.artifact import load_artifact  # noqa: E402
from services.common.artifact_source import local_artifact_path  # noqa: E402
from services.common.grpc_server import GrpcService, run_main  # noqa: E402
from services.scorer.model import HybridModel  # noqa: E402
from services.scorer.server import ScorerServicer  # noqa: E402
from services.scorer.settings import ScorerSettings  # noqa: E402

log = logging.getLogger("scorer")


async def serve(settings: ScorerSettings) -> None:
    """Loads and verifies the artifact, then serves until SIGTERM or SIGINT."""
    started = time.perf_counter()
    model = HybridModel(load_artifact(local_artifact_path(settings.artifact_dir)))
    log.info("model loaded", extra={"model_version": model.version, "movies": model.n_items,
                                    "seconds": round(time.perf_counter() - started, 3)})
    servicer = ScorerServicer(model)
    service = GrpcService("movierec.v1.Scorer", settings.address,
                          lambda server: scorer_pb2_grpc.add_ScorerServicer_to_server(servicer, server),
                          settings.grace_seconds)
    await service.run_until_signal()


if __name__ == "__main__":
    sys.exit(run_main(ScorerSettings, serve))
