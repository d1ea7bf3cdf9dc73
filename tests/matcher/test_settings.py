"""MatcherSettings: defaults, MATCHER_* overrides, and a clear refusal of bad values."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from services.matcher.settings import MatcherSettings

ROOT = Path(__file__).resolve().parents[2]


def test_defaults(monkeypatch):
    for name in ("ADDRESS", "ARTIFACT_DIR", "LOG_LEVEL", "GRACE_SECONDS"):
        monkeypatch.delenv(f"MATCHER_{name}", raising=False)
    s = MatcherSettings()
    assert (s.address, s.artifact_dir, s.log_level, s.grace_seconds) == (
        "127.0.0.1:50051", Path("artifacts"), "INFO", 5.0)


def test_environment_overrides(monkeypatch, tmp_path):
    monkeypatch.setenv("MATCHER_ADDRESS", "0.0.0.0:6000")
    monkeypatch.setenv("MATCHER_ARTIFACT_DIR", str(tmp_path))
    monkeypatch.setenv("MATCHER_LOG_LEVEL", "debug")
    monkeypatch.setenv("MATCHER_GRACE_SECONDS", "1.5")
    s = MatcherSettings()
    assert (s.address, s.artifact_dir, s.log_level, s.grace_seconds) == ("0.0.0.0:6000", tmp_path, "DEBUG", 1.5)


@pytest.mark.parametrize(("field", "value", "fragment"), [
    ("address", "localhost", "host:port"),
    ("address", "127.0.0.1:99999", "host:port"),
    ("address", ":50051", "host:port"),
    ("log_level", "loud", "'DEBUG', 'INFO'"),
    ("grace_seconds", -1, "greater than or equal"),
])
def test_bad_values_are_refused_with_a_reason(field, value, fragment):
    with pytest.raises(ValidationError, match=fragment):
        MatcherSettings(**{field: value})


@pytest.mark.integration
def test_the_process_exits_2_with_a_clear_error_when_there_is_no_artifact(tmp_path):
    env = {"MATCHER_ARTIFACT_DIR": str(tmp_path / "missing"), "MATCHER_ADDRESS": "127.0.0.1:0", "PATH": ""}
    done = subprocess.run([sys.executable, "-m", "services.matcher"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "cannot load the model artifact" in done.stdout and "no artifact at" in done.stdout
