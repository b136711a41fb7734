"""The one thing selected on the board, shared by the panels: a delivery or a staff member.

    >>> seen = []
    >>> selection = Selection()
    >>> stop = selection.subscribe(lambda old, new: seen.append((old, new)))
    >>> selection.select(DELIVERY, "D-7"); selection.select(DELIVERY, "D-7"); selection.select(STAFF, "S-1")
    >>> seen
    [(None, ('delivery', 'D-7')), (('delivery', 'D-7'), ('staff', 'S-1'))]
    >>> stop(); selection.clear(); len(seen)
    2

Selecting a row in the deliveries table highlights its pin, its driver and
the line between them on the map; activating a marker selects the row or the
staff member. Each panel draws the selection its own way, from here, so no
panel calls another. Listeners get ``(old, new)``, each ``(kind, id)`` or
None, and only when it changed.
"""

from __future__ import annotations

from typing import Callable, Optional

DELIVERY, STAFF = "delivery", "staff"
Selected = Optional[tuple[str, str]]
Listener = Callable[[Selected, Selected], None]


class Selection:
    def __init__(self) -> None:
        self.current: Selected = None
        self._listeners: list[Listener] = []

    def select(self, kind: str, some_id: Optional[str]) -> None:
        if kind not in (DELIVERY, STAFF):
            raise ValueError(f"unknown kind of selection {kind!r}")
        self._set((kind, some_id) if some_id else None)

    def clear(self) -> None:
        self._set(None)

    def of(self, kind: str) -> Optional[str]:
        """The selected id if it is of ``kind``."""
        return self.current[1] if self.current is not None and self.current[0] == kind else None

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(old, new)`` on every change until the returned function is called."""
        self._listeners.append(listener)

        def stop() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)
        return stop

    def _set(self, new: Selected) -> None:
        old, self.current = self.current, new
        if old != new:
            for listener in list(self._listeners):
                listener(old, new)
