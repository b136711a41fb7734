"""Time for deadlines: read the clock, and run a callback once a delay has passed.

    time = ManualTime()                          # tests: time moves only when told
    handle = time.call_later(30, peer.end, 4401, "token expired")
    time.advance(31)                             # runs the callback (call it in the server's loop)

The stub's token expiry, its per-socket expiry deadline and its 24-hour
idempotency window all read one ``Time``, so a test can expire a token, close
a socket and forget an answer without sleeping. ``SystemTime`` is the real
clock and the running asyncio loop's timers: one timer per socket, no polling.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Callable, Protocol


class Handle(Protocol):
    def cancel(self) -> None: ...


class Time(Protocol):
    def now(self) -> float:
        """Seconds since the Unix epoch (UTC)."""

    def call_later(self, delay: float, callback: Callable, *args) -> Handle:
        """Run ``callback(*args)`` once, ``delay`` seconds from now, in the server's loop."""


class SystemTime:
    """The wall clock and the running loop's timers (call ``call_later`` from inside the loop)."""

    def now(self) -> float:
        return time.time()

    def call_later(self, delay: float, callback: Callable, *args) -> asyncio.TimerHandle:
        return asyncio.get_running_loop().call_later(max(0.0, delay), callback, *args)


class _ManualHandle:
    def __init__(self, callback: Callable, args: tuple) -> None:
        self.callback, self.args, self.cancelled = callback, args, False

    def cancel(self) -> None:
        self.cancelled = True


class ManualTime:
    """A clock that stands still until ``advance``; due callbacks run inside ``advance``, in order.

    Callbacks that touch the server's asyncio objects must run in its loop: from a
    TestClient test, ``client.portal.call(time.advance, 30)``.
    """

    #: Callbacks one ``advance`` may run: a callback that keeps rescheduling itself at
    #: no delay is a bug, reported rather than looped on forever.
    MAX_CALLBACKS = 100_000

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start
        self._due: list[tuple[float, int, _ManualHandle]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self._now

    def call_later(self, delay: float, callback: Callable, *args) -> _ManualHandle:
        handle = _ManualHandle(callback, args)
        heapq.heappush(self._due, (self._now + max(0.0, delay), next(self._order), handle))
        return handle

    def advance(self, seconds: float) -> int:
        """Move ``seconds`` forward, running every callback that falls due; returns how many ran."""
        target = self._now + seconds
        ran = 0
        while self._due and self._due[0][0] <= target:
            when, _, handle = heapq.heappop(self._due)
            self._now = max(self._now, when)
            if handle.cancelled:
                continue
            ran += 1
            if ran > self.MAX_CALLBACKS:
                raise RuntimeError("ManualTime.advance: callbacks keep rescheduling themselves")
            handle.callback(*handle.args)
        self._now = max(self._now, target)
        return ran

    def pending(self) -> int:
        """Callbacks scheduled and not cancelled (a test can check that a deadline was replaced)."""
        return sum(not h.cancelled for _, _, h in self._due)
