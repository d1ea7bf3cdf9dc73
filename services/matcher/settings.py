"""Matcher settings from MATCHER_* environment variables, validated once at start-up."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class MatcherSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHER_", extra="ignore")

    address: str = Field("127.0.0.1:50051", description="host:port the gRPC server binds (port 0 = any free port)")
    artifact_dir: Path = Field(Path("artifacts"), description="artifact root (with LATEST) or one version dir")
    log_level: str = Field("INFO", description="one of " + ", ".join(LOG_LEVELS))
    grace_seconds: float = Field(5.0, ge=0, le=120, description="time in-flight calls get after SIGTERM")

    @field_validator("address")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        host, sep, port = value.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError(f"must be host:port with a port 0..65535, e.g. 127.0.0.1:50051; got {value!r}")
        return value.strip()

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}; got {value!r}")
        return value.strip().upper()
