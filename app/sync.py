"""Loading the snapshot: one request at a time, retried after a failure, parsed without ever raising.

    >>> loader = SnapshotLoader(delays_factory=lambda: [1000, 2000])
    >>> loader.due(loading=True, online=True)
    True
    >>> loader.requested("snapshot-1"); loader.due(loading=True, online=True)
    False
    >>> loader.answered("snapshot-1", 503, "busy")
    Retrying(delay_ms=1000, why='HTTP 503')
    >>> loader.actions()
    [StartTimer(name='snapshot', ms=1000)]

Sans-I/O like ``app.connection``: the owner (``app.client.Client``) asks
``due`` after every input and, when it is, makes the ``GET /snapshot`` request
itself and says so with ``requested(id)``; it hands the answer (or the
failure) to ``answered`` and gets back what to do: ``Loaded(snapshot,
dropped)``, to give to the store, or ``Retrying`` (a ``StartTimer`` for
``SNAPSHOT_TIMER`` is among ``actions()``; ``timer_fired`` when it fires).
``forget`` drops a request or a wait that a new stream made pointless.

Rules (PROTOCOL.md 3.2, 4 and 5):

1. At most one snapshot request at a time, and none while a retry waits.
2. A snapshot that fails (no answer, not 2xx, not a snapshot) is retried
   after the next delay of the backoff schedule, then every last delay.
3. ``parse_snapshot`` never raises, whatever the text: one bad item is
   dropped and counted (``Parsed.dropped``), not the whole list; a body that
   is not a snapshot at all is ``None``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional, Union

from pydantic import TypeAdapter, ValidationError

from app import backoff
from app.connection import CancelTimer, StartTimer
from app.models import Communication, Delivery, Snapshot, Staff, Zone

#: The retry timer's name (``StartTimer.name``); the owner calls ``timer_fired`` when it fires.
SNAPSHOT_TIMER = "snapshot"

_SNAPSHOT_JSON = TypeAdapter(Snapshot).validate_json
_ITEM_MODELS = {"deliveries": Delivery, "staff": Staff, "zones": Zone, "communications": Communication}


# --- parsing --------------------------------------------------------------------------


@dataclass(frozen=True)
class Parsed:
    """A parsed snapshot (None: the body is not one) and one line per item dropped from it."""

    snapshot: Optional[Snapshot]
    dropped: tuple[str, ...] = ()


def parse_snapshot(text: str) -> Parsed:
    """The snapshot in ``text``; one bad item is dropped and counted rather than losing the whole list."""
    try:
        return Parsed(_SNAPSHOT_JSON(text))
    except ValidationError:
        pass
    try:
        data = json.loads(text)
        seq = data.get("seq")
        lists = {name: data[name] for name in _ITEM_MODELS}
        if not all(isinstance(items, list) for items in lists.values()):
            return Parsed(None)
    except (ValueError, AttributeError, KeyError, TypeError):
        return Parsed(None)
    kept: dict[str, list] = {}
    dropped: list[str] = []
    for name, model in _ITEM_MODELS.items():
        kept[name] = []
        for item in lists[name]:
            try:
                kept[name].append(model.model_validate(item))
            except ValidationError as exc:
                dropped.append(f"{name}: {exc.errors()[0]['msg']}")
    try:
        return Parsed(Snapshot(seq=seq, **kept), tuple(dropped))
    except ValidationError:
        return Parsed(None, tuple(dropped))


# --- the loader -------------------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    """Give ``snapshot`` to the store; ``dropped`` lists the invalid items left out of it."""

    snapshot: Snapshot
    dropped: tuple[str, ...] = ()


@dataclass(frozen=True)
class Retrying:
    """The snapshot failed (``why``); another request goes out in ``delay_ms``."""

    delay_ms: int
    why: str


@dataclass(frozen=True)
class Stale:
    """An answer to a request that is not the current one: ignore it."""


Result = Union[Loaded, Retrying, Stale]


class SnapshotLoader:
    """The snapshot request and its retries; see the rules above."""

    def __init__(self, *, delays_factory: backoff.DelaysFactory = backoff.delays) -> None:
        self._delays_factory = delays_factory
        #: The request under way, if any.
        self.request_id: Optional[str] = None
        #: True while the retry timer runs.
        self.waiting = False
        #: Why the last snapshot failed and when it is tried again (None once one loaded).
        self.error: Optional[str] = None
        self._delays: Optional[list[int]] = None
        self._failures = 0
        self._actions: list[Union[StartTimer, CancelTimer]] = []

    def due(self, *, loading: bool, online: bool) -> bool:
        """True when a request should go out now: the store waits for one and the socket is in its stream."""
        return loading and online and self.request_id is None and not self.waiting

    def requested(self, request_id: str) -> None:
        self.request_id = request_id

    def owns(self, request_id: str) -> bool:
        return request_id == self.request_id

    def answered(self, request_id: str, status: Optional[int], text: str) -> Result:
        """The answer (``status`` None: no answer, ``text`` says why)."""
        if request_id != self.request_id:
            return Stale()
        self.request_id = None
        if status is None:
            return self._failed(text)
        if not 200 <= status < 300:
            return self._failed(f"HTTP {status}")
        parsed = parse_snapshot(text)
        if parsed.snapshot is None:
            return self._failed("the answer is not a snapshot")
        self._delays = None
        self._failures = 0
        self.error = None
        return Loaded(parsed.snapshot, parsed.dropped)

    def timer_fired(self) -> None:
        self.waiting = False

    def forget(self) -> Optional[str]:
        """A new stream started: the request under way (returned, for the owner to drop) or the wait is moot."""
        request_id, self.request_id = self.request_id, None
        if self.waiting:
            self.waiting = False
            self._actions.append(CancelTimer(SNAPSHOT_TIMER))
        return request_id

    def actions(self) -> list[Union[StartTimer, CancelTimer]]:
        out, self._actions = self._actions, []
        return out

    def _failed(self, why: str) -> Retrying:
        if self._delays is None:
            self._delays = list(self._delays_factory()) or [backoff.BASE_MS]
        delay = self._delays[min(self._failures, len(self._delays) - 1)]
        self._failures += 1
        self.error = f"snapshot failed ({why}); retrying in {delay / 1000:.1f} s"
        self.waiting = True
        self._actions.append(StartTimer(SNAPSHOT_TIMER, delay))
        return Retrying(delay, why)

