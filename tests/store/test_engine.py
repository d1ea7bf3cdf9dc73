"""The PostgreSQL engine's pool never hands out a connection the server has closed (checked locally at checkout)."""
from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text

from movierec.store.engine import make_engine

pytestmark = pytest.mark.integration


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_the_server_closed_is_replaced_at_checkout(postgres_server):
    url = postgres_server.new_database()
    engine = make_engine(url, pool_size=1)
    try:
        first = _backend_pid(engine)
        assert _backend_pid(engine) == first  # pooled: the same connection comes back
        with psycopg.connect(postgres_server.dsn(url.rsplit("/", 1)[1]), autocommit=True) as admin:
            assert admin.execute("SELECT pg_terminate_backend(%s)", (first,)).fetchone()[0]
            # Wait until the backend is gone, so its goodbye is on the pooled socket.
            for _ in range(200):
                if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (first,)).fetchone():
                    break
                time.sleep(0.01)
        second = _backend_pid(engine)  # without the checkout check this raised OperationalError
        assert second != first
    finally:
        engine.dispose()

