"""DatabaseProbe: health follows whether the database answers, both ways, and a stuck probe counts as a failure."""
from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from movierec.store.engine import make_engine
from services.profiles.db_health import DatabaseProbe


async def test_health_turns_off_while_the_database_cannot_be_opened_and_on_once_it_can(tmp_path: Path):
    # SQLite cannot open a file in a directory that does not exist: the database is "down" until it is made.
    engine = make_engine(f"sqlite:///{tmp_path / 'later' / 'store.sqlite3'}", pool_size=1)
    changes: list[bool] = []
    changed = asyncio.Event()

    async def on_change(ok: bool) -> None:
        changes.append(ok)
        changed.set()

    probe = DatabaseProbe(engine, interval=0.01, timeout=5.0, on_change=on_change)
    assert await probe.check() is False
    running = asyncio.create_task(probe.run())
    try:
        await asyncio.wait_for(changed.wait(), 30)
        assert changes == [False]
        changed.clear()
        (tmp_path / "later").mkdir()
        await asyncio.wait_for(changed.wait(), 30)
        assert changes == [False, True] and probe.healthy
        assert await probe.check() is True
    finally:
        running.cancel()
        engine.dispose()


async def test_a_probe_that_does_not_return_is_a_failure_and_is_not_doubled(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}", pool_size=1)
    probe = DatabaseProbe(engine, interval=1.0, timeout=0.05, on_change=lambda ok: asyncio.sleep(0))
    release = threading.Event()
    calls: list[int] = []

    def stuck() -> None:  # a connection to a server that stopped answering
        calls.append(1)
        release.wait(30)

    probe._select_one = stuck  # type: ignore[method-assign]
    try:
        assert await probe.check() is False
        assert await probe.check() is False
        assert calls == [1]  # the second probe did not start beside the stuck one
    finally:
        release.set()
        engine.dispose()
