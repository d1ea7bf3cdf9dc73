"""Progress lines for the long phases of `train` (with elapsed seconds) and the process's peak memory."""
from __future__ import annotations

import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


def peak_rss_gb() -> float:
    """Peak resident memory of this process so far, in GB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Prints `name ...` on stderr when a phase starts and `name: N s` when it ends."""
    print(f"{name} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    yield
    print(f"{name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
