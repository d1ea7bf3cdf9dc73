"""Entry point: `python -m services.gateway` reads GATEWAY_* settings and serves HTTP until SIGTERM."""
from __future__ import annotations

import os
import signal
import sys
import tempfile
from typing import Any

import uvicorn

from services.common.logs import configure_logging
from services.common.metrics import MULTIPROCESS_ENV
from services.gateway.app import create_app
from services.gateway.http_protocol import HeadLimits, bounded_protocol
from services.gateway.settings import SettingsError, load_settings


def main() -> None:
    try:
        settings = load_settings()
    except SettingsError as exc:
        sys.exit(str(exc))
    configure_logging(settings.log_level)
    # uvicorn restores the handlers it found once its graceful shutdown is done, then re-raises the
    # signal. With these no-op handlers there, a completed shutdown exits 0 (like the gRPC services)
    # rather than dying by SIGTERM.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    # uvicorn stops accepting on SIGTERM, lets in-flight requests finish, then runs the lifespan
    # shutdown (channels and Redis closed). log_config=None keeps our JSON logging.
    # No per-request access log: a line per request is a large share of a cached answer's CPU;
    # GET /metrics counts requests by route and status instead.
    common: dict[str, Any] = {
        "host": settings.host, "port": settings.port, "log_config": None, "access_log": False,
        "timeout_graceful_shutdown": 10, "server_header": False,
        "http": bounded_protocol(HeadLimits(settings.header_timeout_seconds, settings.max_header_bytes,
                                            settings.max_headers)),
        "timeout_keep_alive": settings.keep_alive_seconds,
        # X-Forwarded-For is read only from the configured proxies (uvicorn's default trusts 127.0.0.1).
        "proxy_headers": bool(settings.trusted_proxy_list),
        "forwarded_allow_ips": settings.trusted_proxy_list or None,
    }
    if settings.workers == 1:
        uvicorn.run(create_app(settings), workers=1, **common)
    else:  # worker processes each build their own app from the same environment
        # One /metrics for all workers: each writes its values under this directory (see metrics.py).
        os.environ.setdefault(MULTIPROCESS_ENV, tempfile.mkdtemp(prefix="movierec-gateway-metrics-"))
        uvicorn.run("services.gateway.app:app_from_env", factory=True, workers=settings.workers, **common)


if __name__ == "__main__":
    main()
