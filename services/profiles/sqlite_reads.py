"""SQLite's GetProfile on the event loop: the store's one-statement profile read, on a connection of its own.

GetProfile comes with every `/me/recommendations`. Handing it to a worker thread and back cost the profiles
process more than the read itself (0.15 ms against 0.03 ms of sqlite3 in one process, bench/profiles/RESULTS.md);
a WAL reader never waits for SQLite's writer, so the loop can run it. The connection's busy timeout is 0, so
the loop never sleeps in SQLite's busy handler: when SQLite does answer "busy" (another connection recovering
the WAL, or holding an exclusive lock), `profile` raises sqlite3.OperationalError and the caller reads through
ProfileStore in a worker thread instead, where waiting is harmless.
"""
from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.dialects import sqlite

from services.profiles import credentials
from services.profiles.store import _PROFILE, AccountRow, MarkRow, RatingRow, compiled, profile_from_rows


class SqliteProfileReads:
    """`profile(token)`: ProfileStore.profile's answer and errors (Unauthenticated), read on the calling thread;
    sqlite3.OperationalError when SQLite is busy. Open it on the thread that will call it (the event loop's)."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.sql, self.constants = compiled(_PROFILE, sqlite.dialect(paramstyle="named"))
        self.clock = clock
        # Autocommit (isolation_level None): the one statement is its own read snapshot, so nothing stays open
        # between reads to hold the WAL back. query_only: this connection can never write.
        self.conn = sqlite3.connect(str(engine.url.database), timeout=0, isolation_level=None)
        self.conn.execute("PRAGMA query_only=ON")

    def profile(self, token: str) -> tuple[AccountRow, list[RatingRow], list[MarkRow]]:
        digest = credentials.token_digest(token)
        rows = [] if digest is None else self.conn.execute(
            self.sql, {**self.constants, "digest": digest, "now": int(self.clock() * 1000)}).fetchall()
        return profile_from_rows(rows)

    def close(self) -> None:
        self.conn.close()
