"""Typed settings shared by the services: address and log-level checks, one clear error on bad values."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings

from services.common.tls import ServerTls, server_tls

# host:port where host is a name, an IPv4 address or a bracketed IPv6 address.
_ADDRESS = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")


def _address_check(lowest_port: int):
    def check(value: str) -> str:
        value = value.strip()
        match = _ADDRESS.match(value)
        if not match or not lowest_port <= int(match.group(1)) <= 65535:
            raise ValueError(f"must be host:port with a port {lowest_port}..65535, e.g. 127.0.0.1:50051; "
                             f"got {value!r}")
        return value
    return check


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def _empty_as_none(value: object) -> object:
    # compose files pass unset variables through as "", which means "not set" here, not the path ".".
    return None if isinstance(value, str) and not value.strip() else value


Address = Annotated[str, AfterValidator(_address_check(0))]  # to bind; port 0 = any free port
PeerAddress = Annotated[str, AfterValidator(_address_check(1))]  # to connect to
LogLevel = Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], BeforeValidator(_upper)]
OptionalPath = Annotated[Path | None, BeforeValidator(_empty_as_none)]


class GrpcServiceSettings(BaseSettings):
    """What every gRPC service process reads; subclasses set the env prefix and default address."""

    address: Address = Field("127.0.0.1:0", description="host:port the gRPC server binds (port 0 = any free port)")
    artifact_dir: Path = Field(Path("artifacts"), description="artifact root (with LATEST) or one version dir")
    log_level: LogLevel = "INFO"
    grace_seconds: float = Field(5.0, ge=0, le=120, allow_inf_nan=False,
                                 description="time in-flight calls get after SIGTERM")
    reload_seconds: float = Field(1.0, ge=0, le=3600, allow_inf_nan=False,
                                  description="how often LATEST is checked for a new model version (hot reload); "
                                              "0 = never")
    # Server reflection lets grpcurl-style tools list and call the RPCs without the .proto files;
    # it exposes nothing the contract does not already publish, but can be turned off.
    reflection: bool = Field(True, description="serve grpc.reflection.v1alpha.ServerReflection")
    metrics_port: int = Field(0, ge=0, le=65535,
                              description="serve Prometheus GET /metrics on this port of the bind host; 0 = off")
    # TLS is optional (services/common/tls.py): unset = plaintext, for local runs behind loopback.
    tls_cert: OptionalPath = Field(None, description="PEM certificate chain; with tls_key the server speaks TLS only")
    tls_key: OptionalPath = Field(None, description="PEM private key of tls_cert (unencrypted)")
    tls_client_ca: OptionalPath = Field(None, description="PEM CA; clients must present a certificate it signed "
                                                          "(mutual TLS)")

    @model_validator(mode="after")
    def _tls_files_fit(self) -> "GrpcServiceSettings":
        self.server_tls()  # reads and checks the files now: a bad one stops start-up with its variable's name
        return self

    def server_tls(self) -> ServerTls | None:
        """The server's TLS credentials from the tls_* files, or None for plaintext."""
        prefix = str(self.model_config.get("env_prefix", "")).upper()
        return server_tls(self.tls_cert, self.tls_key, self.tls_client_ca,
                          names=(f"{prefix}TLS_CERT", f"{prefix}TLS_KEY", f"{prefix}TLS_CLIENT_CA"))


class SettingsError(ValueError):
    """Settings could not be built; the message names each bad environment variable."""


S = TypeVar("S", bound=BaseSettings)


def load_settings(cls: type[S], **overrides: Any) -> S:
    """Reads the environment (plus overrides) or raises SettingsError with one line per bad value."""
    try:
        return cls(**overrides)
    except ValidationError as exc:
        prefix = cls.model_config.get("env_prefix", "")
        # A check of several fields together (loc empty) names its variables in its own message.
        lines = [f"{prefix}{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']} (got {err.get('input')!r})"
                 if err["loc"] else err["msg"].removeprefix("Value error, ") for err in exc.errors()]
        raise SettingsError(f"invalid {prefix}* settings:\n  " + "\n  ".join(lines)) from None
