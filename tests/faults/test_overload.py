"""A frozen backend cannot exhaust the gateway; SIGTERM drains in-flight requests; liveness vs readiness."""
from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Iterator

import httpx
import pytest

from bench.faults.scenarios import running
from scripts.stack import Stack
from tests.faults.conftest import StartGateway, sample

pytestmark = pytest.mark.integration  # real processes and servers on loopback

DEADLINE_S = 2.0


@contextlib.contextmanager
def frozen(stack: Stack, name: str) -> Iterator[None]:
    """SIGSTOPs a backend: connections stay open but nothing answers (a hung process, not a dead one)."""
    proc = running(stack, name)
    proc.popen.send_signal(signal.SIGSTOP)
    try:
        yield
    finally:
        proc.popen.send_signal(signal.SIGCONT)


def body(n: int) -> dict[str, object]:
    return {"movies": ["toy story", f"uncached title {n} {time.time()}"], "top_k": 3}


async def test_frozen_scorer_gets_quick_503s_beyond_the_in_flight_limit(stack: Stack,
                                                                     start_gateway: StartGateway) -> None:
    _, url = start_gateway(max_in_flight="4")
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        with frozen(stack, "scorer"):
            start = time.monotonic()
            calls = [client.post("/recommend/titles", json=body(n)) for n in range(20)]
            live = client.get("/health/live")
            replies = await asyncio.gather(*calls, live)
            elapsed = time.monotonic() - start
        *answers, live_reply = replies
        assert live_reply.status_code == 200  # liveness is not held up by the frozen backend
        assert all(a.status_code == 503 and a.headers["retry-after"] for a in answers), \
            [(a.status_code, a.text) for a in answers]
        busy = [a for a in answers if "busy" in a.json()["detail"]]
        assert len(busy) >= 20 - 4, [a.json() for a in answers]  # at most 4 waited for the deadline
        assert elapsed < 3 * DEADLINE_S  # nothing waited on the frozen scorer past its deadline
        # Thawed: served again, and the refusals were counted.
        for _ in range(50):
            if (await client.post("/recommend/titles", json=body(99))).status_code == 200:
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("no recovery after SIGCONT")
        metrics = (await client.get("/metrics")).text
        assert sample(metrics, "movierec_http_rejected_total", reason="overloaded") == len(busy)


async def test_sigterm_drains_in_flight_requests(stack: Stack, start_gateway: StartGateway) -> None:
    proc, url = start_gateway()
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        with frozen(stack, "scorer"):  # holds the requests in flight
            calls = asyncio.gather(*(client.post("/recommend/titles", json=body(n)) for n in range(3)))
            await asyncio.sleep(0.5)
            proc.popen.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.5)
        answers = await calls  # the scorer answers once thawed, inside the deadline
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    assert await asyncio.to_thread(proc.popen.wait, 15) == 0


async def test_liveness_answers_while_readiness_says_down(stack: Stack, start_gateway: StartGateway) -> None:
    _, url = start_gateway(scorer_address="127.0.0.1:1")  # nothing listens: never ready
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        live, ready = await asyncio.gather(client.get("/health/live"), client.get("/health"))
    assert live.status_code == 200
    assert ready.status_code == 503 and ready.json()["dependencies"]["scorer"] == "down"
