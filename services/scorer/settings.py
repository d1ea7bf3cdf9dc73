"""Scorer settings from SCORER_* environment variables, validated once at start-up."""
from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import Address, GrpcServiceSettings


class ScorerSettings(GrpcServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCORER_", extra="ignore", frozen=True)

    address: Address = "127.0.0.1:50052"
    reload_seconds: float = Field(1.0, ge=0, le=3600, allow_inf_nan=False,
                                  description="how often LATEST is checked for a new model version; 0 = never")
