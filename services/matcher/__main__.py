"""Entry point: `python -m services.matcher` — load the catalog, build the index, serve until SIGTERM."""
from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

from movierec.artifact import load_catalog
from movierec.v1 import matcher_pb2_grpc
from services.common.artifact_source import local_artifact_path
from services.common.grpc_server import run_main, serve_reloading
from services.matcher.index import TitleIndex
from services.matcher.server import MatcherServicer
from services.matcher.settings import MatcherSettings

log = logging.getLogger("matcher")


def build_index(location: Path) -> tuple[str, tuple[TitleIndex, str]]:
    """Reads and checks the catalog of the local version `location` names (artifact.load_catalog) and indexes it."""
    started = time.perf_counter()
    manifest, movies = load_catalog(location)
    loaded = time.perf_counter()
    index = TitleIndex(movies)
    log.info("title index built", extra={
        "catalog_version": manifest["version"], "movies": len(index), "keys": len(index.entry_keys),
        "load_seconds": round(loaded - started, 3), "index_seconds": round(time.perf_counter() - loaded, 3)})
    return manifest["version"], (index, manifest["version"])


def _swap(servicer: MatcherServicer, new: tuple[TitleIndex, str]) -> None:
    # Both change in one step of the event loop; handlers read them without awaiting in between,
    # so every reply pairs an index with its own version.
    servicer.index, servicer.catalog_version = new


async def serve(settings: MatcherSettings) -> None:
    """Loads and indexes the artifact's catalog, then serves until SIGTERM or SIGINT, swapping in new versions."""
    version, (index, _) = build_index(local_artifact_path(settings.artifact_dir))
    servicer = MatcherServicer(index, version)
    await serve_reloading("movierec.v1.Matcher", settings,
                          lambda server: matcher_pb2_grpc.add_MatcherServicer_to_server(servicer, server),
                          version, build_index, lambda new: _swap(servicer, new))


if __name__ == "__main__":
    sys.exit(run_main(MatcherSettings, serve))
