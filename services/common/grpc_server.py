"""The one shape of a gRPC service process: settings, health, graceful SIGTERM, exit codes."""
from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection as grpc_reflection

from movierec.artifact import ArtifactError
from services.common.call_interceptor import CallInterceptor
from services.common.gc_freeze import freeze_startup_heap
from services.common.logs import configure_logging
from services.common.metrics import ServiceMetrics
from services.common.reload import ArtifactWatcher
from services.common.request_id import install_log_filter
from services.common.settings import ArtifactServiceSettings, GrpcServiceSettings, SettingsError, load_settings
from services.common.tls import ServerTls

log = logging.getLogger(__name__)
S = TypeVar("S", bound=GrpcServiceSettings)
T = TypeVar("T")


class GrpcService:
    """An async gRPC server with the standard health service, optional reflection and request ids.

    Health starts NOT_SERVING and turns SERVING only after `start()` (the servicer was built
    from a verified artifact by then). `stop()` flips health to NOT_SERVING first so load
    balancers stop routing, then lets in-flight calls finish within `grace` seconds.
    With `reflection` the standard reflection service lists the service, health and reflection
    itself (what grpcurl-style tools need to call without the .proto files). Every call runs
    under its `x-request-id`, is counted and timed (GET /metrics on `metrics_port` when not 0), and
    corrupt request bytes get INVALID_ARGUMENT (services/common/call_interceptor.py). With `tls` the port serves TLS
    (mutual TLS when it has a client CA; services/common/tls.py), else plaintext.
    """

    def __init__(self, name: str, address: str, register: Callable[[grpc.aio.Server], None],
                 grace: float = 5.0, reflection: bool = True, metrics_port: int = 0,
                 tls: ServerTls | None = None) -> None:
        self.name = name  # full service name, e.g. "movierec.v1.Matcher"
        self.grace = grace
        # One port, one mode: with `tls` the port speaks TLS only (plaintext clients get UNAVAILABLE).
        self.tls = "off" if tls is None else "mutual" if tls.client_ca is not None else "on"
        self.metrics = ServiceMetrics(name.rsplit(".", 1)[-1].lower())
        self.metrics_port = metrics_port
        self.interceptor = CallInterceptor(self.metrics)
        self.server = grpc.aio.server(options=[("grpc.so_reuseport", 0)], interceptors=[self.interceptor])
        register(self.server)
        self.health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        if reflection:
            grpc_reflection.enable_server_reflection(
                (name, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, grpc_reflection.SERVICE_NAME),
                self.server)
        try:
            self.port = (self.server.add_insecure_port(address) if tls is None
                         else self.server.add_secure_port(address, tls.credentials()))
        except RuntimeError as e:  # grpc reports a busy or invalid address this way
            raise OSError(f"{name}: cannot bind {address}: {e}") from None
        host = address.rsplit(":", 1)[0]
        self.address = f"{host}:{self.port}"  # the real port when asked for port 0
        self._stopping = False

    async def _set(self, status: int) -> None:
        for service in ("", self.name):
            await self.health.set(service, status)

    async def start(self, ready: Callable[[], Awaitable[None]] | None = None) -> None:
        """Serves the port; health turns SERVING once `ready()` (when given, e.g. a database check) returns."""
        # The library's servicer starts out SERVING; say NOT_SERVING until the port is live.
        await self._set(health_pb2.HealthCheckResponse.NOT_SERVING)
        await self.server.start()
        if self.metrics_port:  # Prometheus text format on the service's host (internal by default)
            self.metrics.serve_http(self.metrics_port, host=self.address.rsplit(":", 1)[0].strip("[]"))
        if ready is not None:
            await ready()
        freeze_startup_heap()  # the servicer and its model are built by now
        await self._set(health_pb2.HealthCheckResponse.SERVING)
        log.info("serving", extra={"service": self.name, "address": self.address, "port": self.port, "tls": self.tls})

    async def set_serving(self, serving: bool) -> None:
        """After start: health follows a dependency (e.g. a database lost, then back); ignored once stopping."""
        if not self._stopping:
            await self._set(health_pb2.HealthCheckResponse.SERVING if serving
                            else health_pb2.HealthCheckResponse.NOT_SERVING)

    async def stop(self) -> None:
        self._stopping = True
        await self._set(health_pb2.HealthCheckResponse.NOT_SERVING)
        await self.server.stop(self.grace)
        log.info("stopped", extra={"service": self.name})

    async def run_until_signal(self, ready: Callable[[], Awaitable[None]] | None = None) -> None:
        """Starts (see `start`), serves until SIGTERM or SIGINT, then stops gracefully; a signal while
        `ready()` is still waiting stops at once."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        starting = asyncio.create_task(self.start(ready))
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if starting.done():
                starting.result()  # a failed start raises here
                await stopping
        finally:
            for task in (starting, stopping):
                task.cancel()
            await self.stop()


def run_main(settings_cls: type[S], serve: Callable[[S], Coroutine[Any, Any, None]], *,
             loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = None) -> int:
    """The body of every gRPC service's `__main__`: settings → logging → serve (on `loop_factory`'s event
    loop, default asyncio's) → exit code.

    Bad settings, an unusable artifact or an address that cannot be bound log one clear JSON
    error line and exit 2; a graceful stop exits 0.
    """
    try:
        settings = load_settings(settings_cls)
    except SettingsError as e:
        configure_logging("INFO")
        log.error("invalid settings", extra={"error": str(e)})
        return 2
    configure_logging(settings.log_level)
    install_log_filter()  # every log line of a call carries its request_id
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(serve(settings))
    except ArtifactError as e:
        log.error("cannot load the model artifact",
                  extra={"error": str(e), "artifact_dir": str(getattr(settings, "artifact_dir", ""))})
        return 2
    except (OSError, ValueError) as e:
        log.error("cannot start", extra={"error": str(e), "address": settings.address})
        return 2
    return 0


async def serve_reloading(name: str, settings: ArtifactServiceSettings, register: Callable[[grpc.aio.Server], None],
                          version: str, load: Callable[[Path], tuple[str, T]],
                          swap: Callable[[T], Awaitable[None] | None]) -> None:
    """Serves until SIGTERM or SIGINT while an ArtifactWatcher swaps in each new artifact version.

    `load(path) -> (version, thing)` builds what the servicer needs from a version directory (in a
    thread, off the event loop); `swap(thing)` installs it in one assignment.
    """
    service = GrpcService(name, settings.address, register, settings.grace_seconds,
                          reflection=settings.reflection, metrics_port=settings.metrics_port,
                          tls=settings.server_tls())
    watcher = ArtifactWatcher(settings.artifact_dir, version, load, swap, settings.reload_seconds)
    watching = asyncio.create_task(watcher.run())
    try:
        await service.run_until_signal()
    finally:
        watching.cancel()

