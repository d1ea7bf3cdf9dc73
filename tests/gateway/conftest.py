"""Gateway test fixtures: the app run in-process (lifespan included) against real Redis and backends."""
from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi import FastAPI

from scripts.stack import Stack, free_port
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.gateway.state import GatewayState

GATEWAY_DB = 3  # the gateway tests' own database in the shared test Redis, flushed per gateway


@dataclass
class Gateway:
    """A running in-process gateway: an HTTP client bound to it and the app itself."""

    client: httpx.AsyncClient
    app: FastAPI
    settings: GatewaySettings

    @property
    def state(self) -> GatewayState:
        return self.app.state.gateway


OpenGateway = Callable[..., AbstractAsyncContextManager[Gateway]]


@asynccontextmanager
async def run_gateway(settings: GatewaySettings) -> AsyncIterator[Gateway]:
    """Runs the app's lifespan start-up, yields a client, then runs the shutdown."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gateway.test") as client:
            yield Gateway(client, app, settings)


def closed_address() -> str:
    """host:port where nothing listens (connections are refused)."""
    return f"127.0.0.1:{free_port()}"


@pytest.fixture
def gateway_redis_url(redis_url: str) -> str:
    """The shared test Redis, on a database of the gateway tests' own."""
    return redis_url.rsplit("/", 1)[0] + f"/{GATEWAY_DB}"


@pytest.fixture
async def flush_gateway_db(gateway_redis_url: str) -> None:
    client = aioredis.Redis.from_url(gateway_redis_url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


@pytest.fixture
def open_gateway(backends: Stack, gateway_redis_url: str, flush_gateway_db: None) -> OpenGateway:
    """`async with open_gateway(**settings) as gw`: a gateway on the real matcher, scorer and Redis."""

    def open_(**overrides: object) -> AbstractAsyncContextManager[Gateway]:
        values = {"matcher_address": backends.matcher_address, "scorer_address": backends.scorer_address,
                  "profiles_address": backends.profiles_address, "redis_url": gateway_redis_url, **overrides}
        return run_gateway(GatewaySettings(**values))

    return open_


@pytest.fixture
def private_redis(tmp_path: Path) -> Stack:
    """A redis-server of this test alone, so the test may stop, pause and restart it."""
    stack = Stack(artifact_dir=Path("/nonexistent"), log_dir=tmp_path)
    stack.start_redis()
    yield stack
    stack.stop()


@pytest.fixture
def black_hole() -> str:
    """host:port of a socket that accepts connections but never answers (calls hit their deadline)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)  # never accept(): the kernel completes handshakes, nobody speaks HTTP/2
    yield f"127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


@pytest.fixture
async def gateway_without_backends(gateway_redis_url: str) -> AsyncIterator[Gateway]:
    """A gateway whose matcher, scorer and profiles addresses refuse connections (a request that got past
    validation would be a 503), for what the gateway answers by itself: validation, the page."""
    settings = GatewaySettings(matcher_address=closed_address(), scorer_address=closed_address(),
                               profiles_address=closed_address(),
                               redis_url=gateway_redis_url)
    async with run_gateway(settings) as gateway:
        yield gateway


@pytest.fixture
def reloading_backends_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], Stack]]:
    """`reloading_backends_on(root)`: matcher and scorer processes on an artifact root they poll every 0.1 s
    (stopped after the test)."""
    stacks: list[Stack] = []

    def start(root: Path) -> Stack:
        monkeypatch.setenv("SCORER_RELOAD_SECONDS", "0.1")
        monkeypatch.setenv("MATCHER_RELOAD_SECONDS", "0.1")
        stacks.append(Stack(artifact_dir=root, log_dir=tmp_path))
        stacks[-1].start_service("matcher")
        stacks[-1].start_service("scorer")
        return stacks[-1]

    try:
        yield start
    finally:
        for stack in stacks:
            stack.stop()
