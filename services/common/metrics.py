"""Prometheus metrics shared by the services: HTTP and gRPC request counts and latencies, cache, model version."""
from __future__ import annotations

import os

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# Seconds; the gateway's answers take ~1-50 ms, a deadline is 2 s.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST
# Set (by the gateway's entry point) when several worker processes answer one port: each worker then
# writes its values to files there and any worker's /metrics reports the sum over all of them.
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


class ServiceMetrics:
    """One service's metrics in a registry of its own (so apps built in one test process do not clash).

    Cache hit ratio = movierec_cache_lookups_total{result="hit"} / sum(movierec_cache_lookups_total).
    """

    def __init__(self, service: str, registry: CollectorRegistry | None = None) -> None:
        self.service = service
        self.registry = registry or CollectorRegistry()
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_ENV))
        r = self.registry
        self.http_requests = Counter("movierec_http_requests_total", "HTTP requests answered",
                                     ["route", "method", "status"], registry=r)
        self.http_latency = Histogram("movierec_http_request_seconds", "HTTP request latency",
                                      ["route", "method"], buckets=LATENCY_BUCKETS, registry=r)
        self.http_in_flight = Gauge("movierec_http_requests_in_flight", "HTTP API requests being answered",
                                    registry=r, multiprocess_mode="livesum")
        self.rejected = Counter("movierec_http_rejected_total", "requests refused before any work",
                                ["reason"], registry=r)  # reason: overloaded, rate_limited, too_large
        self.cache_lookups = Counter("movierec_cache_lookups_total", "response cache lookups",
                                     ["result"], registry=r)  # result: hit, miss, unavailable
        self.grpc_requests = Counter("movierec_grpc_requests_total", "gRPC calls answered",
                                     ["method", "code"], registry=r)
        self.grpc_latency = Histogram("movierec_grpc_request_seconds", "gRPC call latency", ["method"],
                                      buckets=LATENCY_BUCKETS, registry=r)
        self.model_info = Gauge("movierec_model_info", "the model version being served (value 1)",
                                ["service", "version"], registry=r, multiprocess_mode="max")
        self._version: str | None = None

    def set_model_version(self, version: str | None) -> None:
        """Labels movierec_model_info with the current version only (a swapped-out one is removed)."""
        if version == self._version:
            return
        if self._version is not None:  # across worker processes the files keep a label: zero it instead
            if self.multiprocess:
                self.model_info.labels(self.service, self._version).set(0)
            else:
                self.model_info.remove(self.service, self._version)
        if version:
            self.model_info.labels(self.service, version).set(1)
        self._version = version or None

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes (summed over the worker processes when there are several)."""
        if self.multiprocess:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)

    def serve_http(self, port: int, host: str = "127.0.0.1") -> None:
        """Serves GET /metrics on host:port from a daemon thread (for the gRPC services)."""
        start_http_server(port, addr=host, registry=self.registry)
