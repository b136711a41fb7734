"""Long work done a chunk per event-loop turn, so that a big snapshot does not hold the page.

    chunks = Chunked(step=self._build_some, more=self.table.has_ahead)
    chunks.kick()       # after queueing work: step() runs on the next turns until more() is False
    chunks.cancel()     # on unmount

The deliveries panel builds its next page of rows this way (8 ms a turn) and the
staff panel its roster; each keeps its own queue, this only schedules.
"""

from __future__ import annotations

import asyncio
from typing import Callable


class Chunked:
    """Call ``step()`` once per event-loop turn while ``more()`` is true."""

    def __init__(self, step: Callable[[], None], more: Callable[[], bool]):
        self._step = step
        self._more = more
        self._handle = None

    def kick(self) -> None:
        """Schedule the next step if work waits and none is scheduled."""
        if self._handle is None and self._more():
            self._handle = asyncio.get_event_loop().call_later(0, self._run)

    @property
    def scheduled(self) -> bool:
        return self._handle is not None

    def _run(self) -> None:
        self._handle = None
        self._step()
        self.kick()

    def cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
