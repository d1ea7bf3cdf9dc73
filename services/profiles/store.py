"""ProfileStore: every read and write of accounts, sessions, ratings, marks and events, one transaction each.

Synchronous SQLAlchemy Core over SQLite or PostgreSQL (movierec/store); the servicer runs it in worker
threads. Account calls name the account by a session token: the transaction first resolves the token
(its sha256, unexpired) and can only touch that account's rows. Every write appends its event in the same
transaction, and a call returns only after the commit.
"""
from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    SmallInteger,
    String,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from movierec.store.schema import accounts, events, marks, ratings, sessions
from services.profiles import credentials, one_statement

MAX_RATINGS = 10_000  # rated movies per account
MAX_MARKS = 10_000  # marks per account
MAX_EXPORT_EVENTS = 100_000

# The hot statements are built once, with bound parameters: SQLAlchemy then reuses their compiled form, where
# building a statement per call (and its cache key) cost more CPU than the database spent running it.
_LIVE = (sessions.c.token_sha256 == bindparam("digest")) & (sessions.c.expires_ms > bindparam("now"))
_SESSION_ACCOUNT = select(sessions.c.account_id).where(_LIVE)
_SESSION_PROFILE = (select(sessions.c.account_id, accounts.c.username, accounts.c.created_ms)
                    .join_from(sessions, accounts, accounts.c.id == sessions.c.account_id).where(_LIVE))
# The session's account and, unless the movie is rated already (-1), how many movies it rates: one round trip.
_RATING_ROOM = select(sessions.c.account_id, case(
    (exists().where(ratings.c.account_id == sessions.c.account_id, ratings.c.movie_id == bindparam("movie")), -1),
    else_=select(func.count()).select_from(ratings).where(ratings.c.account_id == sessions.c.account_id)
    .scalar_subquery()).label("n")).where(_LIVE)
_RATINGS = (select(ratings.c.movie_id, ratings.c.half_stars, ratings.c.updated_ms)
            .where(ratings.c.account_id == bindparam("account"))
            .order_by(ratings.c.updated_ms.desc(), ratings.c.movie_id))
_MARKS = (select(marks.c.movie_id, marks.c.kind, marks.c.created_ms)
          .where(marks.c.account_id == bindparam("account"))
          .order_by(marks.c.created_ms.desc(), marks.c.movie_id, marks.c.kind))
_EVENT = insert(events)
# GetProfile as one statement (one round trip, one snapshot): the live session's account (part 0), then its
# ratings (1) and marks (2), as rows of one shape (part, id, detail, at_ms, stars) in the order each list is kept.
_LIVE_ACCOUNT = _SESSION_PROFILE.cte("live")
_NO_TEXT, _NO_STARS = cast(null(), String), cast(null(), SmallInteger)
_PROFILE_PARTS = union_all(
    select(literal_column("0").label("part"), _LIVE_ACCOUNT.c.account_id.label("id"),
           _LIVE_ACCOUNT.c.username.label("detail"), _LIVE_ACCOUNT.c.created_ms.label("at_ms"),
           _NO_STARS.label("stars")),
    select(literal_column("1"), ratings.c.movie_id, _NO_TEXT, ratings.c.updated_ms, ratings.c.half_stars)
    .join_from(ratings, _LIVE_ACCOUNT, ratings.c.account_id == _LIVE_ACCOUNT.c.account_id),
    select(literal_column("2"), marks.c.movie_id, marks.c.kind, marks.c.created_ms, _NO_STARS)
    .join_from(marks, _LIVE_ACCOUNT, marks.c.account_id == _LIVE_ACCOUNT.c.account_id))
_PROFILE = _PROFILE_PARTS.order_by(_PROFILE_PARTS.selected_columns.part, _PROFILE_PARTS.selected_columns.at_ms.desc(),
                                   _PROFILE_PARTS.selected_columns.id, _PROFILE_PARTS.selected_columns.detail)


def compiled(statement, dialect) -> tuple[str, dict[str, object]]:
    """A statement's SQL for a driver used directly (the loop's calls) and its literal parameters (those
    SQLAlchemy bound itself); the caller adds the rest by name."""
    out = statement.compile(dialect=dialect)
    return str(out), {k: v for k, v in out.params.items() if v is not None}


class Unauthenticated(Exception):
    """The session token is empty, unknown, expired or revoked (deliberately not saying which)."""


class UsernameTaken(Exception):
    """Another account has this username."""


class WrongPassword(Exception):
    """The current password given to change it is not the account's."""


class LimitReached(Exception):
    """The account holds as many ratings or marks as allowed; the message says which."""


@dataclass(frozen=True)
class AccountRow:
    account_id: int
    username: str
    created_ms: int
    n_ratings: int


