"""Profiles settings from PROFILES_* environment variables, validated once at start-up."""
from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from movierec.store.engine import normalize_url
from services.common.settings import Address, GrpcServiceSettings

DEFAULT_DATABASE_URL = "sqlite:///data/profiles.sqlite3"


class ProfilesSettings(GrpcServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROFILES_", extra="ignore", frozen=True)

    address: Address = "127.0.0.1:50053"
    # A relative SQLite path is relative to the working directory (the repository root under scripts/run.sh).
    database_url: str = Field(DEFAULT_DATABASE_URL, description="sqlite:///path or postgresql://user:pw@host:port/db")
    session_ttl_seconds: float = Field(14 * 86400, gt=0, le=365 * 86400, allow_inf_nan=False,
                                       description="how long a session lasts after sign-in")
    db_pool_size: int = Field(8, ge=1, le=64, description="database connections, and the worker threads using them")
    migrate: bool = Field(True, description="bring the schema to the newest migration at start-up")

    @field_validator("database_url")
    @classmethod
    def _supported(cls, value: str) -> str:
        normalize_url(value)  # StoreUrlError (a ValueError) names what is supported
        return value
