"""Start-up objects moved out of the garbage collector's reach, so its full collections stay short."""
from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Collects once, then freezes every object alive now (imports, app, model, index) into the permanent
    generation: the cyclic collector never scans them again.

    Without it each full collection walks the whole start-up heap (~80,000 objects in a gateway worker):
    pauses of 20-60 ms seen under load on the 2-core machine (bench/load/RESULTS.md), every request of
    the process waiting behind them. Frozen objects are still freed by reference counting when dropped.
    """
    gc.collect()
    gc.freeze()
