"""The browser's clock and time zone for ``app.timefmt``, and a repeating timer panels cancel on unmount.

    ticker = Every(30, self._refresh_times)   # in build()
    ticker.cancel()                           # in teardown()
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone

from app.web.runtime import js


def now() -> datetime:
    return datetime.now(timezone.utc)


_offset = (None, 0)  # (the minute it was read in, the offset)


def offset_minutes() -> int:
    """Minutes east of UTC, as the browser sees the local time zone now (read again each minute).

    Reading it costs a JS ``Date`` and two calls through Pyodide; the
    deliveries panel asks on every frame of a live stream.
    """
    global _offset
    minute = int(time.monotonic() // 60)
    if _offset[0] != minute:
        _offset = (minute, -int(js.Date.new().getTimezoneOffset()))
    return _offset[1]


class Every:
    """Call ``fn()`` every ``seconds`` on the asyncio loop until ``cancel()``; an error does not stop it."""

    def __init__(self, seconds: float, fn):
        self._seconds = seconds
        self._fn = fn
        self._handle = asyncio.get_event_loop().call_later(seconds, self._tick)

    def _tick(self) -> None:
        if self._handle is None:
            return
        try:
            self._fn()
        finally:
            if self._handle is not None:
                self._handle = asyncio.get_event_loop().call_later(self._seconds, self._tick)

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
