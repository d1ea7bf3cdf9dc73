"""Entry point: `python -m services.matcher` — load the catalog, build the index, serve until SIGTERM."""
from __future__ import annotations

import logging
import sys
import time

from movierec.v1 import matcher_pb2_grpc
from services.common.artifact import load_catalog
from services.common.artifact_source import local_artifact_path
from services.common.grpc_server import GrpcService, run_main
from services.matcher.index import TitleIndex
from services.matcher.server import MatcherServicer
from services.matcher.settings import MatcherSettings

log = logging.getLogger("matcher")


async def serve(settings: MatcherSettings) -> None:
    """Loads and verifies the artifact's catalog, indexes it, then serves until SIGTERM or SIGINT."""
    started = time.perf_counter()
    manifest, movies = load_catalog(local_artifact_path(settings.artifact_dir))
    loaded = time.perf_counter()
    index = TitleIndex(movies)
    log.info("title index built", extra={
        "catalog_version": manifest["version"], "movies": len(index), "keys": len(index.entry_keys),
        "load_seconds": round(loaded - started, 3), "index_seconds": round(time.perf_counter() - loaded, 3)})
    servicer = MatcherServicer(index, manifest["version"])
    service = GrpcService("movierec.v1.Matcher", settings.address,
                          lambda server: matcher_pb2_grpc.add_MatcherServicer_to_server(servicer, server),
                          settings.grace_seconds)
    await service.run_until_signal()


if __name__ == "__main__":
    sys.exit(run_main(MatcherSettings, serve))
