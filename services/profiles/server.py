"""Profiles gRPC servicer: validates requests, runs ProfileStore calls in worker threads, maps errors to codes."""
from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import grpc
import psycopg
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from movierec.v1 import profiles_pb2, profiles_pb2_grpc
from services.common.validation import count_or_default
from services.profiles import app_stats, credentials
from services.profiles.loop_calls import LoopCalls
from services.profiles.sqlite_reads import SqliteProfileReads
from services.profiles.store import (
    AccountRow,
    Export,
    LimitReached,
    MarkRow,
    NewSession,
    ProfileStore,
    RatingRow,
    Unauthenticated,
    UsernameTaken,
    WrongPassword,
)
from services.profiles.values import half_stars, initial_ratings, mark_kind, movie_id

MAX_INITIAL_RATINGS = 100
T = TypeVar("T")
log = logging.getLogger(__name__)


def _account(a: AccountRow) -> profiles_pb2.Account:
    return profiles_pb2.Account(account_id=a.account_id, username=a.username, created_at_ms=a.created_ms,
                                n_ratings=a.n_ratings)


def _session(s: NewSession) -> profiles_pb2.Session:
    return profiles_pb2.Session(token=s.token, expires_at_ms=s.expires_ms, account=_account(s.account))


def _rating(r: RatingRow) -> profiles_pb2.Rating:
    return profiles_pb2.Rating(movie_id=r.movie_id, rating=r.half_stars / 2, updated_at_ms=r.updated_ms)


def _mark(m: MarkRow) -> profiles_pb2.Mark:
    return profiles_pb2.Mark(movie_id=m.movie_id, kind=m.kind, created_at_ms=m.created_ms)


def _export(e: Export) -> profiles_pb2.AccountExport:
    return profiles_pb2.AccountExport(
        account=_account(e.account), ratings=map(_rating, e.ratings), marks=map(_mark, e.marks),
        events=[profiles_pb2.FeedbackEvent(event_id=v.event_id, at_ms=v.at_ms, kind=v.kind, movie_id=v.movie_id or 0,
                                           rating=None if v.half_stars is None else v.half_stars / 2,
                                           mark=v.mark or "") for v in e.events],
        events_truncated=e.events_truncated,
        sessions=[profiles_pb2.SessionInfo(created_at_ms=c, expires_at_ms=x) for c, x in e.sessions])


class DeadlinePassed(Exception):
    """The caller's deadline passed during the slow part of a call (password hashing), before anything was written."""


def _still_wanted(context) -> None:
    """Raises DeadlinePassed when the caller has given up: a sign-up committed after that would answer
    DEADLINE_EXCEEDED to its caller yet take the username, so a retry would find it taken."""
    remaining = context.time_remaining()
    if remaining is not None and remaining <= 0:
        raise DeadlinePassed("the caller's deadline passed while the password was hashed; nothing was written")


