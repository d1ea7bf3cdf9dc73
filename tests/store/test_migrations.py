"""The migrations build exactly the schema of movierec/store/schema.py, on SQLite and PostgreSQL, and go back down."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from movierec.store import migrate
from movierec.store.engine import make_engine
from movierec.store.schema import metadata


def test_upgrade_builds_the_declared_schema(store_url):
    engine = make_engine(store_url)
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == [], f"migrations and schema.py differ: {diff}"
    migrate.upgrade(engine)  # again: a no-op
    assert migrate.current_revision(engine) == migrate.head_revision()
    engine.dispose()


def test_downgrade_to_base_removes_every_table(store_url):
    engine = make_engine(store_url)
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert migrate.current_revision(engine) is None
    engine.dispose()
