"""Ids kept sorted by a key, with a cheap move: the order the deliveries table takes its window from.

    >>> order = SortedIds()
    >>> order.place("b", (2, "b")); order.place("a", (1, "a")); order.place("c", (0, "c"))
    >>> order.first(2, lambda item_id: item_id != "c"), order.ids()
    (['a', 'b'], ['c', 'a', 'b'])
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Callable, Iterable, Optional


class SortedIds:
    """Ids kept in key order: the deliveries table takes its window from here (``first``).

    ``place(id, key)`` inserts or moves ``id``. Keys must be unique
    (``sort_key`` ends in the id).

    The ids live in buckets of at most ``2 * LOAD`` (the idea of
    ``sortedcontainers``): a move is two bisects and two short list edits.
    In one flat list of 10,000, each move shifted the whole list twice.
    """

    LOAD = 256

    def __init__(self) -> None:
        self._keys: list[list[tuple]] = []  # sorted buckets of keys; never an empty bucket
        self._ids: list[list[str]] = []  # the ids, bucket for bucket
        self._maxes: list[tuple] = []  # the last key of each bucket
        self._key_of: dict[str, tuple] = {}

    def __len__(self) -> int:
        return len(self._key_of)

    def __contains__(self, item_id: str) -> bool:
        return item_id in self._key_of

    def ids(self) -> list[str]:
        return [item_id for bucket in self._ids for item_id in bucket]

    def keys(self) -> list[tuple]:
        """The keys in order (``ids()``'s, one for one)."""
        return [key for bucket in self._keys for key in bucket]

    def first(self, count: int, accept: Callable[[str], bool], until: Optional[tuple] = None) -> list[str]:
        """The first ``count`` ids, in key order, that ``accept``: a list's window on show
        (none past the key ``until``, if given)."""
        out: list[str] = []
        if count <= 0:
            return out
        if until is not None:
            for keys, bucket in zip(self._keys, self._ids):
                for key, item_id in zip(keys, bucket):
                    if key > until:
                        return out
                    if accept(item_id):
                        out.append(item_id)
                        if len(out) >= count:
                            return out
            return out
        for bucket in self._ids:
            for item_id in bucket:
                if accept(item_id):
                    out.append(item_id)
                    if len(out) >= count:
                        return out
        return out

    def key(self, item_id: str) -> Optional[tuple]:
        return self._key_of.get(item_id)

    def place(self, item_id: str, key: tuple) -> None:
        old = self._key_of.get(item_id)
        if old == key:
            return
        if old is not None:
            self.remove(item_id)
        self._insert(item_id, key)

    def remove(self, item_id: str) -> None:
        key = self._key_of.pop(item_id, None)
        if key is None:
            return
        b = bisect_left(self._maxes, key)
        keys, ids = self._keys[b], self._ids[b]
        i = bisect_left(keys, key)
        del keys[i]
        del ids[i]
        if not keys:
            del self._keys[b], self._ids[b], self._maxes[b]
        elif i == len(keys):
            self._maxes[b] = keys[-1]

    def reset(self, items: Iterable[tuple[str, tuple]]) -> list[str]:
        """Replace everything at once (a new sort): the ids in their new order."""
        pairs = sorted(items, key=lambda pair: pair[1])
        step = self.LOAD
        self._keys = [[key for _, key in pairs[i:i + step]] for i in range(0, len(pairs), step)]
        self._ids = [[item_id for item_id, _ in pairs[i:i + step]] for i in range(0, len(pairs), step)]
        self._maxes = [bucket[-1] for bucket in self._keys]
        self._key_of = dict(pairs)
        return self.ids()

    def append_last(self, item_id: str, key: tuple) -> None:
        """Add an id whose key is above every key held (building an order already sorted, a step at a time)."""
        self._key_of[item_id] = key
        if self._keys and len(self._keys[-1]) < self.LOAD:
            self._keys[-1].append(key)
            self._ids[-1].append(item_id)
            self._maxes[-1] = key
        else:
            self._keys.append([key])
            self._ids.append([item_id])
            self._maxes.append(key)

    def shrink(self, n: int) -> int:
        """Drop up to ``n`` ids from the end; how many (0: empty). Letting go of 50,000 ids at once
        (an order a new sort replaced) is a pause of its own, so the table lets go of them in steps."""
        dropped = 0
        key_of = self._key_of
        while dropped < n and self._ids:
            ids, keys = self._ids[-1], self._keys[-1]
            take = min(n - dropped, len(ids))
            for item_id in ids[-take:]:
                del key_of[item_id]
            del ids[-take:], keys[-take:]
            dropped += take
            if ids:
                self._maxes[-1] = keys[-1]
            else:
                del self._ids[-1], self._keys[-1], self._maxes[-1]
        return dropped

    def _insert(self, item_id: str, key: tuple) -> None:
        self._key_of[item_id] = key
        if not self._maxes:
            self._keys.append([key])
            self._ids.append([item_id])
            self._maxes.append(key)
            return
        b = min(bisect_left(self._maxes, key), len(self._maxes) - 1)
        keys, ids = self._keys[b], self._ids[b]
        i = bisect_left(keys, key)
        keys.insert(i, key)
        ids.insert(i, item_id)
        if i == len(keys) - 1:
            self._maxes[b] = key
        if len(keys) > 2 * self.LOAD:  # split in two halves
            half = self.LOAD
            self._keys[b:b + 1] = [keys[:half], keys[half:]]
            self._ids[b:b + 1] = [ids[:half], ids[half:]]
            self._maxes[b:b + 1] = [keys[half - 1], keys[-1]]
