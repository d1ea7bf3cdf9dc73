"""Entry point: `python -m services.profiles` — reach and migrate the database, then serve until SIGTERM."""
from __future__ import annotations

import asyncio
import logging
import sys

import uvloop
from sqlalchemy.exc import OperationalError

from movierec.store import migrate
from movierec.store.engine import is_postgresql, is_sqlite, make_engine
from movierec.v1 import profiles_pb2_grpc
from services.common.grpc_server import GrpcService, run_main
from services.profiles.db_health import DatabaseProbe
from services.profiles.loop_calls import LoopCalls
from services.profiles.server import ProfilesServicer
from services.profiles.settings import ProfilesSettings
from services.profiles.sqlite_reads import SqliteProfileReads
from services.profiles.store import ProfileStore

log = logging.getLogger("profiles")
RETRY_SECONDS = 1.0


async def serve(settings: ProfilesSettings) -> None:
    """Serves at once with health NOT_SERVING; SERVING once the database answers and is migrated, then
    NOT_SERVING whenever a probe cannot reach it (the pool reconnects by itself once it is back)."""
    url = settings.database_url_with_password()
    timeout = round(settings.health_probe_timeout_seconds)
    connect_timeout = max(timeout, 5)  # the serving connections wait a little longer than the health probe's
    # On PostgreSQL the rating writes and profile reads on the event loop (loop_calls.py) keep as many
    # connections again: with half the pool each, writes waited for one another's commits (536 instead of
    # 793 writes/s, bench/profiles).
    loop_size = settings.db_pool_size if is_postgresql(url) else 0
    engine = make_engine(url, pool_size=settings.db_pool_size, create_dir=True, connect_timeout=connect_timeout)
    probe_engine = make_engine(url, pool_size=1, connect_timeout=timeout)
    servicer = ProfilesServicer(None, threads=settings.db_pool_size)

    def prepare() -> str:
        if settings.migrate:
            migrate.upgrade(engine)
        current, head = migrate.current_revision(engine), migrate.head_revision()
        if current != head:
            raise ValueError(f"the database is at schema revision {current}, this code needs {head}; "
                               "start once with PROFILES_MIGRATE=true")
        return current

    async def ready() -> None:
        while True:
            try:
                revision = await asyncio.to_thread(prepare)
                break
            except OperationalError as e:  # not reachable yet (a database container still starting)
                log.warning("database not reachable; retrying", extra={"error": str(e.orig)[:300]})
                await asyncio.sleep(RETRY_SECONDS)
        if loop_size:
            servicer.on_loop = LoopCalls(engine, loop_size, connect_timeout=connect_timeout)
        elif is_sqlite(engine):  # its GetProfile on the loop too (sqlite_reads.py)
            servicer.sqlite_reads = SqliteProfileReads(engine)
        servicer.store = ProfileStore(engine, settings.session_ttl_seconds)
        log.info("store ready", extra={"database": engine.url.render_as_string(hide_password=True),
                                       "schema_revision": revision})
        probing.append(asyncio.create_task(probe.run()))

    probing: list[asyncio.Task[None]] = []
    service = GrpcService("movierec.v1.Profiles", settings.address,
                          lambda server: profiles_pb2_grpc.add_ProfilesServicer_to_server(servicer, server),
                          settings.grace_seconds, reflection=settings.reflection,
                          metrics_port=settings.metrics_port, tls=settings.server_tls())
    probe = DatabaseProbe(probe_engine, settings.health_probe_seconds, settings.health_probe_timeout_seconds,
                          service.set_serving)
    try:
        await service.run_until_signal(ready)
    finally:
        for task in probing:
            task.cancel()
        if servicer.on_loop is not None:
            await servicer.on_loop.close()
        if servicer.sqlite_reads is not None:
            servicer.sqlite_reads.close()
        engine.dispose()
        probe_engine.dispose()


if __name__ == "__main__":
    # uvloop: a no-op grpc.aio call cost its server 0.21 ms of CPU instead of 0.26 ms on asyncio's loop, and the
    # calls that hop to a database thread and back (call_soon_threadsafe) do it for less.
    sys.exit(run_main(ProfilesSettings, serve, loop_factory=uvloop.new_event_loop))
