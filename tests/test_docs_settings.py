"""What the READMEs say about settings is what the settings classes do: every documented variable exists,
every documented default is the real default, and every setting is documented somewhere."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from scripts.stack import ROOT
from services.gateway.settings import GatewaySettings
from services.matcher.settings import MatcherSettings
from services.profiles.settings import ProfilesSettings
from services.scorer.settings import ScorerSettings

SETTINGS: list[type[BaseSettings]] = [MatcherSettings, ScorerSettings, ProfilesSettings, GatewaySettings]
READMES = [ROOT / "README.md", *sorted((ROOT / "services").glob("*/README.md"))]
# Variables the READMEs name that scripts/run.sh reads, not the settings classes.
OTHER_VARIABLES = {"MATCHER_PORT", "SCORER_PORT", "PROFILES_PORT"}
VARIABLE = re.compile(r"`((?:MATCHER|SCORER|PROFILES|GATEWAY)_[A-Z0-9_]+)`")
LITERAL = re.compile(r"^(?!see\b|defaults\b)(default )?([0-9]|true|false|unset|[a-z0-9.:/_-]+$)")


def _variables() -> dict[str, object]:
    """Environment variable -> default, over every settings class."""
    out = {}
    for cls in SETTINGS:
        prefix = str(cls.model_config.get("env_prefix", "")).upper()
        for name, field in cls.model_fields.items():
            out[f"{prefix}{name.upper()}"] = field.default
    return out


def _same(documented: str, default: object) -> bool:
    """A README's default (as written between backticks or brackets) against the real one."""
    text = documented.strip().removeprefix("default ")
    text = (re.findall(r"`([^`]*)`", text) or [text])[0].lower()  # a table cell: its first `literal`
    if isinstance(default, bool):
        return text in (("true", "on", "1") if default else ("false", "off", "0"))
    if isinstance(default, int | float):
        try:
            return float(text.split()[0]) == float(default)
        except ValueError:
            return False
    if default is None:
        return text.startswith("unset")
    return text == str(default).lower()


def _documented_defaults(text: str) -> list[tuple[str, str]]:
    """(variable, default as written) from table rows `| `A` / `B` | `a` / `b` | ...` and from
    inline mentions `VAR` (default)."""
    found = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and len(cells) >= 3 and VARIABLE.search(cells[0]):
            names = VARIABLE.findall(cells[0])
            values = [v.strip() for v in cells[1].split(" / ")]
            if len(values) == len(names):
                found += [(n, v) for n, v in zip(names, values) if v.startswith("`")]
        for name, value in re.findall(r"`((?:MATCHER|SCORER|GATEWAY)_[A-Z0-9_]+)` \(([^);]+)", line):
            if LITERAL.match(value):  # "(5.0)", "(default 0 = off)", not "(see ...)"
                found.append((name, value))
    return found


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_variable_a_readme_names_exists(readme: Path) -> None:
    known = set(_variables()) | OTHER_VARIABLES
    named = set(VARIABLE.findall(readme.read_text(encoding="utf-8")))
    assert named - known == set(), f"{readme.name} names settings that do not exist"


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_default_a_readme_states_is_the_real_one(readme: Path) -> None:
    variables = _variables()
    wrong = [(name, value, variables[name]) for name, value in _documented_defaults(readme.read_text(encoding="utf-8"))
             if name in variables and not _same(value, variables[name])]
    assert wrong == [], f"{readme.name}: (variable, documented default, real default)"


def test_every_setting_is_documented() -> None:
    text = "\n".join(p.read_text(encoding="utf-8") for p in READMES)
    # Per-service variants documented once as MATCHER_… (SCORER_…) count for both services.
    shared = {v.replace("MATCHER_", "SCORER_") for v in VARIABLE.findall(text) if v.startswith("MATCHER_")}
    missing = set(_variables()) - set(VARIABLE.findall(text)) - shared
    assert missing == set()


def test_the_check_catches_a_wrong_default() -> None:
    rows = _documented_defaults("| `GATEWAY_CACHE_TTL_SECONDS` | `60` | lifetime |\n`SCORER_GRACE_SECONDS` (5)")
    assert rows == [("GATEWAY_CACHE_TTL_SECONDS", "`60`"), ("SCORER_GRACE_SECONDS", "5")]
    assert not _same("`60`", 3600) and _same("5", 5.0) and _same("`true`", True) and not _same("`0`", True)


def test_the_readmes_state_defaults_for_most_settings() -> None:
    """Guards the parser: if the tables' format changed and nothing were read, the checks above would pass empty."""
    stated = {name for p in READMES for name, _ in _documented_defaults(p.read_text(encoding="utf-8"))}
    assert len(stated & set(_variables())) >= 0.6 * len(_variables())
