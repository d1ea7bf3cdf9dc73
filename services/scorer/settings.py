"""Scorer settings from SCORER_* environment variables, validated once at start-up."""
from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.common.settings import Address, GrpcServiceSettings


class ScorerSettings(GrpcServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCORER_", extra="ignore", frozen=True)

    address: Address = "127.0.0.1:50052"
