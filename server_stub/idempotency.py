"""Remembered answers for ``Idempotency-Key``: a retried command changes nothing twice.

    >>> cache = Answers(capacity=2)
    >>> cache.remember(("U-1", "k"), "PATCH /x {}", 200, {"seq": 5})
    >>> cache.lookup(("U-1", "k"), "PATCH /x {}")
    (200, {'seq': 5})

Keys are per user (another user's key never collides). The same key with a
different request is a client bug: ``lookup`` raises ``KeyReused`` and the
caller answers 422 rather than guess which request was meant. Bounded: the
least recently used key is forgotten first.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Hashable


class KeyReused(Exception):
    pass


class Answers:
    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[Hashable, tuple[str, int, Any]] = OrderedDict()

    def lookup(self, key: Hashable, fingerprint: str) -> tuple[int, Any] | None:
        """The first answer given for ``key``, or None if this key is new."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        if entry[0] != fingerprint:
            raise KeyReused
        return entry[1], entry[2]

    def remember(self, key: Hashable, fingerprint: str, status: int, body: Any) -> None:
        self._entries[key] = (fingerprint, status, body)
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
