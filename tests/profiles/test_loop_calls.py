"""LoopCalls (PostgreSQL's PutRating and GetProfile on the event loop) answer as ProfileStore's calls do, on a
private PostgreSQL, and keep their connections usable across server-side closes and cancelled calls."""
from __future__ import annotations

import asyncio
import time

import psycopg
import pytest
import uvloop
from sqlalchemy import select

from movierec.store import migrate
from movierec.store.engine import make_engine
from movierec.store.schema import events, ratings
from services.profiles.loop_calls import LoopCalls
from services.profiles.store import LimitReached, ProfileStore, Unauthenticated
from tests.profiles.test_store import DAY, Clock, accounts_to_read

pytestmark = pytest.mark.integration


@pytest.fixture
def setup(postgres_server):
    """(store, writer factory, admin dsn) on a fresh migrated database; both share one clock."""
    url = postgres_server.new_database()
    engine = make_engine(url)
    migrate.upgrade(engine)
    clock = Clock()
    store = ProfileStore(engine, session_ttl_seconds=DAY, clock=clock)
    yield store, (lambda **kw: LoopCalls(engine, 2, clock=clock, **kw)), \
        postgres_server.dsn(url.rsplit("/", 1)[1])
    engine.dispose()


def run(coro):
    return uvloop.run(coro)


def test_writes_replace_and_log_like_the_store(setup):
    store, new_writer, _ = setup
    token = store.sign_up("ann", "h", {}).token

    async def writes():
        writer = new_writer()
        try:
            answers = [await writer.put_rating(token, 10, 8), await writer.put_rating(token, 10, 3),
                       await writer.put_rating(token, 11, 10)]
        finally:
            await writer.close()
        return answers

    answers = run(writes())
    assert [(a.movie_id, a.half_stars, a.updated_ms) for a in answers] == [(10, 8, 1_760_000_000_000),
                                                                         (10, 3, 1_760_000_000_000),
                                                                         (11, 10, 1_760_000_000_000)]
    assert {r.movie_id: r.half_stars for r in store.profile(token)[1]} == {10: 3, 11: 10}
    log = [(e.kind, e.movie_id, e.half_stars) for e in store.export(token).events]
    assert log == [("account_created", None, None), ("rating_set", 10, 8), ("rating_set", 10, 3),
                   ("rating_set", 11, 10)]


def test_profiles_read_like_the_store(setup):
    store, new_writer, _ = setup
    ann, empty, gone = accounts_to_read(store)

    async def reads():
        calls = new_writer()
        try:
            store.clock.t += 1
            await calls.put_rating(ann.token, 5, 10)  # the newest rating comes first
            answers = [await calls.profile(ann.token), await calls.profile(empty.token)]
            for token in (gone.token, "", "x" * 500, "not-a-token"):
                with pytest.raises(Unauthenticated):
                    await calls.profile(token)
        finally:
            await calls.close()
        return answers

    answers = run(reads())
    assert answers == [store.profile(ann.token), store.profile(empty.token)]
    account, rated, marked = answers[0]
    assert (account.username, account.n_ratings) == ("ann", 3) and rated[0].movie_id == 5
    assert {(m.movie_id, m.kind) for m in marked} == {(7, "seen"), (9, "not_interested")}
    assert answers[1][0].n_ratings == 0 and answers[1][1:] == ([], [])


def test_no_live_session_and_a_full_account_are_refused_without_a_trace(setup):
    store, new_writer, _ = setup
    ann = store.sign_up("ann", "h", {1: 2, 2: 2, 3: 2})
    bob = store.sign_up("bob", "h", {})
    store.log_out(bob.token)

    async def attempts():
        writer = new_writer(max_ratings=3)
        try:
            for token in (bob.token, "", "x" * 500, "not-a-token"):
                with pytest.raises(Unauthenticated):
                    await writer.put_rating(token, 1, 10)
            await writer.put_rating(ann.token, 3, 10)  # changing an existing rating is always allowed
            with pytest.raises(LimitReached):
                await writer.put_rating(ann.token, 4, 10)
        finally:
            await writer.close()

    run(attempts())
    with store.engine.connect() as conn:
        assert conn.execute(select(ratings.c.movie_id, ratings.c.half_stars)
                            .order_by(ratings.c.movie_id)).all() == [(1, 2), (2, 2), (3, 10)]
        assert conn.execute(select(events.c.kind, events.c.movie_id).order_by(events.c.id.desc())).first() == \
            ("rating_set", 3)


def _terminate_writer_backends(dsn: str, pids: set[int]) -> None:
    with psycopg.connect(dsn, autocommit=True) as admin:
        for pid in pids:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(200):  # until they are gone, so their goodbye is on the pooled sockets
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = ANY(%s)", (list(pids),)).fetchone():
                return
            time.sleep(0.01)


def test_connections_the_server_closed_are_replaced(setup):
    store, new_writer, dsn = setup
    token = store.sign_up("ann", "h", {}).token

    async def scenario():
        writer = new_writer()
        try:
            await asyncio.gather(*(writer.put_rating(token, m, 4) for m in (1, 2)))  # both connections opened
            pids = {c.info.backend_pid for c in writer._idle}
            assert len(pids) == 2
            await asyncio.to_thread(_terminate_writer_backends, dsn, pids)
            await asyncio.gather(*(writer.put_rating(token, m, 6) for m in (1, 2)))  # no error reaches the caller
            assert pids.isdisjoint(c.info.backend_pid for c in writer._idle)
        finally:
            await writer.close()

    run(scenario())
    assert {r.movie_id: r.half_stars for r in store.profile(token)[1]} == {1: 6, 2: 6}


def test_a_cancelled_write_leaves_the_writer_usable(setup):
    store, new_writer, dsn = setup
    token = store.sign_up("ann", "h", {5: 2}).token

    async def scenario():
        writer = new_writer()
        try:
            with psycopg.connect(dsn) as blocker:  # holds the row lock the upsert needs until rollback
                blocker.execute("SELECT * FROM ratings WHERE movie_id = 5 FOR UPDATE")
                with pytest.raises(TimeoutError):
                    await asyncio.wait_for(writer.put_rating(token, 5, 9), 0.5)
                blocker.rollback()
            answer = await writer.put_rating(token, 6, 7)
            assert (answer.movie_id, answer.half_stars) == (6, 7)
            assert all(c.info.transaction_status == psycopg.pq.TransactionStatus.IDLE for c in writer._idle)
        finally:
            await writer.close()

    run(scenario())
    assert {r.movie_id: r.half_stars for r in store.profile(token)[1]}[6] == 7
