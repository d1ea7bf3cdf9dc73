"""Profiles settings from PROFILES_* environment variables, validated once at start-up."""
from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from movierec.store.engine import normalize_url, with_password
from services.common.settings import Address, GrpcServiceSettings

DEFAULT_DATABASE_URL = "sqlite:///data/profiles.sqlite3"


class ProfilesSettings(GrpcServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PROFILES_", extra="ignore", frozen=True)

    address: Address = "127.0.0.1:50053"
    # A relative SQLite path is relative to the working directory (the repository root under scripts/run.sh).
    database_url: str = Field(DEFAULT_DATABASE_URL, description="sqlite:///path or postgresql://user:pw@host:port/db")
    # The database password apart from the URL (ECS puts RDS's, from Secrets Manager, here); unset = the URL's own.
    database_password: SecretStr | None = Field(None, description="password put into database_url")
    session_ttl_seconds: float = Field(14 * 86400, gt=0, le=365 * 86400, allow_inf_nan=False,
                                       description="how long a session lasts after sign-in")
    db_pool_size: int = Field(8, ge=1, le=64, description="database connections of the worker threads (on "
                              "PostgreSQL as many again for the rating writes on the event loop)")
    migrate: bool = Field(True, description="bring the schema to the newest migration at start-up")
    # Health follows the database after start: a lost store is NOT_SERVING until a probe reaches it again.
    health_probe_seconds: float = Field(2.0, gt=0, le=300, allow_inf_nan=False,
                                        description="interval of the database probe behind gRPC health")
    health_probe_timeout_seconds: float = Field(2.0, gt=0, le=60, allow_inf_nan=False,
                                                description="a probe slower than this counts as a failure")

    @field_validator("database_url")
    @classmethod
    def _supported(cls, value: str) -> str:
        normalize_url(value)  # StoreUrlError (a ValueError) names what is supported
        return value

    def database_url_with_password(self) -> str:
        password = self.database_password.get_secret_value() if self.database_password else None
        return with_password(self.database_url, password)
