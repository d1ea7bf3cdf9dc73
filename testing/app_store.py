"""A profiles store with app accounts and their ratings, written through movierec.store's schema (tests of retrain)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import delete, insert

from movierec.store import migrate, schema
from movierec.store.engine import make_engine


def fill_store(url: str, movie_ids: Sequence[int], accounts: int = 12, per_account: int = 20,
               delete_last: bool = False, seed: int = 5) -> list[int]:
    """Migrates the store at url and writes `accounts` accounts, each rating `per_account` of movie_ids in
    random half stars; with delete_last the last account is deleted again (its ratings go with it).
    Returns every account id written, the deleted one last."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    rng = np.random.default_rng(seed)
    ids = []
    with engine.begin() as conn:
        for n in range(accounts):
            account = conn.execute(insert(schema.accounts).returning(schema.accounts.c.id)
                                   .values(username=f"user{n}", password_hash="x", created_ms=0))
            ids.append(account.scalar_one())
            conn.execute(insert(schema.ratings), [
                {"account_id": ids[-1], "movie_id": int(m), "half_stars": int(rng.integers(1, 11)),
                 "updated_ms": 1_700_000_000_000 + n}
                for m in rng.choice(np.asarray(movie_ids), per_account, replace=False)])
        if delete_last:
            conn.execute(delete(schema.accounts).where(schema.accounts.c.id == ids[-1]))
    engine.dispose()
    return ids
