"""The gateway's FastAPI app: lifespan-owned clients and cache, API routes, and the web page at /."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles

from services.common.gc_freeze import freeze_startup_heap
from services.common.logs import configure_logging
from services.common.metrics import ServiceMetrics
from services.gateway.cache import ResponseCache
from services.gateway.dashboard import router as dashboard_router
from services.gateway.errors import document_errors, install_error_handlers
from services.gateway.middleware import (
    API_PREFIXES,
    ConcurrencyLimit,
    DeclaredBodyLimit,
    HeadAsGet,
    HttpMetrics,
    MethodNotAllowed,
    RateLimit,
    ReadBodyFirst,
    SecurityHeaders,
)
from services.gateway.model_version import ModelVersion
from services.gateway.request_id import RequestIdMiddleware
from services.gateway.routes import router
from services.gateway.settings import GatewaySettings, load_settings
from services.gateway.state import Backends, GatewayState

log = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).parent / "static"
MAX_BODY_BYTES = 64 * 1024  # a recommend body is at most ~20 titles x 200 characters; larger is a 413


def create_app(settings: GatewaySettings) -> FastAPI:
    """A gateway app; its backends and cache are opened on lifespan start-up and closed on shutdown."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        backends = Backends.from_settings(settings)
        cache = ResponseCache(settings.redis_url, settings.cache_ttl_seconds, settings.redis_timeout_seconds,
                              settings.redis_retry_seconds, lookups=metrics.cache_lookups)
        model = ModelVersion(backends.scorer, settings.model_refresh_seconds)
        await model.refresh()  # a scorer that is down now is retried by the background refresh
        refresher = asyncio.create_task(model.run(), name="model-version-refresh")
        log.info("gateway started", extra={
            "matcher": settings.matcher_address, "scorer": settings.scorer_address,
            "model_version": model.version or None})
        freeze_startup_heap()
        try:
            app.state.gateway = GatewayState(settings, backends, cache, model)
            yield
        finally:
            del app.state.gateway
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher
            await cache.close()
            await backends.close()
            log.info("gateway stopped")

    metrics = ServiceMetrics("gateway")
    # /docs and /redoc load scripts from a CDN, which the page's CSP forbids; /openapi.json stays.
    # FastAPI's OpenTelemetry hooks are off: metrics are Prometheus (/metrics), and the per-request
    # provider check is CPU on every cached answer for nothing.
    app = FastAPI(title="movierec gateway", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  telemetry={"tracing": False, "metrics": False, "logs": False})
    app.state.metrics = metrics
    install_error_handlers(app)
    app.include_router(router, max_body_size=MAX_BODY_BYTES)
    app.include_router(dashboard_router)
    app.mount("/", StaticFiles(directory=STATIC_DIR, html=True), name="page")  # after the API routes
    # Added first = innermost. A request passes, outermost first: request id, headers, metrics, CORS, body size,
    # rate limit, whole body read (so a slow upload holds no in-flight slot), concurrency limit, method check,
    # HEAD as GET, so every refusal is counted and carries the security headers.
    document_errors(app, API_PREFIXES)
    app.add_middleware(HeadAsGet)
    app.add_middleware(MethodNotAllowed)
    app.add_middleware(ConcurrencyLimit, limit=settings.max_in_flight, metrics=metrics)
    app.add_middleware(ReadBodyFirst, timeout=settings.body_timeout_seconds, max_bytes=MAX_BODY_BYTES)
    if settings.rate_limit_per_minute:
        app.add_middleware(RateLimit, per_minute=settings.rate_limit_per_minute, metrics=metrics)
    app.add_middleware(DeclaredBodyLimit, max_bytes=MAX_BODY_BYTES)
    if settings.cors_origin_list:  # without it browsers allow same-origin calls only
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origin_list,
                           allow_methods=["GET", "POST"], allow_headers=["content-type", "x-request-id"])
    if settings.metrics_enabled:
        app.add_middleware(HttpMetrics, metrics=metrics)
    app.add_middleware(SecurityHeaders)
    # Outermost: the request id is set before anything else runs, so every log line, refusal and
    # backend call of this request carries it (the typed clients send it as x-request-id).
    app.add_middleware(RequestIdMiddleware)
    return app


def app_from_env() -> FastAPI:
    """Factory for uvicorn's worker processes (workers > 1): each configures its own logging."""
    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings)