class ProfilesServicer(profiles_pb2_grpc.ProfilesServicer):
    """Answers UNAVAILABLE until `store` is set (the database reached and migrated). With `on_loop`
    (PostgreSQL) PutRating and GetProfile run on the event loop instead of a worker thread; with `sqlite_reads`
    (SQLite) GetProfile does."""

    def __init__(self, store: ProfileStore | None, threads: int = 8, on_loop: LoopCalls | None = None,
                 sqlite_reads: SqliteProfileReads | None = None) -> None:
        self.store = store
        self.on_loop = on_loop
        self.sqlite_reads = sqlite_reads
        # Database calls and password hashing block; they run here, never on the event loop.
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="profiles-db")

    async def _run(self, context, fn: Callable[..., T], *args) -> T:
        """fn(*args) in a worker thread; the store's exceptions become status codes (abort raises)."""
        return await self._answer(context, lambda: asyncio.get_running_loop().run_in_executor(self._pool, fn, *args))

    async def _answer(self, context, work: Callable[[], Awaitable[T]]) -> T:
        """Awaits work(); the store's exceptions become status codes (abort raises)."""
        if self.store is None:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the profiles store is not ready yet; retry shortly")
        try:
            return await work()
        except ValueError as e:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
        except Unauthenticated as e:
            await context.abort(grpc.StatusCode.UNAUTHENTICATED, str(e))
        except UsernameTaken as e:
            await context.abort(grpc.StatusCode.ALREADY_EXISTS, str(e))
        except DeadlinePassed as e:
            await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, str(e))
        except LimitReached as e:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(e))
        except WrongPassword as e:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, str(e))
        except DBAPIError as e:
            # A lost connection, a server that is down, or SQLite's busy timeout: the caller may try again.
            if e.connection_invalidated or isinstance(e, OperationalError):
                log.warning("database unavailable", extra={"error": str(e.orig)[:300]})
                await context.abort(grpc.StatusCode.UNAVAILABLE, "the profiles database cannot be reached; "
                                                                 "the request was not carried out")
            log.exception("database error")
            await context.abort(grpc.StatusCode.INTERNAL, "internal error in the profiles store")
        except psycopg.OperationalError as e:  # the calls on the loop (loop_calls.py): as a lost connection above
            log.warning("database unavailable", extra={"error": str(e)[:300]})
            await context.abort(grpc.StatusCode.UNAVAILABLE, "the profiles database cannot be reached; "
                                                             "the request was not carried out")
        except (SQLAlchemyError, psycopg.Error):
            log.exception("store error")
            await context.abort(grpc.StatusCode.INTERNAL, "internal error in the profiles store")
        raise AssertionError("unreachable: context.abort raises")

    async def SignUp(self, request, context):
        def sign_up():
            name = credentials.username(request.username)
            password = credentials.check_password(request.password)
            initial = initial_ratings(((r.movie_id, r.rating) for r in request.initial_ratings), MAX_INITIAL_RATINGS)
            password_hash = credentials.hash_password(password)
            _still_wanted(context)
            return self.store.sign_up(name, password_hash, initial)
        return _session(await self._run(context, sign_up))

    async def LogIn(self, request, context):
        def log_in():
            credentials.check_given_password(request.password)
            try:
                name = credentials.username(request.username)
            except ValueError:
                name = None  # no account can have it: the same answer as a wrong password, after the same work
            found = self.store.password_hash(name) if name else None
            if not credentials.verify_password(found and found[1], request.password):
                raise Unauthenticated("wrong username or password")
            account_id, stored = found
            rehash = credentials.hash_password(request.password) if credentials.needs_rehash(stored) else None
            _still_wanted(context)
            return self.store.log_in(account_id, rehash)
        return _session(await self._run(context, log_in))

    async def ChangePassword(self, request, context):
        def change():
            credentials.check_given_password(request.current_password, "current password")
            new_password = credentials.check_password(request.new_password, "new password")
            _, stored = self.store.session_password_hash(request.session_token)
            if not credentials.verify_password(stored, request.current_password):
                raise WrongPassword("the current password is wrong; nothing was changed")
            new_hash = credentials.hash_password(new_password)
            _still_wanted(context)
            return self.store.change_password(request.session_token, new_hash)
        return _session(await self._run(context, change))

    async def LogOut(self, request, context):
        return profiles_pb2.LogOutResponse(revoked=await self._run(context, self.store.log_out, request.session_token))

    async def GetAccount(self, request, context):
        return _account(await self._run(context, self.store.account, request.session_token))

    async def _profile(self, token: str) -> tuple[AccountRow, list[RatingRow], list[MarkRow]]:
        assert self.store is not None  # _answer has checked
        if self.on_loop is not None:
            return await self.on_loop.profile(token)
        if self.sqlite_reads is not None:
            try:
                return self.sqlite_reads.profile(token)
            except sqlite3.OperationalError:  # busy, or worse: the store's read below waits off the loop, or
                pass                          # raises what _answer maps to a status code
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.store.profile, token)

    async def GetProfile(self, request, context):
        account, ratings, marks = await self._answer(context, lambda: self._profile(request.session_token))
        return profiles_pb2.Profile(account=_account(account), ratings=map(_rating, ratings), marks=map(_mark, marks))

    async def PutRating(self, request, context):
        if self.on_loop is not None:
            on_loop = self.on_loop

            async def put_on_loop():
                return await on_loop.put_rating(request.session_token, movie_id(request.movie_id),
                                               half_stars(request.rating))
            return _rating(await self._answer(context, put_on_loop))

        def put():
            return self.store.put_rating(request.session_token, movie_id(request.movie_id), half_stars(request.rating))
        return _rating(await self._run(context, put))

    async def DeleteRating(self, request, context):
        def remove():
            return self.store.delete_rating(request.session_token, movie_id(request.movie_id))
        return profiles_pb2.DeleteResponse(removed=await self._run(context, remove))

    async def PutMark(self, request, context):
        def put():
            return self.store.put_mark(request.session_token, movie_id(request.movie_id), mark_kind(request.kind))
        return _mark(await self._run(context, put))

    async def DeleteMark(self, request, context):
        def remove():
            return self.store.delete_mark(request.session_token, movie_id(request.movie_id), mark_kind(request.kind))
        return profiles_pb2.DeleteResponse(removed=await self._run(context, remove))

    async def ExportAccount(self, request, context):
        return _export(await self._run(context, self.store.export, request.session_token))

    async def DeleteAccount(self, request, context):
        counts = await self._run(context, self.store.delete_account, request.session_token)
        return profiles_pb2.DeleteAccountResponse(**counts)

    async def GetAppStats(self, request, context):
        def stats():
            days = count_or_default(request.days, "days", app_stats.MAX_DAYS, app_stats.DEFAULT_DAYS)
            return app_stats.app_stats(self.store.engine, days, self.store.now_ms())
        s = await self._run(context, stats)
        return profiles_pb2.AppStats(
            accounts=s.accounts, active_accounts_1d=s.active_accounts[1], active_accounts_7d=s.active_accounts[7],
            active_accounts_30d=s.active_accounts[30], ratings=s.ratings, rating_histogram=s.rating_histogram,
            ratings_per_day=[profiles_pb2.DayCount(day=d, count=c) for d, c in s.ratings_per_day])