@dataclass(frozen=True)
class RatingRow:
    movie_id: int
    half_stars: int
    updated_ms: int


@dataclass(frozen=True)
class MarkRow:
    movie_id: int
    kind: str
    created_ms: int


@dataclass(frozen=True)
class EventRow:
    event_id: int
    at_ms: int
    kind: str
    movie_id: int | None
    half_stars: int | None
    mark: str | None


@dataclass(frozen=True)
class NewSession:
    token: str
    expires_ms: int
    account: AccountRow


@dataclass(frozen=True)
class Export:
    account: AccountRow
    ratings: list[RatingRow]
    marks: list[MarkRow]
    events: list[EventRow]  # oldest first
    events_truncated: bool
    sessions: list[tuple[int, int]]  # (created_ms, expires_ms)


def profile_from_rows(rows: Sequence[Sequence[Any]]) -> tuple[AccountRow, list[RatingRow], list[MarkRow]]:
    """The account, ratings and marks from _PROFILE's rows (part, id, detail, at_ms, stars); Unauthenticated
    when there is no live session (no part-0 row)."""
    if not rows or rows[0][0] != 0:
        raise Unauthenticated("no valid session: sign in again")
    rated = [RatingRow(movie, stars, at) for part, movie, _, at, stars in rows if part == 1]
    marked = [MarkRow(movie, kind, at) for part, movie, kind, at, _ in rows if part == 2]
    _, account_id, username, created_ms, _ = rows[0]
    return AccountRow(account_id, username, created_ms, len(rated)), rated, marked


def rating_written(n_rated: int | None, movie: int, stars: int, now_ms: int, limit: int) -> RatingRow:
    """What a rating write answers, from its session-and-room row: n_rated None = no live session
    (Unauthenticated), -1 = the movie was rated already (replacing a rating is always allowed), else the
    account's count of rated movies (LimitReached at `limit`)."""
    if n_rated is None:
        raise Unauthenticated("no valid session: sign in again")
    if n_rated >= limit:
        raise LimitReached(f"the account already has {limit:,} rated movies; remove some first")
    return RatingRow(movie, stars, now_ms)


