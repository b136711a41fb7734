"""The stub process's heap: the world frozen once built, and again as the collector runs.

    task = asyncio.create_task(keep_frozen(HeapKeeper(every=50)))   # __main__.serve does this

Why: CPython's full collection walks every tracked object. With 50,000
deliveries that is about 180,000 (the models, their dicts and field sets),
100-700 ms on this machine, once every ten-odd seconds of a 1,000 events/s
stream: every event stamped just before such a pause reaches every page
that much later (the benchmark's plain-JavaScript page showed it as a p95
of 250 ms). Frozen objects (``gc.freeze()``) are skipped by every
collection, so a pause costs what changed since the last freeze. The same
``app.heap.HeapKeeper`` does this in the browser.

Only the server process does it (``python -m server_stub``): tests that
build many stubs in one process keep their collector as it was.
"""

from __future__ import annotations

import asyncio
import gc

from app.heap import HeapKeeper

#: Seconds between two checks of whether a freeze is due (a freeze itself is a few list splices).
CHECK_EVERY = 1.0
#: Collections between freezes: CPython 3.11 runs one per 700 new objects, so about 35,000 objects.
COLLECTIONS = 50


async def keep_frozen(heap: HeapKeeper, interval: float = CHECK_EVERY, collect_first: bool = True) -> None:
    """Freeze the world as built, then whenever ``heap`` says so, until cancelled."""
    if collect_first:
        gc.collect()  # what building the world left over, before it is frozen for good
    heap.start()
    try:
        heap.board_loaded()
        while True:
            await asyncio.sleep(interval)
            heap.maybe_freeze()
    finally:
        heap.stop()
