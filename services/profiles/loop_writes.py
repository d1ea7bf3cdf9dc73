"""PostgreSQL's rating write on the event loop: the one-statement write (one_statement.py) over psycopg's
async connections, so the hottest call needs no worker thread.

Handing each write to a worker thread and back cost the profiles process more CPU in thread switches
and GIL hand-offs (kernel time, `perf`) than the statement's own work; here it is one round trip awaited
on the loop. Everything else, and SQLite, stays on ProfileStore in worker threads.
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
from services.profiles.store import _RATING_ROOM, MAX_RATINGS, RatingRow, rating_written


class LoopRatingWriter:
    """`await put_rating(token, movie, stars)`: the same answers and errors as ProfileStore.put_rating
    (Unauthenticated, LimitReached; psycopg.OperationalError when the database cannot be reached).

    At most `size` connections, opened when first needed and kept; one that the server closed is
    replaced at checkout, one a failed or cancelled call leaves mid-statement is closed.
    """

    def __init__(self, engine: Engine, size: int, clock: Callable[[], float] = time.time,
                 connect_timeout: int | None = None, max_ratings: int = MAX_RATINGS) -> None:
        compiled = one_statement.put_rating(_RATING_ROOM).compile(dialect=postgresql.psycopg.dialect())
        self.sql = str(compiled)
        self.constants = {k: v for k, v in compiled.params.items() if v is not None}  # literals: kind, -1
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

    async def put_rating(self, token: str, movie: int, stars: int) -> RatingRow:
        now = int(self.clock() * 1000)
        digest = credentials.token_digest(token)
        found = None
        if digest is not None:
            async with self._slots:
                conn = await self._checkout()
                try:
                    cursor = await conn.execute(self.sql, {**self.constants, "digest": digest, "now": now,
                                                           "movie": movie, "stars": stars, "max": self.max_ratings},
                                                prepare=True)
                    found = await cursor.fetchone()
                finally:
                    if conn.info.transaction_status == TransactionStatus.IDLE and not conn.closed:
                        self._idle.append(conn)
                    else:  # failed or cancelled mid-statement: its state is unknown
                        await conn.close()
        return rating_written(None if found is None else found[1], movie, stars, now, self.max_ratings)

    async def close(self) -> None:
        while self._idle:
            await self._idle.pop().close()
