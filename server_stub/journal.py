"""The event log: one seq counter in one epoch, a bounded replay ring, and synchronous listeners.

    >>> from app.models import StaffStatusUpdate
    >>> j = Journal(capacity=2)
    >>> [j.record(StaffStatusUpdate(staffId="S-1", status="offline")).seq for _ in range(3)]
    [1, 2, 3]
    >>> j.since(0) is None, len(j.since(1))
    (True, 2)

Everything here is synchronous on purpose: a socket reads ``since()`` and
subscribes in the same step (no ``await`` in between), and ``record()`` hands
the event to listeners before it returns, so replay and live meet with no gap
and no duplicate.

The epoch names this history of seq numbers (PROTOCOL.md 3.2): random at
every start, since the stub keeps no journal on disk, and new again after
``restart()`` (the fault that makes the history begin again at seq 0).
"""

from __future__ import annotations

import json
import secrets
from collections import deque
from itertools import islice
from typing import Callable

from app.models import DeliveryUpdate, Event, ZoneUpdate

Listener = Callable[[int, str], None]


def wire_dict(message) -> dict:
    """One frame's (or answer's) JSON-ready dict. Partial ``changes`` carry only the
    fields that were set: a null in ``changes`` means "set to null", so unset fields
    must be absent. An event with no ``cause`` carries no ``cause`` key."""
    data = message.wire()
    if isinstance(message, (DeliveryUpdate, ZoneUpdate)):
        data["changes"] = message.changes.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if "cause" in data and data["cause"] is None:
        del data["cause"]
    return data


def wire_json(message) -> str:
    """One frame's text (version 2; dialect.py renders version 1)."""
    return json.dumps(wire_dict(message), separators=(",", ":"), ensure_ascii=False)


def new_epoch() -> str:
    """A fresh epoch name: random, so two starts of the stub never share one."""
    return secrets.token_urlsafe(12)


class Journal:
    """Gives events their seq, keeps the last ``capacity`` frames, tells listeners.
    ``render`` makes a frame's text (``Dialect.frame`` for the protocol version spoken)."""

    def __init__(self, capacity: int = 5000, start_seq: int = 0,
                 render: Callable[[Event], str] = wire_json, epoch: Callable[[], str] = new_epoch) -> None:
        self.seq = start_seq
        self.render = render
        self._new_epoch = epoch
        self.epoch = epoch()
        self._ring: deque[tuple[int, str]] = deque(maxlen=capacity)
        self._listeners: list[Listener] = []

    def restart(self, start_seq: int = 0) -> str:
        """Begin a new history: a new epoch, nothing to replay, seq from ``start_seq``.
        Listeners stay subscribed; callers close the sockets of the old history."""
        self.epoch = self._new_epoch()
        self.seq = start_seq
        self._ring.clear()
        return self.epoch

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def record(self, event: Event, publish: bool = True) -> Event:
        """Stamp ``event`` with the next seq, keep it for replay, and (if ``publish``)
        hand its frame to every listener. ``publish=False`` keeps it replayable but
        lets live clients miss it: a seq gap, as a lost frame would make."""
        self.seq += 1
        stamped = event.model_copy(update={"seq": self.seq})
        text = self.render(stamped)
        self._ring.append((self.seq, text))
        if publish:
            for listener in self._listeners:
                listener(self.seq, text)
        return stamped

    def since(self, after: int | None) -> list[str] | None:
        """The frames of every event with seq > ``after``, oldest first, or None when
        that cannot be complete (``after`` is None, in the future, or older than the ring)."""
        if after is None or after > self.seq:
            return None
        if after == self.seq:
            return []
        if not self._ring or self._ring[0][0] > after + 1:
            return None
        skip = after + 1 - self._ring[0][0]
        return [text for _, text in islice(self._ring, skip, None)]

    def oldest(self) -> int | None:
        """The seq of the oldest event still replayable (None before the first event)."""
        return self._ring[0][0] if self._ring else None
