"""Typed gateway settings from GATEWAY_* environment variables, validated at start-up."""
from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common import settings as common
from services.common.settings import LogLevel, OptionalPath, PeerAddress, SettingsError
from services.common.tls import ClientTls, client_tls

_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
__all__ = ["GatewaySettings", "SettingsError", "load_settings"]


class GatewaySettings(BaseSettings):
    """Everything the gateway process needs; a bad value stops start-up with a message naming it."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", frozen=True)

    host: str = Field("127.0.0.1", min_length=1)
    port: int = Field(8000, ge=0, le=65535)  # 0 lets the OS pick (tests)
    matcher_address: PeerAddress = "127.0.0.1:50051"
    scorer_address: PeerAddress = "127.0.0.1:50052"
    redis_url: str = "redis://127.0.0.1:6379/0"
    cache_ttl_seconds: int = Field(3600, ge=1, le=30 * 24 * 3600)
    rpc_timeout_seconds: float = Field(2.0, gt=0, le=60, allow_inf_nan=False)
    # One budget per HTTP request, set when it arrives: every backend call and retry of the request
    # gets min(rpc_timeout_seconds, what is left), so a request of several calls (version check,
    # matcher, scorer) against a frozen backend still answers (503) within about this long.
    request_deadline_seconds: float = Field(2.0, gt=0, le=120, allow_inf_nan=False)
    redis_timeout_seconds: float = Field(0.2, gt=0, le=10, allow_inf_nan=False)
    # After a Redis failure the cache is skipped this long before Redis is tried again.
    redis_retry_seconds: float = Field(3.0, gt=0, le=300, allow_inf_nan=False)
    # How often GetModelInfo is asked again in the background, so a new
    # model on the scorer is noticed even while every answer comes from the cache.
    model_refresh_seconds: float = Field(10.0, gt=0, le=3600, allow_inf_nan=False)
    log_level: LogLevel = "INFO"
    workers: int = Field(1, ge=1, le=64)
    # API requests answered at once; more get a quick 503, so a slow backend cannot pile up
    # connections, memory and tasks in the gateway (health, /metrics and the page are not counted).
    max_in_flight: int = Field(64, ge=1, le=10_000)
    # Slow and oversized requests (services/gateway/http_protocol.py, middleware.ReadBodyFirst): a client
    # must send its request line and headers within header_timeout_seconds of connecting (or of the
    # request's first byte), at most max_header_bytes of them in at most max_headers lines, and then
    # its body within body_timeout_seconds; an idle kept-alive connection is closed after keep_alive_seconds.
    header_timeout_seconds: float = Field(10.0, gt=0, le=300, allow_inf_nan=False)
    body_timeout_seconds: float = Field(10.0, gt=0, le=300, allow_inf_nan=False)
    keep_alive_seconds: int = Field(5, ge=1, le=3600)
    max_header_bytes: int = Field(16 * 1024, ge=1024, le=1024 * 1024)
    max_headers: int = Field(100, ge=10, le=10_000)
    # Requests per client address in any 60 s (Redis-backed, shared by all workers); 0 = no limit.
    rate_limit_per_minute: int = Field(0, ge=0, le=100_000)
    # Comma-separated addresses or CIDR networks of the proxies in front (a load balancer): only a
    # connection from one of them may name the client in X-Forwarded-For / -Proto. Empty = trust no one,
    # so a client cannot pick its own address (and its own rate-limit bucket) by sending the header.
    trusted_proxies: str = ""
    # Comma-separated origins allowed to call the API from a browser; empty = same-origin only.
    cors_origins: str = ""
    metrics_enabled: bool = True  # GET /metrics (Prometheus text format)
    # TLS to the matcher and scorer (services/common/tls.py); no CA = plaintext.
    tls_ca: OptionalPath = None  # PEM CA that signed the backends' certificates: connect with TLS
    tls_cert: OptionalPath = None  # PEM client certificate + key, for backends that require mutual TLS
    tls_key: OptionalPath = None
    tls_server_name: str = ""  # name to check in the backends' certificates instead of the address's host

    @model_validator(mode="after")
    def _tls_files_fit(self) -> "GatewaySettings":
        self.client_tls()  # reads and checks the files now, so a bad one stops start-up naming its variable
        return self

    def client_tls(self) -> ClientTls | None:
        """TLS credentials for the backends' channels, or None for plaintext."""
        return client_tls(self.tls_ca, self.tls_cert, self.tls_key, self.tls_server_name.strip() or None,
                          names=("GATEWAY_TLS_CA", "GATEWAY_TLS_CERT", "GATEWAY_TLS_KEY", "GATEWAY_TLS_SERVER_NAME"))

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies(cls, value: str) -> str:
        for proxy in (p.strip() for p in value.split(",") if p.strip()):
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(f"expected IP addresses or CIDR networks like 10.0.0.0/16 (comma-separated), "
                                 f"got {proxy!r}") from None
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        for origin in (o.strip() for o in value.split(",") if o.strip()):
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise ValueError(f"expected origins like https://example.org (comma-separated), got {origin!r}")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if not value.startswith(_REDIS_SCHEMES):
            raise ValueError(f"expected a URL starting with one of {', '.join(_REDIS_SCHEMES)}, got {value!r}")
        return value


def load_settings(**overrides: object) -> GatewaySettings:
    """Reads GATEWAY_* (plus overrides) or raises SettingsError with one line per bad value."""
    return common.load_settings(GatewaySettings, **overrides)
