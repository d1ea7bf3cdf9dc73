"""GatewaySettings: defaults, GATEWAY_* environment, and fail-fast messages naming the bad variable."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from scripts.stack import ROOT
from services.gateway.settings import GatewaySettings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("GATEWAY_"):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    s = load_settings()
    assert (s.host, s.port, s.workers) == ("127.0.0.1", 8000, 1)
    assert (s.matcher_address, s.scorer_address) == ("127.0.0.1:50051", "127.0.0.1:50052")
    assert s.redis_url == "redis://127.0.0.1:6379/0"
    assert (s.cache_ttl_seconds, s.rpc_timeout_seconds, s.redis_timeout_seconds) == (3600, 2.0, 0.2)
    assert s.log_level == "INFO"


def test_environment_with_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_PORT", "9123")
    monkeypatch.setenv("GATEWAY_SCORER_ADDRESS", "scorer:6000")
    monkeypatch.setenv("GATEWAY_RPC_TIMEOUT_SECONDS", "0.5")
    monkeypatch.setenv("GATEWAY_LOG_LEVEL", "debug")
    monkeypatch.setenv("PORT", "1")  # unprefixed variables are not ours
    s = load_settings()
    assert (s.port, s.scorer_address, s.rpc_timeout_seconds, s.log_level) == (9123, "scorer:6000", 0.5, "DEBUG")


@pytest.mark.parametrize(("field", "value"), [
    ("port", "70000"),
    ("port", "http"),
    ("matcher_address", "localhost"),
    ("matcher_address", "localhost:0"),
    ("scorer_address", "scorer:99999"),
    ("redis_url", "http://127.0.0.1:6379"),
    ("cache_ttl_seconds", "0"),
    ("rpc_timeout_seconds", "0"),
    ("rpc_timeout_seconds", "nan"),
    ("redis_timeout_seconds", "-1"),
    ("log_level", "chatty"),
    ("workers", "0"),
    ("trusted_proxies", "alb.internal"),
    ("trusted_proxies", "10.0.0.0/33"),
])
def test_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, field: str, value: str) -> None:
    variable = f"GATEWAY_{field.upper()}"
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert variable in str(raised.value)
    assert value.lower() in str(raised.value).lower()


def test_settings_are_immutable() -> None:
    s = GatewaySettings()
    with pytest.raises(ValidationError, match="frozen"):
        s.port = 1  # type: ignore[misc]


@pytest.mark.integration
def test_entry_point_fails_fast_on_bad_settings() -> None:
    env = {**os.environ, "GATEWAY_PORT": "-5"}
    done = subprocess.run([sys.executable, "-m", "services.gateway"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    assert "GATEWAY_PORT" in done.stderr


def test_trusted_proxies_are_addresses_or_networks() -> None:
    assert load_settings().trusted_proxy_list == []  # default: X-Forwarded-For is trusted from no one
    s = load_settings(trusted_proxies=" 10.0.0.0/8, ::1,192.0.2.7 ")
    assert s.trusted_proxy_list == ["10.0.0.0/8", "::1", "192.0.2.7"]

