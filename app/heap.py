"""Keeps the board's long-lived objects out of the cyclic collector's sight, so its pauses do not grow with the board.

    >>> fake = FakeGc()
    >>> heap = HeapKeeper(gc=fake, every=2)
    >>> heap.start(); heap.board_loaded(); fake.freezes
    1
    >>> fake.run_collection(); heap.maybe_freeze(), fake.freezes
    (False, 1)
    >>> fake.run_collection(); heap.maybe_freeze(), fake.freezes
    (True, 2)
    >>> heap.stop(); fake.callbacks, fake.unfrozen
    ([], True)

Why: Python 3.14's incremental collector (the one in Pyodide) starts each
cycle by marking, in one step, everything reachable from the modules. With
50,000 deliveries on the board that is about 300,000 objects: a 178 ms
pause measured in one 10 s window at 1,000 events/s (~50 ms with 10,000),
the tail of the event-to-screen latency (bench/README.md). ``gc.freeze()`` moves every
tracked object to the permanent generation, which the marking and every
later collection skip, so a pause costs what was made since the last
freeze, not the board.

When: once a snapshot is drawn (``board_loaded``: the whole board is new),
and again once the collector has run ``every`` times since the last freeze
(``maybe_freeze``, which the driver calls after each drawn frame): each
collection follows about 2,000 new objects, so what stays in the
collector's sight is bounded by a constant. A freeze walks only the objects
made since the one before.

A driver that stops (logout, another user) drops its board and its panels,
which hold cycles (a panel and its bound listeners): ``stop`` unfreezes
the heap, and the next ``board_loaded`` collects in full once (what the
last board left) before it freezes the new one, so a sign-in after a
sign-out does not keep the old board for ever. One ``HeapKeeper`` serves
every driver of the page (``app.web.driver.HEAP``).

What it gives up: a reference cycle that is frozen and dropped later is
never collected. The board's data (models, dicts, tuples, sets) holds no
cycles (``tests/test_heap.py`` streams changes over a frozen board and
finds none to lose); what an in-flight task holds at the moment of a
freeze is small (in the browser, 6 objects after a load and a 15 s stream
at 50,000 deliveries: bench/README.md).
"""

from __future__ import annotations

import gc as _gc

#: Collections between two freezes: each follows about 2,000 new tracked objects (gc.get_threshold()[0]).
EVERY = 10


class HeapKeeper:
    """Counts the collector's runs (a ``gc.callbacks`` entry) and freezes the heap when due.

    ``gc`` is injected (the ``gc`` module by default) so tests count freezes."""

    def __init__(self, gc=_gc, every: int = EVERY):
        self._gc = gc
        self.every = every
        self.collections = 0  # since the last freeze
        self.freezes = 0
        self._installed = False
        self._dropped = False  # stop() unfroze a board that may now be garbage

    def start(self) -> None:
        if not self._installed:
            self._gc.callbacks.append(self._counted)
            self._installed = True

    def stop(self) -> None:
        """Unhook, and give what was frozen back to the collector (its owner is going away)."""
        if self._installed:
            self._gc.callbacks.remove(self._counted)
            self._installed = False
        if self.freezes:
            self._gc.unfreeze()
            self._dropped = True

    def board_loaded(self) -> None:
        """A snapshot has been drawn: freeze it now (after a full collection, once, if a board was dropped)."""
        if self._dropped:
            self._gc.collect()
            self._dropped = False
        self._freeze()

    def maybe_freeze(self) -> bool:
        """Freeze if the collector has run ``every`` times since the last freeze; True if it did."""
        if self.collections < self.every:
            return False
        self._freeze()
        return True

    def _freeze(self) -> None:
        self._gc.freeze()
        self.collections = 0
        self.freezes += 1

    def _counted(self, phase: str, info: dict) -> None:
        # Runs inside the collector: count only, never freeze from here.
        if phase == "stop":
            self.collections += 1


class FakeGc:
    """The part of the ``gc`` module ``HeapKeeper`` uses, for tests and examples."""

    def __init__(self):
        self.callbacks: list = []
        self.freezes = 0
        self.full_collections = 0
        self.unfrozen = False

    def freeze(self) -> None:
        self.freezes += 1
        self.unfrozen = False

    def unfreeze(self) -> None:
        self.unfrozen = True

    def collect(self) -> int:
        self.full_collections += 1
        return 0

    def run_collection(self, generation: int = 1) -> None:
        for callback in list(self.callbacks):
            callback("start", {"generation": generation})
            callback("stop", {"generation": generation, "collected": 0, "uncollectable": 0})


__all__ = ["HeapKeeper", "FakeGc", "EVERY"]
