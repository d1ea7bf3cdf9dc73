"""Read-only export of the app's ratings for training: what the trainer reads, never writes."""
from __future__ import annotations

import numpy as np
from sqlalchemy import select

from movierec.store import APP_USER_ID_OFFSET
from movierec.store.engine import make_engine
from movierec.store.schema import ratings


def app_ratings(database_url: str) -> dict[str, np.ndarray]:
    """Every stored rating of every existing account, as columns (no pandas: the serving images carry this
    package): user_id int64 (= offset + account id),
    movie_id int64, rating float32 (0.5-5), timestamp int64 (unix seconds). Deleted accounts have no rows.

    Rows are sorted by (user_id, movie_id). Read in one read-only transaction, so the export is one
    consistent snapshot even while the profiles service writes.
    """
    engine = make_engine(database_url, pool_size=1, read_only=True)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(ratings.c.account_id, ratings.c.movie_id, ratings.c.half_stars,
                                       ratings.c.updated_ms)
                                .order_by(ratings.c.account_id, ratings.c.movie_id)).all()
    finally:
        engine.dispose()
    table = np.array(rows, dtype=np.int64).reshape(-1, 4)
    return {
        "user_id": table[:, 0] + APP_USER_ID_OFFSET,
        "movie_id": table[:, 1],
        "rating": (table[:, 2] / 2).astype(np.float32),
        "timestamp": table[:, 3] // 1000,
    }
