"""SqliteProfileReads (SQLite's GetProfile on the event loop) answers as ProfileStore.profile does, and the service
falls back to the store's own read, with its status codes, when the loop's read fails."""
from __future__ import annotations

import sqlite3
from pathlib import Path

import grpc
import pytest

from movierec.store import migrate
from movierec.store.engine import make_engine
from scripts.stack import Stack
from services.client import NO_RETRY, CallError, ProfilesClient
from services.profiles.sqlite_reads import SqliteProfileReads
from services.profiles.store import ProfileStore, Unauthenticated
from tests.profiles.test_store import DAY, Clock, accounts_to_read


@pytest.fixture
def store(tmp_path) -> ProfileStore:
    engine = make_engine(f"sqlite:///{tmp_path / 'profiles.sqlite3'}")
    migrate.upgrade(engine)
    yield ProfileStore(engine, session_ttl_seconds=DAY, clock=Clock())
    engine.dispose()


def test_profiles_read_like_the_store(store):
    ann, empty, gone = accounts_to_read(store)
    reads = SqliteProfileReads(store.engine, clock=store.clock)
    try:
        store.clock.t += 1
        store.put_rating(ann.token, 5, 10)  # committed by the store's engine, seen by the next read at once
        answers = [reads.profile(ann.token), reads.profile(empty.token)]
        for token in (gone.token, "", "x" * 500, "not-a-token"):
            with pytest.raises(Unauthenticated):
                reads.profile(token)
        store.clock.t += 2 * DAY  # ann's session has expired
        with pytest.raises(Unauthenticated):
            reads.profile(ann.token)
        with pytest.raises(sqlite3.OperationalError):  # it cannot write, whatever it is asked
            reads.conn.execute("DELETE FROM ratings")
    finally:
        reads.close()
    store.clock.t -= 2 * DAY
    assert answers == [store.profile(ann.token), store.profile(empty.token)]
    account, rated, marked = answers[0]
    assert (account.username, account.n_ratings) == ("ann", 3) and rated[0].movie_id == 5
    assert {(m.movie_id, m.kind) for m in marked} == {(7, "seen"), (9, "not_interested")}


@pytest.fixture
def sqlite_profiles(tmp_path) -> Stack:
    stack = Stack(artifact_dir=Path("/nonexistent"), log_dir=tmp_path)  # the store: a SQLite file in log_dir
    try:
        stack.start_service("profiles")
        yield stack
    finally:
        stack.stop()


@pytest.mark.integration
async def test_a_failed_loop_read_gets_the_stores_answer_and_status(sqlite_profiles: Stack):
    async with ProfilesClient(sqlite_profiles.profiles_address, retry=NO_RETRY) as p:
        token = (await p.sign_up("ann", "correct horse", [(1, 4.5)])).token
        assert [r.movie_id for r in (await p.profile(token)).ratings] == [1]
        path = sqlite_profiles.profiles_database_url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as admin:  # the read's statement now fails in SQLite itself
            admin.execute("PRAGMA foreign_keys=OFF")
            admin.execute("DROP TABLE marks")
        with pytest.raises(CallError) as failed:
            await p.profile(token)
        # The store's mapping of a database error, not UNKNOWN from an exception escaping the servicer.
        assert failed.value.code == grpc.StatusCode.UNAVAILABLE
        assert "not carried out" in failed.value.details
