"""Typed gateway settings from GATEWAY_* environment variables, validated at start-up."""
from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# host:port where host is a name, an IPv4 address or a bracketed IPv6 address.
_ADDRESS = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class GatewaySettings(BaseSettings):
    """Everything the gateway process needs; a bad value stops start-up with a message naming it."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", frozen=True)

    host: str = Field("127.0.0.1", min_length=1)
    port: int = Field(8000, ge=0, le=65535)  # 0 lets the OS pick (tests)
    matcher_address: str = "127.0.0.1:50051"
    scorer_address: str = "127.0.0.1:50052"
    redis_url: str = "redis://127.0.0.1:6379/0"
    cache_ttl_seconds: int = Field(3600, ge=1, le=30 * 24 * 3600)
    rpc_timeout_seconds: float = Field(2.0, gt=0, le=60, allow_inf_nan=False)
    redis_timeout_seconds: float = Field(0.2, gt=0, le=10, allow_inf_nan=False)
    # After a Redis failure the cache is skipped this long before Redis is tried again.
    redis_retry_seconds: float = Field(3.0, gt=0, le=300, allow_inf_nan=False)
    # How often GetModelInfo is asked again in the background, so a new
    # model on the scorer is noticed even while every answer comes from the cache.
    model_refresh_seconds: float = Field(10.0, gt=0, le=3600, allow_inf_nan=False)
    log_level: LogLevel = "INFO"
    workers: int = Field(1, ge=1, le=64)

    @field_validator("matcher_address", "scorer_address")
    @classmethod
    def _host_port(cls, value: str) -> str:
        match = _ADDRESS.match(value.strip())
        if not match or not 1 <= int(match.group(1)) <= 65535:
            raise ValueError(f"expected host:port with a port in 1..65535, got {value!r}")
        return value.strip()

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str) -> str:
        if not value.startswith(_REDIS_SCHEMES):
            raise ValueError(f"expected a URL starting with one of {', '.join(_REDIS_SCHEMES)}, got {value!r}")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value


class SettingsError(ValueError):
    """Settings could not be built; the message names each bad GATEWAY_* variable."""


def load_settings(**overrides: object) -> GatewaySettings:
    """Reads the environment (plus overrides) or raises SettingsError with one line per bad value."""
    try:
        return GatewaySettings(**overrides)
    except ValidationError as exc:
        lines = [
            f"GATEWAY_{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']} (got {err.get('input')!r})"
            for err in exc.errors()
        ]
        raise SettingsError("invalid gateway settings:\n  " + "\n  ".join(lines)) from None
