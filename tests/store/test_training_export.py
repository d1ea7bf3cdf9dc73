"""movierec.store.training.app_ratings: what the trainer reads from the store, on SQLite and PostgreSQL."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import delete, insert

from movierec.store import APP_USER_ID_OFFSET, migrate, schema
from movierec.store.engine import make_engine
from movierec.store.training import app_ratings


@pytest.fixture
def migrated(store_url):
    engine = make_engine(store_url)
    migrate.upgrade(engine)
    yield store_url, engine
    engine.dispose()


def _account(conn, name: str) -> int:
    return conn.execute(insert(schema.accounts).values(username=name, password_hash="x", created_ms=0)
                        .returning(schema.accounts.c.id)).scalar_one()


def test_export_has_every_rating_with_offset_ids_and_dtypes(migrated):
    url, engine = migrated
    assert pd.DataFrame(app_ratings(url)).shape == (0, 4)
    with engine.begin() as conn:
        a, b = _account(conn, "ann"), _account(conn, "bob")
        conn.execute(insert(schema.ratings), [
            {"account_id": b, "movie_id": 50, "half_stars": 1, "updated_ms": 1_700_000_000_999},
            {"account_id": a, "movie_id": 7, "half_stars": 10, "updated_ms": 1_700_000_001_000},
            {"account_id": a, "movie_id": 3, "half_stars": 7, "updated_ms": 1_700_000_002_500},
        ])
    df = pd.DataFrame(app_ratings(url))
    assert list(df.columns) == ["user_id", "movie_id", "rating", "timestamp"]
    assert [str(t) for t in df.dtypes] == ["int64", "int64", "float32", "int64"]
    assert df["user_id"].tolist() == [APP_USER_ID_OFFSET + a] * 2 + [APP_USER_ID_OFFSET + b]
    assert df["movie_id"].tolist() == [3, 7, 50]
    np.testing.assert_array_equal(df["rating"].to_numpy(), np.array([3.5, 5.0, 0.5], np.float32))
    assert df["timestamp"].tolist() == [1_700_000_002, 1_700_000_001, 1_700_000_000]

    with engine.begin() as conn:  # a deleted account leaves nothing to train on
        conn.execute(delete(schema.accounts).where(schema.accounts.c.id == a))
    assert app_ratings(url)["user_id"].tolist() == [APP_USER_ID_OFFSET + b]


def test_export_cannot_write(migrated):
    url, _ = migrated
    reader = make_engine(url, read_only=True)
    with pytest.raises(Exception, match="(?i)read.only|readonly|query_only|attempt to write"):
        with reader.begin() as conn:
            conn.execute(insert(schema.accounts).values(username="x", password_hash="x", created_ms=0))
    reader.dispose()
