"""Accounts, sessions, ratings, marks and the feedback event log.

Revision ID: 0001
Revises:
Create Date: 2026-12-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_accounts"),
        sa.UniqueConstraint("username", name="uq_accounts_username"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "sessions",
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("expires_ms", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("token_sha256", name="pk_sessions"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE",
                                name="fk_sessions_account_id_accounts"),
    )
    op.create_index("ix_sessions_account_id", "sessions", ["account_id"])
    op.create_table(
        "ratings",
        sa.Column("account_id", Id, nullable=False),
        sa.Column("movie_id", sa.BigInteger, nullable=False),
        sa.Column("half_stars", sa.SmallInteger, nullable=False),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("account_id", "movie_id", name="pk_ratings"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE",
                                name="fk_ratings_account_id_accounts"),
        sa.CheckConstraint("half_stars BETWEEN 1 AND 10", name="ck_ratings_half_stars_range"),
        sa.CheckConstraint("movie_id > 0", name="ck_ratings_movie_id_positive"),
    )
    op.create_table(
        "marks",
        sa.Column("account_id", Id, nullable=False),
        sa.Column("movie_id", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("account_id", "movie_id", "kind", name="pk_marks"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE",
                                name="fk_marks_account_id_accounts"),
        sa.CheckConstraint("kind IN ('seen', 'not_interested')", name="ck_marks_kind_known"),
        sa.CheckConstraint("movie_id > 0", name="ck_marks_movie_id_positive"),
    )
    op.create_table(
        "events",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("at_ms", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("movie_id", sa.BigInteger, nullable=True),
        sa.Column("half_stars", sa.SmallInteger, nullable=True),
        sa.Column("mark", sa.String(16), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE",
                                name="fk_events_account_id_accounts"),
        sa.CheckConstraint("kind IN ('account_created', 'rating_set', 'rating_removed', 'mark_set', 'mark_removed')",
                           name="ck_events_kind_known"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_events_account_id", "events", ["account_id"])
    op.create_index("ix_events_at_ms", "events", ["at_ms"])


def downgrade() -> None:
    for table in ("events", "marks", "ratings", "sessions", "accounts"):
        op.drop_table(table)
