"""The store's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL; migrations/ creates them.

Times are unix milliseconds (BIGINT). Ratings are stored as half stars (1..10 = 0.5..5 stars) so the
0.5 steps are exact and a CHECK constraint can hold them. Every child row cascades from its account:
deleting an account deletes everything about it.
"""
from __future__ import annotations

from sqlalchemy import (BigInteger, CheckConstraint, Column, ForeignKey, Index, Integer, MetaData,
                        PrimaryKeyConstraint, SmallInteger, String, Table)

# Named constraints, so a later migration can refer to them on both databases.
metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

# SQLite autoincrements only an INTEGER PRIMARY KEY (BIGINT there is a plain column).
Id = BigInteger().with_variant(Integer(), "sqlite")

USERNAME_MAX = 32
MARK_KINDS = ("seen", "not_interested")
EVENT_KINDS = ("account_created", "rating_set", "rating_removed", "mark_set", "mark_removed")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _account_fk() -> Column:
    return Column("account_id", Id, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False)


# sqlite_autoincrement: a deleted account's id is never given to a new account, so a model trained
# before a deletion cannot serve the old person's factors to someone else.
accounts = Table(
    "accounts", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(USERNAME_MAX), nullable=False, unique=True),  # lower-cased by the service
    Column("password_hash", String(255), nullable=False),  # argon2id PHC string
    Column("created_ms", BigInteger, nullable=False),
    sqlite_autoincrement=True,
)

sessions = Table(
    "sessions", metadata,
    Column("token_sha256", String(64), primary_key=True),  # the token itself is never stored
    _account_fk(),
    Column("created_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Index(None, "account_id"),
)

ratings = Table(
    "ratings", metadata,
    _account_fk(),
    Column("movie_id", BigInteger, nullable=False),
    Column("half_stars", SmallInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    CheckConstraint("half_stars BETWEEN 1 AND 10", name="half_stars_range"),
    CheckConstraint("movie_id > 0", name="movie_id_positive"),
    PrimaryKeyConstraint("account_id", "movie_id"),  # one rating per person and movie: a PUT replaces it
)

marks = Table(
    "marks", metadata,
    _account_fk(),
    Column("movie_id", BigInteger, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    CheckConstraint(_one_of("kind", MARK_KINDS), name="kind_known"),
    CheckConstraint("movie_id > 0", name="movie_id_positive"),
    PrimaryKeyConstraint("account_id", "movie_id", "kind"),
)

# Append-only: the service inserts a row with every write and never updates one; rows go only
# with their account.
events = Table(
    "events", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _account_fk(),
    Column("at_ms", BigInteger, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("movie_id", BigInteger, nullable=True),
    Column("half_stars", SmallInteger, nullable=True),  # rating_set only
    Column("mark", String(16), nullable=True),  # mark_set / mark_removed only
    CheckConstraint(_one_of("kind", EVENT_KINDS), name="kind_known"),
    Index(None, "account_id"),
    Index(None, "at_ms"),
    sqlite_autoincrement=True,
)
