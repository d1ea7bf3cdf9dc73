"""Entry point: `python -m services.scorer` — load the artifact, serve until SIGTERM."""
from __future__ import annotations

import os

# One BLAS thread: requests are small mat-vecs, and threads would fight the event loop for 2 cores.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import asyncio  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from pydantic import ValidationError  # noqa: E402

from movierec.v1 import scorer_pb2_grpc  # noqa: E402
from services.common.artifact import ArtifactError, load_artifact  # noqa: E402
from services.common.grpc_server import GrpcService  # noqa: E402
from services.common.logs import configure_logging  # noqa: E402
from services.scorer.model import HybridModel  # noqa: E402
from services.scorer.server import ScorerServicer  # noqa: E402
from services.scorer.settings import ScorerSettings  # noqa: E402

log = logging.getLogger("scorer")


async def serve(settings: ScorerSettings) -> None:
    started = time.perf_counter()
    model = HybridModel(load_artifact(settings.artifact_dir))
    log.info("model loaded", extra={"model_version": model.version, "movies": model.n_items,
                                    "seconds": round(time.perf_counter() - started, 3)})
    servicer = ScorerServicer(model)
    service = GrpcService("movierec.v1.Scorer", settings.address,
                          lambda server: scorer_pb2_grpc.add_ScorerServicer_to_server(servicer, server),
                          settings.grace_seconds)
    await service.run_until_signal()


def main() -> int:
    try:
        settings = ScorerSettings()
    except ValidationError as e:
        print(f"invalid SCORER_* settings:\n{e}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        asyncio.run(serve(settings))
    except ArtifactError as e:
        log.error("cannot load model artifact", extra={"error": str(e)})
        return 2
    except OSError as e:
        log.error("cannot start", extra={"error": str(e)})
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
