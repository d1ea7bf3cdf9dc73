"""Versioned schema migrations (Alembic, scripts in migrations/versions/): upgrade to the newest, or ask where a database is."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Any 64-bit number the app owns: PostgreSQL serialises concurrent migrators (two replicas starting at once).
_PG_LOCK_KEY = 0x6D6F7669_65726563


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    """The newest migration's revision id."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Brings the database to `revision` in one transaction per migration step; a no-op when it is there."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        config = _config()
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Takes the database back to `revision` ("base" = empty); for tests of the migrations themselves."""
    with engine.begin() as conn:
        config = _config()
        config.attributes["connection"] = conn
        command.downgrade(config, revision)
