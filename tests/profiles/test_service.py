"""The profiles service as a real process, on SQLite and PostgreSQL: status codes, isolation, idempotent writes."""
from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import grpc
import psycopg
import pytest

from movierec.v1 import profiles_pb2
from scripts.stack import Stack, grpc_serving
from services.client import NO_RETRY, CallError, ProfilesClient

PASSWORD = "correct horse"
_names = itertools.count()


def fresh_name() -> str:
    return f"user{next(_names)}"


async def failed(call) -> CallError:
    with pytest.raises(CallError) as caught:
        await call
    return caught.value


async def test_account_lifecycle(profiles_stack: Stack):
    async with ProfilesClient(profiles_stack.profiles_address) as p:
        name = fresh_name()
        session = await p.sign_up(name.upper(), PASSWORD, [(1, 4.5), (2, 1.0)])
        assert session.account.username == name and session.account.n_ratings == 2
        again = await p.log_in(name, PASSWORD)
        assert again.token != session.token and again.account.account_id == session.account.account_id
        assert (await p.put_rating(again.token, 3, 5)).rating == 5.0
        assert (await p.put_rating(again.token, 3, 5)).rating == 5.0  # idempotent
        assert (await p.put_mark(again.token, 4, "not_interested")).kind == "not_interested"
        profile = await p.profile(session.token)
        assert {r.movie_id: r.rating for r in profile.ratings} == {1: 4.5, 2: 1.0, 3: 5.0}
        assert [(m.movie_id, m.kind) for m in profile.marks] == [(4, "not_interested")]
        assert (await p.delete_rating(session.token, 2)).removed
        assert not (await p.delete_rating(session.token, 2)).removed
        export = await p.export(session.token)
        assert [e.kind for e in export.events][-3:] == ["rating_set", "mark_set", "rating_removed"]
        assert len(export.sessions) == 2
        assert (await p.log_out(session.token)).revoked
        assert (await failed(p.account(session.token))).code == grpc.StatusCode.UNAUTHENTICATED
        deleted = await p.delete_account(again.token)
        assert (deleted.ratings, deleted.marks, deleted.sessions) == (2, 1, 1)
        assert deleted.account_id == again.account.account_id
        assert (await failed(p.log_in(name, PASSWORD))).code == grpc.StatusCode.UNAUTHENTICATED


async def test_change_password_checks_the_current_one_and_ends_every_session(profiles_stack: Stack):
    async with ProfilesClient(profiles_stack.profiles_address) as p:
        name = fresh_name()
        first = await p.sign_up(name, PASSWORD)
        second = await p.log_in(name, PASSWORD)
        wrong = await failed(p.change_password(first.token, "not the password", "a new password"))
        assert wrong.code == grpc.StatusCode.PERMISSION_DENIED and "current password" in wrong.details
        for current, new in ((PASSWORD, "short"), (PASSWORD, "n" * 129), ("c" * 129, "a new password")):
            bad = await failed(p.change_password(first.token, current, new))
            assert bad.code == grpc.StatusCode.INVALID_ARGUMENT and "password" in bad.details
        assert (await p.account(second.token)).username == name  # refusals changed nothing
        session = await p.change_password(first.token, PASSWORD, "a new password")
        assert session.account.username == name and session.token not in (first.token, second.token)
        for ended in (first.token, second.token):
            assert (await failed(p.account(ended))).code == grpc.StatusCode.UNAUTHENTICATED
        again = await failed(p.change_password(first.token, PASSWORD, "yet another one"))
        assert again.code == grpc.StatusCode.UNAUTHENTICATED and again.attempts == 1  # never retried
        assert (await failed(p.log_in(name, PASSWORD))).code == grpc.StatusCode.UNAUTHENTICATED
        assert (await p.log_in(name, "a new password")).account.account_id == session.account.account_id


