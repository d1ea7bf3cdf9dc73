"""Entry point: `python -m services.scorer` — load the artifact, serve until SIGTERM."""
from __future__ import annotations

import os

# One BLAS thread: requests are small mat-vecs, and threads would fight the event loop for 2 cores.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from movierec.artifact import load_artifact  # noqa: E402
from movierec.v1 import scorer_pb2_grpc  # noqa: E402
from services.common.artifact_source import local_artifact_path  # noqa: E402
from services.common.grpc_server import run_main, serve_reloading  # noqa: E402
from services.scorer.history import HistorySource  # noqa: E402
from services.scorer.lease import VersionLeases  # noqa: E402
from services.scorer.model import HybridModel  # noqa: E402
from services.scorer.server import ScorerServicer  # noqa: E402
from services.scorer.settings import ScorerSettings  # noqa: E402

log = logging.getLogger("scorer")


def load_model(location: Path) -> tuple[str, HybridModel]:
    """Loads, verifies and builds the model of the local version `location` names: (version, model)."""
    started = time.perf_counter()
    model = HybridModel(load_artifact(location))
    log.info("model loaded", extra={"model_version": model.version, "movies": model.n_items,
                                    "item_graph": model.neighbor_rows is not None,
                                    "seconds": round(time.perf_counter() - started, 3)})
    return model.version, model


async def serve(settings: ScorerSettings) -> None:
    """Loads and verifies the artifact, then serves until SIGTERM or SIGINT, swapping in new versions."""
    version, model = load_model(local_artifact_path(settings.artifact_dir))
    servicer = ScorerServicer(model, VersionLeases(settings.version_lease_seconds),
                              HistorySource(settings.artifact_dir).read)

    async def swap(new: HybridModel) -> None:
        # A request reads servicer.model once, so it is answered wholly by the old or the new model;
        # the swap waits for the version leases granted to gateways to run out.
        waited = await servicer.leases.swap(lambda: setattr(servicer, "model", new))
        log.info("model swapped", extra={"model_version": new.version, "lease_wait_seconds": round(waited, 3)})

    await serve_reloading("movierec.v1.Scorer", settings,
                          lambda server: scorer_pb2_grpc.add_ScorerServicer_to_server(servicer, server),
                          version, load_model, swap)


if __name__ == "__main__":
    sys.exit(run_main(ScorerSettings, serve))