class ProfileStore:
    """The store's operations; `clock()` returns unix seconds (a test can pass its own)."""

    def __init__(self, engine: Engine, session_ttl_seconds: float, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.session_ttl_ms = int(session_ttl_seconds * 1000)
        self.clock = clock
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        upsert = self._insert(ratings).values(account_id=bindparam("account"), movie_id=bindparam("movie"),
                                              half_stars=bindparam("stars"), updated_ms=bindparam("now"))
        self._upsert_rating = upsert.on_conflict_do_update(
            index_elements=[ratings.c.account_id, ratings.c.movie_id],
            set_={"half_stars": upsert.excluded.half_stars, "updated_ms": upsert.excluded.updated_ms})
        self._put_rating_at_once = (one_statement.put_rating(_RATING_ROOM)
                                    if engine.dialect.name == "postgresql" else None)
        # SQLite has one writer at a time; queueing writers here, instead of in SQLite's busy handler (which
        # sleeps in steps of up to 100 ms while it waits), keeps a burst of writes from stalling.
        self._writers = threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()

    @contextlib.contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction, committed when the block ends without an exception."""
        with self._writers, self.engine.begin() as conn:
            yield conn

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    # -- sessions ---------------------------------------------------------------------------------

    def _account_id(self, conn: Connection, token: str) -> int:
        return self._session_row(conn, _SESSION_ACCOUNT, token).account_id

    def _session_row(self, conn: Connection, statement, token: str, **params):
        """The row of `statement` (one of the _LIVE ones) for this token, or Unauthenticated."""
        digest = credentials.token_digest(token)
        found = None if digest is None else conn.execute(
            statement, {"digest": digest, "now": self.now_ms(), **params}).first()
        if found is None:
            raise Unauthenticated("no valid session: sign in again")
        return found

    def _account(self, conn: Connection, account_id: int) -> AccountRow:
        row = conn.execute(select(accounts.c.username, accounts.c.created_ms)
                           .where(accounts.c.id == account_id)).one()
        n = conn.execute(select(func.count()).select_from(ratings)
                         .where(ratings.c.account_id == account_id)).scalar_one()
        return AccountRow(account_id, row.username, row.created_ms, n)

    def _new_session(self, conn: Connection, account_id: int) -> NewSession:
        token, now = credentials.new_token(), self.now_ms()
        conn.execute(delete(sessions).where(sessions.c.account_id == account_id, sessions.c.expires_ms <= now))
        conn.execute(insert(sessions).values(token_sha256=credentials.token_digest(token), account_id=account_id,
                                             created_ms=now, expires_ms=now + self.session_ttl_ms))
        return NewSession(token, now + self.session_ttl_ms, self._account(conn, account_id))

    def sign_up(self, username: str, password_hash: str, initial: Mapping[int, int]) -> NewSession:
        """Creates the account (username already canonical), its ratings {movie_id: half_stars} and a session."""
        now = self.now_ms()
        try:
            with self._write() as conn:
                account_id = conn.execute(insert(accounts).values(username=username, password_hash=password_hash,
                                                                  created_ms=now).returning(accounts.c.id)).scalar_one()
                self._event(conn, account_id, "account_created", now)
                for movie, stars in initial.items():
                    conn.execute(insert(ratings).values(account_id=account_id, movie_id=movie, half_stars=stars,
                                                        updated_ms=now))
                    self._event(conn, account_id, "rating_set", now, movie, half_stars=stars)
                return self._new_session(conn, account_id)
        except IntegrityError as e:
            if "username" in str(e.orig).lower():  # the unique constraint's name or column, on both databases
                raise UsernameTaken(f"username {username!r} is taken") from None
            raise

    def password_hash(self, username: str) -> tuple[int, str] | None:
        """(account id, stored hash) of a canonical username, or None."""
        with self.engine.connect().execution_options(read_only=True) as conn:
            row = conn.execute(select(accounts.c.id, accounts.c.password_hash)
                               .where(accounts.c.username == username)).first()
        return None if row is None else (row.id, row.password_hash)

    def log_in(self, account_id: int, new_hash: str | None = None) -> NewSession:
        """A new session for an account whose password was verified; new_hash replaces a weaker hash."""
        with self._write() as conn:
            if new_hash is not None:
                conn.execute(accounts.update().where(accounts.c.id == account_id).values(password_hash=new_hash))
            return self._new_session(conn, account_id)

    def session_password_hash(self, token: str) -> tuple[int, str]:
        """(account id, stored hash) of the session's account; Unauthenticated without a live session."""
        with self._read() as conn:
            account_id = self._account_id(conn, token)
            stored = conn.execute(select(accounts.c.password_hash).where(accounts.c.id == account_id)).scalar_one()
        return account_id, stored

    def change_password(self, token: str, new_hash: str) -> NewSession:
        """Stores new_hash for the session's account and replaces all its sessions (this one too) by a new one,
        in one transaction; Unauthenticated when the session ended meanwhile (another change, a log-out)."""
        with self._write() as conn:
            account_id = self._account_id(conn, token)
            conn.execute(accounts.update().where(accounts.c.id == account_id).values(password_hash=new_hash))
            conn.execute(delete(sessions).where(sessions.c.account_id == account_id))
            return self._new_session(conn, account_id)

    def log_out(self, token: str) -> bool:
        digest = credentials.token_digest(token)
        if digest is None:
            return False
        with self._write() as conn:
            return conn.execute(delete(sessions).where(sessions.c.token_sha256 == digest)).rowcount > 0

    # -- reads ------------------------------------------------------------------------------------

    def _read(self) -> Connection:
        # PostgreSQL's default READ COMMITTED gives each statement its own snapshot even inside a transaction,
        # so reads there run in autocommit: the same answers without the BEGIN and ROLLBACK round trips.
        # SQLite's read transaction does hold one snapshot for all its statements, and stays.
        if self.engine.dialect.name == "postgresql":
            return self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self.engine.connect().execution_options(read_only=True)

    def account(self, token: str) -> AccountRow:
        with self._read() as conn:
            return self._account(conn, self._account_id(conn, token))

    @staticmethod
    def _ratings(conn: Connection, account_id: int) -> list[RatingRow]:
        return [RatingRow(*r) for r in conn.execute(_RATINGS, {"account": account_id})]

    @staticmethod
    def _marks(conn: Connection, account_id: int) -> list[MarkRow]:
        return [MarkRow(*r) for r in conn.execute(_MARKS, {"account": account_id})]

    def profile(self, token: str) -> tuple[AccountRow, list[RatingRow], list[MarkRow]]:
        """The session's account, its ratings (their count is n_ratings) and its marks, from one statement."""
        digest = credentials.token_digest(token)
        with self._read() as conn:
            rows = [] if digest is None else conn.execute(_PROFILE, {"digest": digest, "now": self.now_ms()}).all()
        return profile_from_rows(rows)

    def export(self, token: str, max_events: int = MAX_EXPORT_EVENTS) -> Export:
        with self._read() as conn:
            account_id = self._account_id(conn, token)
            rows = conn.execute(select(events.c.id, events.c.at_ms, events.c.kind, events.c.movie_id,
                                       events.c.half_stars, events.c.mark)
                                .where(events.c.account_id == account_id)
                                .order_by(events.c.id.desc()).limit(max_events + 1)).all()
            live = conn.execute(select(sessions.c.created_ms, sessions.c.expires_ms)
                                .where(sessions.c.account_id == account_id, sessions.c.expires_ms > self.now_ms())
                                .order_by(sessions.c.created_ms)).all()
            return Export(self._account(conn, account_id), self._ratings(conn, account_id),
                          self._marks(conn, account_id), [EventRow(*r) for r in reversed(rows[:max_events])],
                          len(rows) > max_events, [tuple(s) for s in live])

    # -- writes -----------------------------------------------------------------------------------

    @staticmethod
    def _event(conn: Connection, account_id: int, kind: str, at_ms: int, movie: int | None = None,
               half_stars: int | None = None, mark: str | None = None) -> None:
        conn.execute(_EVENT, {"account_id": account_id, "at_ms": at_ms, "kind": kind, "movie_id": movie,
                              "half_stars": half_stars, "mark": mark})

    @staticmethod
    def _room(conn: Connection, table, account_id: int, limit: int, what: str) -> None:
        n = conn.execute(select(func.count()).select_from(table).where(table.c.account_id == account_id)).scalar_one()
        if n >= limit:
            raise LimitReached(f"the account already has {limit:,} {what}; remove some first")

    def put_rating(self, token: str, movie: int, stars: int) -> RatingRow:
        """On PostgreSQL one statement (services/profiles/one_statement.py); elsewhere three in one transaction:
        the session and the room left, the upsert, the event."""
        now = self.now_ms()
        if self._put_rating_at_once is not None:
            digest = credentials.token_digest(token)
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                found = None if digest is None else conn.execute(self._put_rating_at_once, {
                    "digest": digest, "now": now, "movie": movie, "stars": stars, "max": MAX_RATINGS}).first()
            return rating_written(None if found is None else found.n, movie, stars, now, MAX_RATINGS)
        with self._write() as conn:
            account_id, n_rated = self._session_row(conn, _RATING_ROOM, token, movie=movie)
            rating_written(n_rated, movie, stars, now, MAX_RATINGS)  # no room: raises before anything is written
            conn.execute(self._upsert_rating, {"account": account_id, "movie": movie, "stars": stars, "now": now})
            self._event(conn, account_id, "rating_set", now, movie, half_stars=stars)
            return RatingRow(movie, stars, now)

    def delete_rating(self, token: str, movie: int) -> bool:
        with self._write() as conn:
            account_id = self._account_id(conn, token)
            removed = conn.execute(delete(ratings).where(ratings.c.account_id == account_id,
                                                         ratings.c.movie_id == movie)).rowcount > 0
            if removed:
                self._event(conn, account_id, "rating_removed", self.now_ms(), movie)
            return removed

    def put_mark(self, token: str, movie: int, kind: str) -> MarkRow:
        with self._write() as conn:
            account_id, now = self._account_id(conn, token), self.now_ms()
            existing = conn.execute(select(marks.c.created_ms).where(
                marks.c.account_id == account_id, marks.c.movie_id == movie, marks.c.kind == kind)).scalar()
            if existing is None:
                self._room(conn, marks, account_id, MAX_MARKS, "marks")
            conn.execute(self._insert(marks).values(account_id=account_id, movie_id=movie, kind=kind, created_ms=now)
                         .on_conflict_do_nothing(index_elements=[marks.c.account_id, marks.c.movie_id, marks.c.kind]))
            self._event(conn, account_id, "mark_set", now, movie, mark=kind)
            return MarkRow(movie, kind, now if existing is None else existing)

    def delete_mark(self, token: str, movie: int, kind: str) -> bool:
        with self._write() as conn:
            account_id = self._account_id(conn, token)
            removed = conn.execute(delete(marks).where(marks.c.account_id == account_id, marks.c.movie_id == movie,
                                                       marks.c.kind == kind)).rowcount > 0
            if removed:
                self._event(conn, account_id, "mark_removed", self.now_ms(), movie, mark=kind)
            return removed

    def delete_account(self, token: str) -> dict[str, int]:
        """Deletes the account; its rows in every table go with it (foreign keys cascade). Counts per table,
        and the account's id."""
        with self._write() as conn:
            account_id = self._account_id(conn, token)
            counts = {name: conn.execute(select(func.count()).select_from(table)
                                         .where(table.c.account_id == account_id)).scalar_one()
                      for name, table in (("ratings", ratings), ("marks", marks), ("events", events),
                                          ("sessions", sessions))}
            conn.execute(delete(accounts).where(accounts.c.id == account_id))
            return {**counts, "account_id": account_id}
