"""ProfileStore's contract, the same tests on a SQLite file and on a private PostgreSQL server."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from movierec.store import migrate
from movierec.store.engine import make_engine
from movierec.store.schema import accounts, events, marks, metadata, ratings, sessions
from services.profiles import app_stats
from services.profiles.store import (
    MAX_RATINGS,
    LimitReached,
    NewSession,
    ProfileStore,
    Unauthenticated,
    UsernameTaken,
)
from services.profiles.values import half_stars, initial_ratings

DAY = 86_400.0


class Clock:
    def __init__(self, t: float = 1_760_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(store_url, clock) -> ProfileStore:
    engine = make_engine(store_url)
    migrate.upgrade(engine)
    yield ProfileStore(engine, session_ttl_seconds=DAY, clock=clock)
    engine.dispose()


def accounts_to_read(store: ProfileStore) -> tuple[NewSession, NewSession, NewSession]:
    """Sessions of three accounts: ann with ratings and both kinds of marks, eve with nothing, bob logged out."""
    ann = store.sign_up("ann", "h", {3: 6, 1: 8})
    store.put_mark(ann.token, 7, "seen")
    store.put_mark(ann.token, 9, "not_interested")
    empty = store.sign_up("eve", "h", {})
    gone = store.sign_up("bob", "h", {2: 2})
    store.log_out(gone.token)
    return ann, empty, gone


def rows(store: ProfileStore, table) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_sign_up_stores_initial_ratings_and_opens_a_session(store):
    s = store.sign_up("ann", "hash", {1: 9, 50: 2})
    assert s.account.username == "ann" and s.account.n_ratings == 2 and len(s.token) == 43
    assert store.account(s.token).account_id == s.account.account_id
    account, rated, marked = store.profile(s.token)
    assert sorted((r.movie_id, r.half_stars) for r in rated) == [(1, 9), (50, 2)] and marked == []
    kinds = [e.kind for e in store.export(s.token).events]
    assert kinds == ["account_created", "rating_set", "rating_set"]


def test_the_token_is_stored_only_as_its_digest(store):
    s = store.sign_up("ann", "hash", {})
    with store.engine.connect() as conn:
        stored = conn.execute(select(sessions.c.token_sha256)).scalars().all()
    assert len(stored) == 1 and stored[0] != s.token and len(stored[0]) == 64


def test_duplicate_username_is_refused(store):
    store.sign_up("ann", "hash", {})
    with pytest.raises(UsernameTaken):
        store.sign_up("ann", "other", {})
    assert rows(store, accounts) == 1


def test_put_rating_replaces_and_logs_every_write(store):
    token = store.sign_up("ann", "h", {}).token
    store.put_rating(token, 10, 8)
    store.put_rating(token, 10, 3)
    store.put_rating(token, 11, 10)
    rated = {r.movie_id: r.half_stars for r in store.profile(token)[1]}
    assert rated == {10: 3, 11: 10}
    assert store.delete_rating(token, 10) is True
    assert store.delete_rating(token, 10) is False  # idempotent: nothing left to remove, nothing logged
    log = [(e.kind, e.movie_id, e.half_stars) for e in store.export(token).events]
    assert log == [("account_created", None, None), ("rating_set", 10, 8), ("rating_set", 10, 3),
                   ("rating_set", 11, 10), ("rating_removed", 10, None)]


def test_marks_both_kinds_and_removal(store):
    token = store.sign_up("ann", "h", {}).token
    first = store.put_mark(token, 5, "seen")
    store.put_mark(token, 5, "not_interested")
    assert store.put_mark(token, 5, "seen").created_ms == first.created_ms  # marking again keeps the first time
    assert sorted((m.movie_id, m.kind) for m in store.profile(token)[2]) == [(5, "not_interested"), (5, "seen")]
    assert store.delete_mark(token, 5, "seen") is True and store.delete_mark(token, 5, "seen") is False
    assert [(m.movie_id, m.kind) for m in store.profile(token)[2]] == [(5, "not_interested")]


def test_profile_is_the_account_with_its_lists_in_order(store, clock):
    """profile() in one statement: the account first, ratings most recently set first, marks most recent first,
    ties by movie (and kind); an account with nothing rated or marked is still found; a dead token is not."""
    s = store.sign_up("ann", "h", {})
    assert store.profile(s.token) == (s.account, [], [])
    other = store.sign_up("bob", "h", {7: 4}).token
    store.put_mark(other, 8, "seen")  # another account's rows never show
    for movie, stars in ((30, 6), (10, 8), (20, 2)):
        store.put_rating(s.token, movie, stars)  # all at one time: ordered by movie id
    clock.t += 1
    store.put_rating(s.token, 40, 10)
    store.put_mark(s.token, 20, "seen")
    store.put_mark(s.token, 20, "not_interested")
    store.put_mark(s.token, 10, "seen")
    clock.t += 1
    store.put_mark(s.token, 50, "not_interested")
    account, rated, marked = store.profile(s.token)
    assert (account.account_id, account.username, account.created_ms, account.n_ratings) == (
        s.account.account_id, "ann", s.account.created_ms, 4)
    later, earlier = int(clock.t * 1000) - 1000, int(clock.t * 1000) - 2000
    assert [(r.movie_id, r.half_stars, r.updated_ms) for r in rated] == [
        (40, 10, later), (10, 8, earlier), (20, 2, earlier), (30, 6, earlier)]
    assert [(m.movie_id, m.kind, m.created_ms) for m in marked] == [
        (50, "not_interested", later + 1000), (10, "seen", later), (20, "not_interested", later), (20, "seen", later)]
    store.log_out(s.token)
    for dead in (s.token, "", "not-a-token"):
        with pytest.raises(Unauthenticated):
            store.profile(dead)


def test_one_account_never_sees_or_changes_another(store):
    ann = store.sign_up("ann", "h", {1: 10}).token
    bob = store.sign_up("bob", "h", {2: 2}).token
    store.put_rating(bob, 1, 1)
    store.delete_rating(bob, 1)
    assert [(r.movie_id, r.half_stars) for r in store.profile(ann)[1]] == [(1, 10)]
    assert [(r.movie_id, r.half_stars) for r in store.profile(bob)[1]] == [(2, 2)]
    store.delete_account(bob)
    assert store.account(ann).n_ratings == 1


def test_sessions_expire_and_log_out_revokes(store, clock):
    s = store.sign_up("ann", "h", {})
    second = store.log_in(s.account.account_id)
    assert second.token != s.token  # a new token on every sign-in
    assert store.log_out(s.token) is True and store.log_out(s.token) is False
    for refused in (store.account, store.profile, lambda t: store.put_rating(t, 1, 10)):
        with pytest.raises(Unauthenticated):
            refused(s.token)  # the very next call after the log-out
    assert store.account(second.token).username == "ann"
    clock.t += DAY + 1
    for token in (second.token, "", "x" * 500, "not-a-token"):
        with pytest.raises(Unauthenticated):
            store.put_rating(token, 1, 10)
    assert rows(store, ratings) == 0


def test_a_password_change_ends_every_session_and_opens_one(store):
    ann = store.sign_up("ann", "old hash", {1: 10})
    other = store.log_in(ann.account.account_id)
    bob = store.sign_up("bob", "bob's hash", {})
    assert store.session_password_hash(ann.token) == (ann.account.account_id, "old hash")
    changed = store.change_password(ann.token, "new hash")
    assert changed.token not in (ann.token, other.token) and changed.account == store.account(changed.token)
    for ended in (ann.token, other.token):
        with pytest.raises(Unauthenticated):
            store.account(ended)
        with pytest.raises(Unauthenticated):
            store.change_password(ended, "a third hash")  # an ended session changes nothing
    assert store.password_hash("ann") == (ann.account.account_id, "new hash")
    assert store.password_hash("bob") == (bob.account.account_id, "bob's hash")
    assert store.account(bob.token).username == "bob"  # another account's sessions live on
    assert [r.movie_id for r in store.profile(changed.token)[1]] == [1]
    with pytest.raises(Unauthenticated):
        store.session_password_hash("not-a-token")


def test_delete_account_leaves_nothing(store):
    ann = store.sign_up("ann", "h", {1: 10, 2: 4})
    store.put_mark(ann.token, 3, "seen")
    store.log_in(ann.account.account_id)
    bob = store.sign_up("bob", "h", {7: 7})
    store.put_mark(bob.token, 3, "seen")
    counts = store.delete_account(ann.token)
    assert counts == {"ratings": 2, "marks": 1, "events": 4, "sessions": 2, "account_id": ann.account.account_id}
    with store.engine.connect() as conn:
        for table in (sessions, ratings, marks, events):
            owners = set(conn.execute(select(table.c.account_id)).scalars())
            assert owners == {bob.account.account_id}, table.name
        assert conn.execute(select(accounts.c.username)).scalars().all() == ["bob"]
    for refused in (store.account, store.profile, lambda t: store.put_rating(t, 1, 10)):
        with pytest.raises(Unauthenticated):
            refused(ann.token)
    # A new account never gets the deleted one's id (the model's user id of an account derives from it).
    assert store.sign_up("cat", "h", {}).account.account_id > bob.account.account_id


def test_rating_limit_per_account(store, monkeypatch):
    monkeypatch.setattr("services.profiles.store.MAX_RATINGS", 3)
    token = store.sign_up("ann", "h", {1: 2, 2: 2, 3: 2}).token
    store.put_rating(token, 3, 10)  # changing an existing rating is always allowed
    with pytest.raises(LimitReached):
        store.put_rating(token, 4, 10)
    assert store.account(token).n_ratings == 3
    # The refused write left no trace: the 3 initial ratings, the change of movie 3, nothing for movie 4.
    assert [(e.kind, e.movie_id) for e in store.export(token).events][-1] == ("rating_set", 3)
    assert rows(store, events) == 1 + 3 + 1
    assert MAX_RATINGS == 10_000


def test_export_truncates_to_the_newest_events(store):
    token = store.sign_up("ann", "h", {}).token
    for movie in range(1, 6):
        store.put_rating(token, movie, 10)
    export = store.export(token, max_events=3)
    assert export.events_truncated and [e.movie_id for e in export.events] == [3, 4, 5]
    assert not store.export(token).events_truncated and len(store.export(token).sessions) == 1


def test_app_stats(store, clock):
    ann = store.sign_up("ann", "h", {1: 10}).token
    clock.t -= 3 * DAY  # bob signed up and rated three days ago
    bob = store.sign_up("bob", "h", {}).token
    store.put_rating(bob, 2, 1)
    store.put_rating(bob, 3, 10)
    clock.t += 3 * DAY
    stats = app_stats.app_stats(store.engine, 5, store.now_ms())
    assert stats.accounts == 2 and stats.ratings == 3
    assert stats.active_accounts == {1: 1, 7: 2, 30: 2}
    assert stats.rating_histogram == [1, 0, 0, 0, 0, 0, 0, 0, 0, 2]
    assert [c for _, c in stats.ratings_per_day] == [0, 2, 0, 0, 1]
    assert stats.ratings_per_day[-1][0] == "2025-10-09"  # the clock's UTC day
    store.put_rating(ann, 1, 4)  # a change of rating is another rating set that day, not another stored one
    assert app_stats.app_stats(store.engine, 1, store.now_ms()).ratings_per_day == [("2025-10-09", 2)]
    assert app_stats.app_stats(store.engine, 1, store.now_ms()).ratings == 3


@pytest.mark.parametrize("rating,expected", [(0.5, 1), (3.0, 6), (4.5, 9), (5.0, 10)])
def test_half_stars_accepts_the_scale(rating, expected):
    assert half_stars(rating) == expected


@pytest.mark.parametrize("rating", [0.0, 0.25, 4.75, 5.5, -1.0, float("nan"), float("inf")])
def test_half_stars_refuses_the_rest(rating):
    with pytest.raises(ValueError, match="0.5..5 in steps of 0.5"):
        half_stars(rating)


def test_initial_ratings_name_the_bad_item():
    assert initial_ratings([(1, 4.0), (1, 5.0)], 10) == {1: 10}
    with pytest.raises(ValueError, match=r"initial_ratings\[1\]: movie_id"):
        initial_ratings([(1, 4.0), (0, 5.0)], 10)
    with pytest.raises(ValueError, match="at most 2 initial ratings"):
        initial_ratings([(1, 4.0)] * 3, 2)


def test_schema_has_the_tables_the_tests_check():
    assert set(metadata.tables) == {"accounts", "sessions", "ratings", "marks", "events"}