async def test_errors_have_the_contract_codes(profiles_stack: Stack):
    async with ProfilesClient(profiles_stack.profiles_address) as p:
        name = fresh_name()
        token = (await p.sign_up(name, PASSWORD)).token
        taken = await failed(p.sign_up(name, PASSWORD))
        assert taken.code == grpc.StatusCode.ALREADY_EXISTS and taken.attempts == 1
        wrong = await failed(p.log_in(name, "not the password"))
        unknown = await failed(p.log_in("nobody-here", PASSWORD))
        assert wrong.code == unknown.code == grpc.StatusCode.UNAUTHENTICATED
        assert wrong.details == unknown.details  # no hint which of the two was wrong
        assert (await failed(p.log_in("x", PASSWORD))).details == wrong.details  # not even for an impossible name
        for call in (p.sign_up("a", PASSWORD), p.sign_up("bad name!", PASSWORD), p.sign_up(fresh_name(), "short"),
                     p.sign_up(fresh_name(), PASSWORD, [(1, 4.2)]), p.put_rating(token, 1, 5.5),
                     p.put_rating(token, 0, 3), p.put_mark(token, 1, "liked"), p.app_stats(days=366)):
            assert (await failed(call)).code == grpc.StatusCode.INVALID_ARGUMENT
        for call in (p.account(""), p.profile("forged"), p.put_rating("forged", 1, 3), p.delete_account("forged")):
            assert (await failed(call)).code == grpc.StatusCode.UNAUTHENTICATED
        assert not (await p.log_out("forged")).revoked


async def test_app_stats_count_the_app(profiles_stack: Stack):
    async with ProfilesClient(profiles_stack.profiles_address) as p:
        before = await p.app_stats(days=7)
        token = (await p.sign_up(fresh_name(), PASSWORD, [(1, 0.5)])).token
        await p.put_rating(token, 2, 5)
        after = await p.app_stats(days=7)
        assert len(after.ratings_per_day) == 7
        assert after.ratings_per_day[-1].count - before.ratings_per_day[-1].count == 2
        assert after.accounts == before.accounts + 1 and after.active_accounts_1d == before.active_accounts_1d + 1
        assert after.rating_histogram[0] == before.rating_histogram[0] + 1
        assert after.rating_histogram[9] == before.rating_histogram[9] + 1


async def test_not_serving_until_the_database_answers(postgres_server, tmp_path: Path):
    """Health says NOT_SERVING (and calls get UNAVAILABLE) while the database is missing; SERVING once it exists."""
    name = f"late_{next(_names)}"
    stack = Stack(artifact_dir=Path("/nonexistent"), log_dir=tmp_path, database_url=postgres_server.url(name))
    try:
        with pytest.raises(RuntimeError, match="not ready"):
            stack.start_service("profiles", timeout=3)
        assert not grpc_serving(stack.profiles_address)
        async with ProfilesClient(stack.profiles_address, timeout=1) as p:
            assert (await failed(p.app_stats())).code == grpc.StatusCode.UNAVAILABLE
            with psycopg.connect(postgres_server.dsn("postgres"), autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            for _ in range(100):
                if await p.healthy():
                    break
                await asyncio.sleep(0.1)
            assert await p.healthy()
            assert (await p.app_stats()).accounts == 0
    finally:
        stack.stop()


async def test_a_sign_up_whose_caller_gave_up_writes_nothing(profiles_stack: Stack):
    """Hashing takes a while (argon2id over 64 MiB, three passes); when the caller's deadline passes during it,
    the account is not created, so the caller's retry does not find its own name taken. (Were the request to
    miss the server within the 20 ms, nothing would be written either: this cannot fail for speed.)"""
    async with ProfilesClient(profiles_stack.profiles_address) as p:
        name = fresh_name()
        with pytest.raises(CallError) as gave_up:
            await p.call("SignUp", p.stub.SignUp, profiles_pb2.SignUpRequest(username=name, password=PASSWORD),
                         timeout=0.02, retry=NO_RETRY)
        assert gave_up.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
        await asyncio.sleep(1.0)  # long enough for any hashing of the abandoned call to finish
        assert (await p.sign_up(name, PASSWORD)).account.username == name
