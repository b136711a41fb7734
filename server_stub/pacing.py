"""Run a batch action at a steady rate: the simulation and the benchmark stream.

    await paced(lambda: 5000.0, world.touch, seconds=2.0)   # about 10,000 events

Each tick (10 ms at high rates, up to 100 ms at low ones) works out how many
events are owed since the last one and emits them in one synchronous batch,
so 5,000 events/s needs 200 wake-ups a second rather than 5,000. The rate is
read every tick, so a control call can change it while this runs; 0 idles.
``clock`` and ``sleep`` are injectable, so a test drives the loop in fake time.
"""

from __future__ import annotations

import asyncio
import time
from typing import Awaitable, Callable

MIN_TICK = 0.01
MAX_TICK = 0.1
#: After a stall, catch up at most this many seconds' worth of events at once.
MAX_CATCH_UP = 0.25


async def paced(rate: Callable[[], float], emit: Callable[[int], object], seconds: float | None = None, *,
                clock: Callable[[], float] = time.monotonic,
                sleep: Callable[[float], Awaitable[object]] = asyncio.sleep) -> int:
    """Call ``emit(n)`` so that the n's add up to ``rate() * elapsed``; return the total."""
    start = last = clock()
    owed, total = 0.0, 0
    per_second = rate()
    while seconds is None or last - start < seconds:
        await sleep(MAX_TICK if per_second <= 0 else min(MAX_TICK, max(MIN_TICK, 1 / per_second)))
        per_second = rate()  # read after the sleep: a rate set to 0 emits nothing more
        now = clock()
        if seconds is not None:
            now = min(now, start + seconds)
        owed = min(owed + (now - last) * max(per_second, 0), max(1.0, per_second * MAX_CATCH_UP))
        last = now
        n = int(owed)
        if n:
            owed -= n
            emit(n)
            total += n
    return total
