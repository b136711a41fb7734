"""A set of ids with a random member in O(1): how the world picks a delivery of a status without a scan.

    >>> import random
    >>> bag = Bag()
    >>> for i in ("D-1", "D-2", "D-3"):
    ...     bag.add(i)
    >>> bag.discard("D-1"); len(bag), "D-1" in bag, sorted(bag)
    (2, False, ['D-2', 'D-3'])
    >>> bag[random.Random(1).randrange(len(bag))] in ("D-2", "D-3")
    True

Why: ``World.pick`` used to sample the whole world and fall back to a scan of
every delivery when sampling kept missing; at 50,000 deliveries with a few
hundred carried, that scan ran on most simulation steps (13.6 ms a step
against 0.75 ms at 10,000: bench/README.md). One ``Bag`` per status keeps
the draw and every change O(1): a list to index into, a dict from id to its
place in the list, and removal by moving the last id into the hole.

The order inside a bag depends on its history of adds and discards, which a
seed replays exactly, so a seeded world still replays the same.
"""

from __future__ import annotations

from typing import Iterator


class Bag:
    """Ids, each at most once; ``bag[i]`` for ``0 <= i < len(bag)`` is some member."""

    __slots__ = ("_items", "_at")

    def __init__(self) -> None:
        self._items: list[str] = []
        self._at: dict[str, int] = {}

    def add(self, item: str) -> None:
        if item not in self._at:
            self._at[item] = len(self._items)
            self._items.append(item)

    def discard(self, item: str) -> None:
        where = self._at.pop(item, None)
        if where is None:
            return
        last = self._items.pop()
        if where < len(self._items):  # the hole is not the end: the last one fills it
            self._items[where] = last
            self._at[last] = where

    def __getitem__(self, index: int) -> str:
        return self._items[index]

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item: object) -> bool:
        return item in self._at

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)
