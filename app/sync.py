"""Getting in sync with the stream: resume or resync at a welcome; the snapshot, one at a time, retried.

    >>> store, loader = Store(), SnapshotLoader(delays_factory=lambda: [1000, 2000])
    >>> loader.welcomed(store, Welcome(seq=0, epoch="e1", resumed=False))
    'new epoch e1'
    >>> loader.due(loading=store.loading, online=True)
    True
    >>> loader.requested("snapshot-1"); loader.due(loading=store.loading, online=True)
    False
    >>> loader.answered("snapshot-1", 503, "busy", store)
    Retrying(delay_ms=1000, why='HTTP 503', invalid=False)
    >>> loader.actions()
    [StartTimer(name='snapshot', ms=1000)]

Sans-I/O like ``app.connection``: the owner (``app.client.Client``) tells
it of every ``welcome`` (``welcomed``: resume, or why a snapshot is needed),
asks ``due`` after every input and, when it is, makes the ``GET /snapshot`` request
itself and says so with ``requested(id)``; it hands the answer (or the
failure) to ``answered`` and gets back what to do: ``Loaded(snapshot,
dropped)``, to give to the store; ``Retrying`` or ``Behind`` (a
``StartTimer`` for ``SNAPSHOT_TIMER`` is among ``actions()``; call
``timer_fired`` when it fires); or ``GiveUp``: close the socket and
reconnect. ``forget`` drops a request or a wait that a new stream made
pointless.

Rules (PROTOCOL.md 3 "Resync", 3.2, 4 and 5):

0. A welcome resumes the stream only when it says so, names the epoch of
   the store's last seq (None for both: a version-1 backend) and is not
   behind that seq; the events held from the socket before are dropped
   (the server sends them again). Any other welcome starts a resync; one
   of another epoch first drops the resume point (``Store.forget_position``).
1. At most one snapshot request at a time, and none while a retry waits.
2. A snapshot that fails (no answer, not 2xx, not a snapshot) is retried
   after the next delay of the backoff schedule, then every last delay.
3. A snapshot that does not cover the held events (its seq is below the
   first held seq minus one), or that names another epoch than the stream's,
   is not applied (``Behind``): it is asked for again after 1 s, 2 s, 4 s
   (``resync_delays``); when the last of those still does not do, ``GiveUp``.
   Without a seq or an epoch on either side nothing can be compared: it is
   applied (a version-1 backend, PROTOCOL.md 4).
4. A snapshot fetched before the first socket (during the boot,
   ``prefetched``) is laid down at once, so that the first auth resumes from
   its seq and epoch and the server replays what happened since (rule 0);
   a welcome that cannot resume from it starts a resync as any other would.
5. ``parse_snapshot`` never raises, whatever the text (nesting too deep for
   the parser included): one bad item is dropped and counted
   (``Parsed.dropped``), not the whole list; a body that is not a snapshot
   at all is ``None``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional, Union

from pydantic import TypeAdapter, ValidationError

from app import backoff
from app.connection import CancelTimer, StartTimer
from app.models import Communication, Delivery, Snapshot, Staff, Welcome, Zone
from app.store import Outcome, Store

#: The retry timer's name (``StartTimer.name``); the owner calls ``timer_fired`` when it fires.
SNAPSHOT_TIMER = "snapshot"
#: Waits before asking again for a snapshot that did not cover the held events (rule 3).
RESYNC_DELAYS_MS = (1000, 2000, 4000)

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
        return _parse(text)
    except Exception:  # rule 5: RecursionError, a bug or a surprise: not a snapshot, never a crash
        return Parsed(None)


def _parse(text: str) -> Parsed:
    try:
        return Parsed(_SNAPSHOT_JSON(text))
    except ValidationError:
        pass
    data = json.loads(text)  # deeper than pydantic's parser allows: RecursionError, caught above
    if not isinstance(data, dict):
        return Parsed(None)
    seq, epoch = data.get("seq"), data.get("epoch")
    lists = {name: data.get(name) for name in _ITEM_MODELS}
    if not all(isinstance(items, list) for items in lists.values()):
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
        return Parsed(Snapshot.model_validate({"seq": seq, "epoch": epoch, **kept}), tuple(dropped))
    except ValidationError:
        return Parsed(None, tuple(dropped))


# --- the loader -------------------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    """``snapshot`` is in the store, with what that did (``outcome``); ``dropped``: invalid items left out."""

    snapshot: Snapshot
    outcome: Outcome
    dropped: tuple[str, ...] = ()


@dataclass(frozen=True)
class Retrying:
    """The snapshot failed (``why``); another request goes out in ``delay_ms``.

    ``invalid``: the server answered, but not with a snapshot (count it as invalid input).
    """

    delay_ms: int
    why: str
    invalid: bool = False


@dataclass(frozen=True)
class Behind:
    """The snapshot does not do for the stream (``why``, rule 3); another request goes out in ``delay_ms``."""

    delay_ms: int
    why: str
    dropped: tuple[str, ...] = ()


@dataclass(frozen=True)
class GiveUp:
    """The snapshot stayed behind after every retry: close the socket and connect again."""

    why: str
    dropped: tuple[str, ...] = ()


@dataclass(frozen=True)
class Stale:
    """An answer to a request that is not the current one: ignore it."""


Result = Union[Loaded, Retrying, Behind, GiveUp, Stale]


class SnapshotLoader:
    """The snapshot request and its retries; see the rules above."""

    def __init__(
        self,
        *,
        delays_factory: backoff.DelaysFactory = backoff.delays,
        resync_delays: tuple[int, ...] = RESYNC_DELAYS_MS,
    ) -> None:
        self._delays_factory = delays_factory
        self.resync_delays = tuple(resync_delays)
        #: The request under way, if any.
        self.request_id: Optional[str] = None
        #: True while the retry timer runs.
        self.waiting = False
        #: Why the last snapshot failed and when it is tried again (None once one loaded).
        self.error: Optional[str] = None
        #: The stream's epoch: the last welcome's (None from a version-1 backend).
        self.epoch: Optional[str] = None
        self._delays: Optional[list[int]] = None
        self._failures = 0
        self._behind = 0  # snapshots in a row that did not do (rule 3)
        self._actions: list[Union[StartTimer, CancelTimer]] = []

    def welcomed(self, store: Store, welcome: Welcome) -> Optional[str]:
        """Rule 0: None when the stream resumes, else why the snapshot is needed (the store now waits for it)."""
        last = store.last_seq
        self.epoch = welcome.epoch
        self._behind = 0  # a new socket: the next snapshot may well do
        same_history = welcome.epoch == store.epoch
        if welcome.resumed and store.loaded and same_history and last is not None and (welcome.seq or 0) >= last:
            store.drop_held()
            return None
        if not same_history:
            why = f"new epoch {welcome.epoch}"
            store.forget_position()
        elif welcome.seq is None:
            why = "no seq"
        else:
            why = "not resumed" if not welcome.resumed else "seq went backwards"
        store.begin_resync()
        return why

    def due(self, *, loading: bool, online: bool) -> bool:
        """True when a request should go out now: the store waits for one and the socket is in its stream."""
        return loading and online and self.request_id is None and not self.waiting

    def requested(self, request_id: str) -> None:
        self.request_id = request_id

    def owns(self, request_id: str) -> bool:
        return request_id == self.request_id

    def answered(self, request_id: str, status: Optional[int], text: str, store: Store) -> Result:
        """The answer (``status`` None: no answer, ``text`` says why); a snapshot that does goes into ``store``."""
        if request_id != self.request_id:
            return Stale()
        self.request_id = None
        if status is None:
            return self._failed(text)
        if not 200 <= status < 300:
            return self._failed(f"HTTP {status}")
        parsed = parse_snapshot(text)
        snapshot = parsed.snapshot
        if snapshot is None:
            return self._failed("the answer is not a snapshot", invalid=True)
        self._delays = None
        self._failures = 0
        why = _mismatch(snapshot, store.first_held_seq, self.epoch)
        if why is not None:
            return self._fell_behind(why, parsed.dropped)
        self._behind = 0
        self.error = None
        return Loaded(snapshot, store.load_snapshot(snapshot, self.epoch), parsed.dropped)

    def prefetched(self, text: str, store: Store) -> Union[Loaded, Parsed]:
        """Rule 4: a snapshot in hand before the first socket goes into ``store`` now.

        ``Parsed`` (its ``snapshot`` None) when ``text`` is not a snapshot, or when the
        store already holds one: nothing changed, the first welcome asks for one.
        """
        if store.loaded or self.request_id is not None:
            return Parsed(None)
        parsed = parse_snapshot(text)
        if parsed.snapshot is None:
            return parsed
        return Loaded(parsed.snapshot, store.load_snapshot(parsed.snapshot), parsed.dropped)

    def timer_fired(self) -> None:
        self.waiting = False

    def forget(self) -> Optional[str]:
        """A new stream started: the request under way (returned, for the owner to drop) or the wait is moot."""
        request_id, self.request_id = self.request_id, None
        self._behind = 0
        if self.waiting:
            self.waiting = False
            self._actions.append(CancelTimer(SNAPSHOT_TIMER))
        return request_id

    def actions(self) -> list[Union[StartTimer, CancelTimer]]:
        out, self._actions = self._actions, []
        return out

    def _failed(self, why: str, *, invalid: bool = False) -> Retrying:
        if self._delays is None:
            self._delays = list(self._delays_factory()) or [backoff.BASE_MS]
        delay = self._delays[min(self._failures, len(self._delays) - 1)]
        self._failures += 1
        self.error = f"snapshot failed ({why}); retrying in {delay / 1000:.1f} s"
        self._wait(delay)
        return Retrying(delay, why, invalid)

    def _fell_behind(self, why: str, dropped: tuple[str, ...]) -> Union[Behind, GiveUp]:
        if self._behind >= len(self.resync_delays):
            self._behind = 0
            self.error = f"snapshot still behind ({why}) after {len(self.resync_delays)} retries; reconnecting"
            return GiveUp(why, dropped)
        delay = self.resync_delays[self._behind]
        self._behind += 1
        self.error = f"snapshot behind ({why}); asking again in {delay / 1000:.1f} s"
        self._wait(delay)
        return Behind(delay, why, dropped)

    def _wait(self, delay: int) -> None:
        self.waiting = True
        self._actions.append(StartTimer(SNAPSHOT_TIMER, delay))


def _mismatch(snapshot: Snapshot, first_held: Optional[int], epoch: Optional[str]) -> Optional[str]:
    """Why ``snapshot`` cannot be laid under the stream (rule 3), or None."""
    if epoch is not None and snapshot.epoch is not None and snapshot.epoch != epoch:
        return f"epoch {snapshot.epoch!r}, the stream's is {epoch!r}"
    if first_held is not None and snapshot.seq is not None and snapshot.seq < first_held - 1:
        return f"seq {snapshot.seq}, the held events start at {first_held}"
    return None

