"""One SQLAlchemy engine over SQLite or PostgreSQL, configured for durable, concurrent use."""
from __future__ import annotations

import re
import select
from pathlib import Path

from psycopg.pq import ConnStatus
from psycopg.pq.abc import PGconn
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError

# SQLite waits this long for another writer's lock before failing with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 5000


class StoreUrlError(ValueError):
    """The database URL names no database this store supports; the message says what does."""


def normalize_url(database_url: str) -> str:
    """`postgresql://` and `postgres://` get the psycopg 3 driver; `sqlite:///relative/path` stays relative
    to the working directory. Anything else raises StoreUrlError."""
    try:
        url = make_url(database_url)
    except Exception as e:  # SQLAlchemy raises ArgumentError on a malformed URL
        raise StoreUrlError(f"not a database URL: {database_url!r} ({e})") from None
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if backend == "sqlite" and url.get_driver_name() in ("pysqlite", ""):
        if not url.database or url.database == ":memory:":
            raise StoreUrlError("an in-memory SQLite database would lose every write; give a file, "
                                "e.g. sqlite:///data/profiles.sqlite3")
        return url.render_as_string(hide_password=False)
    raise StoreUrlError(f"unsupported database {url.drivername!r}: use sqlite:///path/to/file.sqlite3 or "
                        "postgresql://user:password@host:port/dbname")


def with_password(database_url: str, password: str | None) -> str:
    """The URL with `password` in it (one kept apart from the URL, e.g. in Secrets Manager); unchanged without one.

    Special characters need no escaping by the caller: the URL is rebuilt by SQLAlchemy, which quotes them."""
    if not password:
        return database_url
    return make_url(normalize_url(database_url)).set(password=password).render_as_string(hide_password=False)


def redacted(database_url: str) -> str:
    """The URL without its password, for logs, errors and manifests (a malformed URL too: it is an error's subject)."""
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except Exception:  # ArgumentError: not a URL SQLAlchemy parses; hide whatever sits between user: and @
        return re.sub(r"(//[^:/@]*):[^@]*@", r"\1:***@", database_url)


def _sqlite_pragmas(dbapi_connection, _record, read_only: bool) -> None:
    cursor = dbapi_connection.cursor()
    if read_only:
        cursor.execute("PRAGMA query_only=ON")
    # WAL: readers do not block the writer. synchronous=FULL: a commit is on disk (fsync) before it
    # returns, so an acknowledged write survives a crash of the process or of the machine.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")  # off by default in SQLite: cascades need it
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(conn) -> None:
    # A writer takes the write lock when its transaction starts (IMMEDIATE): a deferred transaction that
    # reads, then writes, would fail at once with "database is locked" instead of waiting its turn.
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("read_only") else "BEGIN IMMEDIATE")


def closed_by_server(pgconn: PGconn) -> bool:
    """True when the server has closed this idle PostgreSQL connection, found without a round trip.

    An idle connection is sent nothing, so bytes waiting on its socket are the server's goodbye (a
    shutdown's FATAL message, or EOF when it was killed or restarted): one local poll replaces pre-ping's
    `SELECT 1`, which cost a third of a rating write's database work.
    """
    if pgconn.status != ConnStatus.OK:
        return True
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLIN)
    return bool(poller.poll(0))


def _server_still_there(dbapi_connection, _record, _proxy) -> None:
    """Pool checkout (PostgreSQL): DisconnectionError, so the pool opens a new connection, when the server has
    closed this one."""
    if closed_by_server(dbapi_connection.pgconn):
        raise DisconnectionError("the PostgreSQL server closed this connection")


def postgres_connect_args(connect_timeout: int | None = None, read_only: bool = False) -> dict[str, str | int]:
    """libpq connection parameters for make_engine's options (also for a plain psycopg connection)."""
    args: dict[str, str | int] = {"options": "-c default_transaction_read_only=on"} if read_only else {}
    if connect_timeout is not None:
        args["connect_timeout"] = max(connect_timeout, 2)  # libpq treats 1 as 2
    return args


def make_engine(database_url: str, *, pool_size: int = 8, create_dir: bool = False,
                read_only: bool = False, connect_timeout: int | None = None) -> Engine:
    """An engine for `database_url` (see normalize_url). SQLite gets WAL, synchronous=FULL, foreign keys
    and a busy timeout on every connection; with create_dir its file's directory is created. A connection
    with the execution option read_only=True (every one, with read_only) starts plain read transactions;
    a read_only engine cannot write at all (SQLite query_only, PostgreSQL read-only transactions).
    connect_timeout (seconds, PostgreSQL only) bounds a connection attempt to a server that does not answer."""
    url = make_url(normalize_url(database_url))
    if url.get_backend_name() == "sqlite":
        if create_dir:
            Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, pool_size=pool_size, max_overflow=0,
                               connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", lambda conn, record: _sqlite_pragmas(conn, record, read_only))
        # pysqlite's own transaction handling defers BEGIN and skips it for some statements; SQLAlchemy's
        # documented recipe makes every transaction start with an explicit BEGIN, so a commit covers all of it.
        event.listen(engine, "connect", lambda conn, _r: setattr(conn, "isolation_level", None))
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, pool_size=pool_size, max_overflow=0,
                               connect_args=postgres_connect_args(connect_timeout, read_only))
        event.listen(engine, "checkout", _server_still_there)
    return engine.execution_options(read_only=True) if read_only else engine


def is_postgresql(database_url: str) -> bool:
    """The URL names a PostgreSQL database (any spelling normalize_url accepts)."""
    return make_url(normalize_url(database_url)).get_backend_name() == "postgresql"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
