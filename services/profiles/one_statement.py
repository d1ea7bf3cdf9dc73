"""PostgreSQL's rating write as one statement (data-modifying CTEs): session, room check, upsert and event.

A write through ProfileStore's generic path costs five round trips on PostgreSQL (BEGIN, three statements,
COMMIT); this one, run in autocommit, costs one, and a single
statement is atomic and, with synchronous_commit on, durable before its answer. SQLite has no
data-modifying CTEs and no round trips (it runs in the process), so it keeps the generic path.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Select, SmallInteger, String, bindparam, func, insert, literal, select
from sqlalchemy.dialects import postgresql

from movierec.store.schema import events, ratings


def put_rating(session_room: Select) -> Select:
    """One row (account_id, n) when the session is live, else none: n is -1 when the movie was rated already,
    else the account's count of rated movies. The rating and its event are written only when n < :max.

    `session_room` is the store's (account_id, n) query with parameters :digest, :now, :movie; this adds
    :stars and :max. PostgreSQL runs every data-modifying CTE to completion whether or not it is read.
    """
    s = session_room.cte("s")
    movie, stars = bindparam("movie", type_=BigInteger), bindparam("stars", type_=SmallInteger)
    now = bindparam("now", type_=BigInteger)
    upsert = postgresql.insert(ratings).from_select(
        ["account_id", "movie_id", "half_stars", "updated_ms"],
        select(s.c.account_id, movie, stars, now).where(s.c.n < bindparam("max", type_=BigInteger)))
    upserted = (upsert.on_conflict_do_update(
        index_elements=[ratings.c.account_id, ratings.c.movie_id],
        set_={"half_stars": upsert.excluded.half_stars, "updated_ms": upsert.excluded.updated_ms})
        .returning(ratings.c.account_id).cte("upserted"))
    logged = (insert(events).from_select(
        ["account_id", "at_ms", "kind", "movie_id", "half_stars"],
        select(upserted.c.account_id, now, literal("rating_set", String), movie, stars))
        .returning(events.c.id).cte("logged"))
    return select(s.c.account_id, s.c.n, select(func.count()).select_from(logged).scalar_subquery())
