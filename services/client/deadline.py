"""One deadline for everything a piece of work calls: `with deadline(2.5): ...` caps every call inside it.

A per-call timeout alone lets a request that makes several calls (and retries them) take the sum of
their timeouts. Inside `deadline(seconds)` — the gateway opens one per HTTP request — each call of
the typed clients gets min(its own timeout, the time left), and a call started after the time is up
fails at once with DEADLINE_EXCEEDED without being sent. The deadline is a contextvar, so it follows
the work into the tasks it starts and never leaks into unrelated ones.
"""
from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator

# time.monotonic() by which the current work must be done; None = no overall deadline.
current_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("deadline", default=None)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[float]:
    """Runs the block under a deadline `seconds` from now (an enclosing, earlier deadline still wins)."""
    if not seconds > 0:
        raise ValueError(f"a deadline must be > 0 seconds, got {seconds}")
    until = time.monotonic() + seconds
    outer = current_deadline.get()
    effective = until if outer is None else min(outer, until)
    token = current_deadline.set(effective)
    try:
        yield effective
    finally:
        current_deadline.reset(token)


def time_left() -> float | None:
    """Seconds until the current deadline (<= 0 when it has passed), None when there is none."""
    until = current_deadline.get()
    return None if until is None else until - time.monotonic()


def capped(timeout: float) -> float:
    """`timeout`, or less when the current deadline comes sooner (<= 0 when it has passed)."""
    left = time_left()
    return timeout if left is None else min(timeout, left)
