"""PostgreSQL's two hottest calls on the event loop: the rating write (one_statement.py) and the profile
read (the store's one-statement GetProfile), over psycopg's async connections, so they need no worker thread.

Handing each call to a worker thread and back cost the profiles process more CPU in thread switches
and GIL hand-offs (kernel time, `perf`) than the statement's own work; here each is one round trip
awaited on the loop. Everything else stays on ProfileStore in worker threads (SQLite's GetProfile: sqlite_reads.py).
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql

from movierec.store.engine import closed_by_server, postgres_connect_args
from services.profiles import credentials, one_statement
from services.profiles.store import (
    _PROFILE,
    _RATING_ROOM,
    MAX_RATINGS,
    AccountRow,
    MarkRow,
    RatingRow,
    compiled,
    profile_from_rows,
    rating_written,
)

_PSYCOPG = postgresql.psycopg.dialect()


class LoopCalls:
    """`await put_rating(token, movie, stars)` and `await profile(token)`: the same answers and errors as
    ProfileStore's (Unauthenticated, LimitReached; psycopg.OperationalError when the database cannot be reached).

    At most `size` connections, opened when first needed and kept; one that the server closed is
    replaced at checkout, one a failed or cancelled call leaves mid-statement is closed.
    """

    def __init__(self, engine: Engine, size: int, clock: Callable[[], float] = time.time,
                 connect_timeout: int | None = None, max_ratings: int = MAX_RATINGS) -> None:
        # put's literal parameters: the event kind and -1
        self.put_sql, self.put_constants = compiled(one_statement.put_rating(_RATING_ROOM), _PSYCOPG)
        self.profile_sql, self.profile_constants = compiled(_PROFILE, _PSYCOPG)
        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.conninfo = make_conninfo(url, **postgres_connect_args(connect_timeout))
        self.clock = clock
        self.max_ratings = max_ratings
        self._idle: list[psycopg.AsyncConnection] = []
        self._slots = asyncio.Semaphore(size)

    async def _checkout(self) -> psycopg.AsyncConnection:
        while self._idle:
            conn = self._idle.pop()
            if not closed_by_server(conn.pgconn):
                return conn
            await conn.close()
        return await psycopg.AsyncConnection.connect(self.conninfo, autocommit=True)

    async def _fetch(self, sql: str, params: dict[str, object]) -> list[tuple]:
        """The statement's rows, run on a pooled connection (autocommit: one round trip, committed)."""
        async with self._slots:
            conn = await self._checkout()
            try:
                cursor = await conn.execute(sql, params, prepare=True)
                return await cursor.fetchall()
            finally:
                if conn.info.transaction_status == TransactionStatus.IDLE and not conn.closed:
                    self._idle.append(conn)
                else:  # failed or cancelled mid-statement: its state is unknown
                    await conn.close()

    async def put_rating(self, token: str, movie: int, stars: int) -> RatingRow:
        now = int(self.clock() * 1000)
        digest = credentials.token_digest(token)
        rows = [] if digest is None else await self._fetch(self.put_sql, {
            **self.put_constants, "digest": digest, "now": now, "movie": movie, "stars": stars,
            "max": self.max_ratings})
        return rating_written(rows[0][1] if rows else None, movie, stars, now, self.max_ratings)

    async def profile(self, token: str) -> tuple[AccountRow, list[RatingRow], list[MarkRow]]:
        digest = credentials.token_digest(token)
        rows = [] if digest is None else await self._fetch(self.profile_sql, {
            **self.profile_constants, "digest": digest, "now": int(self.clock() * 1000)})
        return profile_from_rows(rows)

    async def close(self) -> None:
        while self._idle:
            await self._idle.pop().close()
