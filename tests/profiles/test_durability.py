"""Nothing acknowledged is lost: a burst of writes, SIGKILL in the middle, restart, every acknowledged write is there."""
from __future__ import annotations

import asyncio
import signal

import pytest

from scripts.stack import Stack
from services.client import NO_RETRY, CallError, ProfilesClient

WRITERS = 8
ACKS_BEFORE_KILL = 200


async def test_acknowledged_writes_survive_sigkill(profiles_stack: Stack):
    async with ProfilesClient(profiles_stack.profiles_address, timeout=5, retry=NO_RETRY) as p:
        token = (await p.sign_up(f"durable-{profiles_stack.profiles_port}", "correct horse")).token
        acked: dict[int, float] = {}
        failures: list[CallError] = []
        enough = asyncio.Event()

        async def writer(w: int) -> None:
            for i in range(10_000):  # bounded; the kill ends it long before
                movie = 1 + w + WRITERS * i
                rating = 0.5 + (movie % 10) / 2
                try:
                    await p.put_rating(token, movie, rating)
                except CallError as e:
                    failures.append(e)
                    return
                acked[movie] = rating
                if len(acked) >= ACKS_BEFORE_KILL:
                    enough.set()

        tasks = [asyncio.create_task(writer(w)) for w in range(WRITERS)]
        await asyncio.wait_for(enough.wait(), 60)
        process = next(pr for pr in profiles_stack.processes if pr.name == "profiles")
        process.popen.send_signal(signal.SIGKILL)  # with writes in flight
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
        assert process.popen.wait(10) == -signal.SIGKILL
        assert len(failures) == WRITERS  # every writer was cut off by the kill, none finished early
        profiles_stack.processes.remove(process)

    profiles_stack.start_service("profiles")  # the same port and database
    async with ProfilesClient(profiles_stack.profiles_address) as p:
        stored = {r.movie_id: r.rating for r in (await p.profile(token)).ratings}
        logged = {e.movie_id for e in (await p.export(token)).events if e.kind == "rating_set"}
    lost = {m: r for m, r in acked.items() if stored.get(m) != r}
    assert not lost, f"{len(lost)} acknowledged writes lost or changed: {sorted(lost)[:10]}"
    assert set(acked) <= logged
    # At most the writes in flight at the kill may be stored without an acknowledgement.
    assert len(stored) - len(acked) <= WRITERS
