"""Scorer settings from SCORER_* environment variables, validated once at start-up."""
from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import Address, ArtifactServiceSettings


class ScorerSettings(ArtifactServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SCORER_", extra="ignore", frozen=True)

    address: Address = "127.0.0.1:50052"
    # How long a GetModelInfo reply promises the model version will not change (services/scorer/lease.py);
    # a hot reload waits at most this long before swapping. 0 = no leases (gateways check every time).
    version_lease_seconds: float = Field(0.5, ge=0, le=10)
