"""Matcher settings from MATCHER_* environment variables, validated once at start-up."""
from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from services.common.settings import Address, ArtifactServiceSettings


class MatcherSettings(ArtifactServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MATCHER_", extra="ignore", frozen=True)

    address: Address = "127.0.0.1:50051"
