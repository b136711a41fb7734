"""Remembered answers for ``Idempotency-Key``: a retried command changes nothing twice.

    >>> cache = Answers(capacity=2, window=86_400, clock=lambda: 0.0)
    >>> cache.remember(("U-1", "k"), "PATCH /x {}", 200, {"seq": 5})
    >>> cache.lookup(("U-1", "k"), "PATCH /x {}")
    (200, {'seq': 5})

Keys are per user (another user's key never collides). The same key with a
different request is a client bug: ``lookup`` raises ``KeyReused`` and the
caller answers 422 rather than guess which request was meant. An answer is
kept for ``window`` seconds (PROTOCOL.md 2: at least 24 hours), and at most
``capacity`` of them: past that the oldest is forgotten first, even inside
the window (a bound on memory; the default is far above what a stub sees in a
day). ``Applied`` counts how often each key actually changed the world, so a
test can assert "applied exactly once".
"""

from __future__ import annotations

import time
from collections import Counter, OrderedDict
from typing import Any, Callable, Hashable

DAY = 86_400.0


class KeyReused(Exception):
    pass


class Answers:
    def __init__(self, capacity: int = 100_000, window: float = DAY,
                 clock: Callable[[], float] = time.time) -> None:
        self.capacity = capacity
        self.window = window
        self.clock = clock
        # Oldest first: insertion order is age order, so expiry only looks at the front.
        self._entries: OrderedDict[Hashable, tuple[float, str, int, Any]] = OrderedDict()

    def lookup(self, key: Hashable, fingerprint: str) -> tuple[int, Any] | None:
        """The first answer given for ``key`` within the window, or None if this key is new."""
        self._forget_expired()
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[1] != fingerprint:
            raise KeyReused
        return entry[2], entry[3]

    def remember(self, key: Hashable, fingerprint: str, status: int, body: Any) -> None:
        self._entries.pop(key, None)
        self._entries[key] = (self.clock(), fingerprint, status, body)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def _forget_expired(self) -> None:
        horizon = self.clock() - self.window
        while self._entries:
            oldest = next(iter(self._entries.values()))
            if oldest[0] > horizon:
                break
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class Applied:
    """How many times each (user, key) changed the world; the oldest tallies beyond
    ``capacity`` are forgotten (they outlive the answers, so a replay after an answer
    was forgotten shows up as a second application)."""

    def __init__(self, capacity: int = 1_000_000) -> None:
        self.capacity = capacity
        self._counts: OrderedDict[tuple[str, str], int] = OrderedDict()

    def add(self, user_id: str, key: str) -> None:
        self._counts[(user_id, key)] = self._counts.get((user_id, key), 0) + 1
        while len(self._counts) > self.capacity:
            self._counts.popitem(last=False)

    def by_key(self, user_id: str | None = None) -> dict[str, int]:
        """``{key: count}``, summed over users unless ``user_id`` narrows it to one."""
        totals: Counter[str] = Counter()
        for (user, key), n in self._counts.items():
            if user_id is None or user == user_id:
                totals[key] += n
        return dict(totals)
