"""Slow and oversized clients against a real gateway process, over raw sockets on loopback.

Stalled uploads and half-sent headers must hold no in-flight slot and get a bounded time; oversized
heads a 431 JSON; other clients are served meanwhile.
"""
from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.faults.conftest import StartGateway, sample

pytestmark = pytest.mark.integration  # real processes and servers on loopback

BODY = {"movies": ["toy story", "heat"], "top_k": 3}
UPLOAD_HEAD = (b"POST /recommend/titles HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
               b"Content-Length: 100\r\n\r\n")
PATIENCE = 60.0  # seconds a test waits for an answer the server owes; generous, never asserted on


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=PATIENCE)
    return sock


@contextlib.contextmanager
def stalled(url: str, n: int, data: bytes) -> Iterator[list[socket.socket]]:
    """n connections that sent `data` and then nothing more."""
    socks = []
    try:
        for _ in range(n):
            socks.append(connect(url))
            socks[-1].sendall(data)
        yield socks
    finally:
        for s in socks:
            s.close()


def read_answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection; TimeoutError if it has not after PATIENCE."""
    chunks = []
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def json_answer(raw: bytes) -> tuple[int, dict[str, str], dict]:
    """(status, headers, JSON body) of one raw HTTP/1.1 answer."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    assert headers["content-type"] == "application/json", raw[:300]
    return int(lines[0].split()[1]), headers, json.loads(body)


def serve_normally(url: str, n: int = 10) -> list[int]:
    with httpx.Client(base_url=url, timeout=PATIENCE) as client:
        return [client.post("/recommend/titles", json=BODY).status_code for _ in range(n)]


def test_stalled_uploads_hold_no_in_flight_slot(start_gateway: StartGateway) -> None:
    _, url = start_gateway(max_in_flight="4", body_timeout_seconds="120", header_timeout_seconds="120")
    # Four times the slots: each declared 100 bytes and sent 10. Before the fix every slot was taken.
    with stalled(url, 16, UPLOAD_HEAD + b'{"movies":'):
        assert serve_normally(url) == [200] * 10
        metrics = httpx.get(url + "/metrics").text
    assert sample(metrics, "movierec_http_rejected_total", reason="overloaded") in (None, 0.0)


def test_half_sent_headers_hold_nothing_and_others_are_served(start_gateway: StartGateway) -> None:
    _, url = start_gateway(max_in_flight="4", header_timeout_seconds="120")
    with stalled(url, 64, b"POST /recommend/titles HTTP/1.1\r\nHost: gateway\r\nContent-"):
        assert serve_normally(url) == [200] * 10


def test_a_stalled_body_gets_408_json_and_the_connection_is_closed(start_gateway: StartGateway) -> None:
    _, url = start_gateway(body_timeout_seconds="1")
    with stalled(url, 1, UPLOAD_HEAD + b'{"movies":') as (sock,):
        status, headers, body = json_answer(read_answer(sock))
    assert status == 408 and "body not received within 1 s" in body["detail"]
    assert headers["connection"] == "close" and headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("trickle", [False, True], ids=["stalled", "one-byte-at-a-time"])
def test_slow_headers_get_408_json_within_the_header_timeout(start_gateway: StartGateway, trickle: bool) -> None:
    _, url = start_gateway(header_timeout_seconds="1")
    sock = connect(url)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: gateway\r\n")
    if trickle:  # a byte every 0.1 s keeps the connection busy, but the bound is on the whole head
        sock.settimeout(0.1)
        give_up = time.monotonic() + PATIENCE
        while time.monotonic() < give_up:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(b"x")
            with contextlib.suppress(TimeoutError):
                if sock.recv(1, socket.MSG_PEEK):
                    break
        sock.settimeout(PATIENCE)
    status, headers, body = json_answer(read_answer(sock))
    sock.close()
    assert status == 408 and "headers not received within 1 s" in body["detail"]


def test_idle_connections_are_closed(start_gateway: StartGateway) -> None:
    _, url = start_gateway(header_timeout_seconds="1", keep_alive_seconds="1")
    never_spoke = connect(url)
    assert read_answer(never_spoke) == b""  # closed without a word
    kept_alive = connect(url)
    kept_alive.sendall(b"GET /health/live HTTP/1.1\r\nHost: gateway\r\n\r\n")
    answer = read_answer(kept_alive)  # the answer, then the close once the keep-alive time is up
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b'{"status":"alive"}')


@pytest.mark.parametrize(("head", "detail"), [
    (b"GET /health HTTP/1.1\r\nHost: gateway\r\nX-Big: " + b"a" * 4_000_000 + b"\r\n\r\n", "too large"),
    (b"GET /health HTTP/1.1\r\nHost: gateway\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n", "too large"),
    (b"GET /health?" + b"q" * 20_000 + b" HTTP/1.1\r\nHost: gateway\r\n\r\n", "too large"),
    (b"GET /health HTTP/1.1\r\n" + b"".join(b"X-H%d: 1\r\n" % i for i in range(101)) + b"\r\n", "too many"),
], ids=["4MB-header", "20KB-header", "20KB-url", "101-headers"])
def test_oversized_heads_get_431_json(start_gateway: StartGateway, head: bytes, detail: str) -> None:
    _, url = start_gateway()  # defaults: 16 KiB, 100 headers
    sock = connect(url)
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # refused before the end was sent
        sock.sendall(head)
    status, headers, body = json_answer(read_answer(sock))
    sock.close()
    assert status == 431 and detail in body["detail"] and headers["connection"] == "close"
    assert httpx.get(url + "/health/live").status_code == 200


def test_heads_within_the_limits_are_served(start_gateway: StartGateway) -> None:
    _, url = start_gateway()
    headers = {f"x-h{i}": "1" for i in range(90)} | {"x-big": "a" * 12_000}
    assert httpx.get(url + "/health/live", headers=headers).status_code == 200


def test_an_unparsable_request_is_400_json(start_gateway: StartGateway) -> None:
    _, url = start_gateway()
    sock = connect(url)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost gateway\r\n\r\n")
    status, _, body = json_answer(read_answer(sock))
    sock.close()
    assert status == 400 and body == {"detail": "invalid HTTP request"}
