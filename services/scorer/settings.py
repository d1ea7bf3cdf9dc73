"""Scorer settings from SCORER_* environment variables."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ScorerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCORER_", extra="ignore")

    address: str = Field("127.0.0.1:50052", description="host:port the gRPC server binds")
    artifact_dir: Path = Field(Path("artifacts"), description="artifact root (with LATEST) or one version dir")
    log_level: str = Field("INFO", pattern=r"(?i)^(debug|info|warning|error|critical)$")
    grace_seconds: float = Field(5.0, ge=0, le=120, description="time in-flight calls get on SIGTERM")
