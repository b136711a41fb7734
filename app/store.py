"""The confirmed state: what the server said, applied in sequence order, and what changed.

    >>> from app.models import Snapshot, StaffStatusUpdate
    >>> store = Store()
    >>> store.load_snapshot(Snapshot(seq=7, deliveries=[], staff=[], zones=[], communications=[])).changes.reset
    True
    >>> store.apply(StaffStatusUpdate(seq=7, staffId="S-1", status="on_break")).changes
    Changes()
    >>> store.counters.duplicates, store.last_seq
    (1, 7)

The store holds only what the server confirmed; optimistic changes live in
``app.commands`` and are laid over it when a view reads (``Client.delivery``).
Every call returns an ``Outcome``: the ``Changes`` (which ids of which kind to
redraw, or ``reset`` when everything was replaced), whether a snapshot is now
needed (``resync``), and which deliveries to fetch. The store never does I/O;
the owner acts on the outcome.

Rules (PROTOCOL.md 4):

1. Events are applied in ``seq`` order. A seq not above ``last_seq`` is a
   duplicate: ignored and counted. A seq above ``last_seq + 1`` is a gap:
   something was lost, so nothing more is applied until a snapshot arrives
   (the event is held; ``Outcome.resync``).
2. Until the first snapshot, and from ``begin_resync()`` (or a gap) until the
   next ``load_snapshot()``, events are *held* (at most ``max_held``, the
   oldest dropped first), not applied and not dropped.
3. ``load_snapshot`` replaces everything, then applies the held events with
   a seq above the snapshot's, in seq order; a gap among them starts rule 2
   again. ``begin_resync`` is for a new event stream (a welcome with
   ``resumed: false``): it forgets what was held from the old stream;
   ``drop_held`` does the same for a stream that resumes (the server sends
   those events again). ``first_held_seq`` tells the owner whether a
   snapshot covers what is held (its seq must be at least that minus one).
4. ``delivery_update`` for an unknown id: if ``changes`` is a whole delivery,
   insert it; otherwise remember the changes and ask the owner to fetch it
   (``Outcome.fetch``). ``upsert_delivery`` with the answer inserts it and
   replays the remembered changes (they may be newer than the answer). An
   answer nobody waits for any more (a snapshot came first) is ignored.
5. ``zone_update`` with a whole zone for an unknown id inserts it. An update
   for an unknown staff member or partial zone cannot be applied: our lists
   are stale, so resync (once per id, so a confused server cannot cause a
   snapshot storm).
6. An event that validates as a frame but cannot be applied (a null for a
   field that cannot be null) is counted invalid and treated as lost: resync.
7. A backend that sends no seq works: events are applied in arrival order
   (``last_seq`` stays None, so the client cannot resume, and reloads the
   snapshot after every reconnect; events held meanwhile are all applied
   after it, as nothing tells which ones it already contains).
8. Communications are kept newest first, at most ``max_communications``; an
   evicted id appears in ``Changes.communications`` like a new one: a view
   that finds an id of ``Changes`` missing from the store removes its row.
9. Epochs (PROTOCOL.md 3.2): ``epoch`` names the history ``last_seq``
   belongs to (None from a version-1 backend); ``load_snapshot`` sets both.
   ``forget_position`` drops them when the server's history started again,
   so that no seq of one history is ever compared with another's.
10. ``staff_location_update`` sets the staff member's ``location`` and names
   them in ``Changes.moved``, not ``Changes.staff``: only the map draws
   locations, and the staff rows must not redraw 500 times a second. For an
   unknown staff member it is handled like rule 5.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable, Optional

from pydantic import BaseModel, ValidationError

from app.models import (
    Communication,
    Delivery,
    DeliveryChanges,
    DeliveryUpdate,
    Event,
    NewCommunication,
    Snapshot,
    Staff,
    StaffLocationUpdate,
    StaffStatusUpdate,
    Zone,
    ZoneUpdate,
    sent_fields,
)

MAX_COMMUNICATIONS = 500
MAX_HELD = 5000

#: ``Changes`` kinds, also the hub topics for them. ``moved``: staff whose *location* alone changed
#: (hundreds a second with a map: the staff rows never redraw for them, only the map does).
DELIVERIES, STAFF, ZONES, COMMUNICATIONS, MOVED = "deliveries", "staff", "zones", "communications", "moved"
KINDS = (DELIVERIES, STAFF, ZONES, COMMUNICATIONS, MOVED)


@dataclass(frozen=True)
class Changes:
    """What to redraw: ids per kind, the event types applied, or ``reset`` (redraw everything).

    An id whose entity is no longer in the store was removed. ``Changes.merge``
    combines many (the client coalesces a frame's worth into one ``Render``).
    ``carriers`` and ``waiting`` are derived, not stored: the staff and zones whose open work
    changed with ``deliveries`` (``app.roster.OpenWork.follow`` names them before a ``Render``).
    """

    deliveries: frozenset[str] = frozenset()
    staff: frozenset[str] = frozenset()
    zones: frozenset[str] = frozenset()
    communications: frozenset[str] = frozenset()
    moved: frozenset[str] = frozenset()
    event_types: frozenset[str] = frozenset()
    reset: bool = False
    carriers: frozenset[str] = frozenset()
    waiting: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(
            self.reset or self.deliveries or self.staff or self.zones or self.communications or self.moved
            or self.event_types or self.carriers or self.waiting
        )

    def __repr__(self) -> str:
        parts = [f"{name}={sorted(value)!r}" for name, value in self._sets() if value]
        if self.reset:
            parts.append("reset=True")
        return f"Changes({', '.join(parts)})"

    def _sets(self):
        return (
            (DELIVERIES, self.deliveries),
            (STAFF, self.staff),
            (ZONES, self.zones),
            (COMMUNICATIONS, self.communications),
            (MOVED, self.moved),
            ("event_types", self.event_types),
            ("carriers", self.carriers),
            ("waiting", self.waiting),
        )

    def ids(self, kind: str) -> frozenset[str]:
        """The changed ids of one kind (``DELIVERIES``, ``STAFF``, ``ZONES``, ``COMMUNICATIONS``, ``MOVED``)."""
        return getattr(self, kind)

    def __or__(self, other: "Changes") -> "Changes":
        return Changes.merge((self, other))

    @staticmethod
    def merge(many: Iterable["Changes"]) -> "Changes":
        """One ``Changes`` for all of ``many``, in one pass (cheap for hundreds)."""
        sets: dict[str, set[str]] = {name: set() for name in (*KINDS, "event_types", "carriers", "waiting")}
        reset = False
        for one in many:
            reset = reset or one.reset
            for name, value in one._sets():
                if value:
                    sets[name].update(value)
        return Changes(**{name: frozenset(value) for name, value in sets.items()}, reset=reset)


EMPTY = Changes()


@dataclass(frozen=True)
class Outcome:
    """What a store call did and what the owner must do next."""

    changes: Changes = EMPTY
    #: A snapshot is needed (GET /snapshot); events are held until ``load_snapshot``.
    resync: bool = False
    #: Deliveries to fetch (GET /deliveries/{id}), then pass to ``upsert_delivery``.
    fetch: tuple[str, ...] = ()
    #: The events applied, in order (commands look for the ones that confirm them).
    applied: tuple[Event, ...] = ()


@dataclass
class Counters:
    """For the diagnostics panel."""

    events: int = 0  # events given to apply()
    applied: int = 0
    duplicates: int = 0
    invalid: int = 0  # valid frames that could not be applied (rule 6)
    resyncs: int = 0  # snapshots needed after the first one
    held_dropped: int = 0  # held events dropped because the hold was full
    fetches: int = 0


def _nullable(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(name for name, info in model.model_fields.items() if not info.is_required() and info.default is None)


_NULLABLE = {Delivery: _nullable(Delivery), Zone: _nullable(Zone)}


class _CannotApply(Exception):
    pass


def _merged(entity, changes: BaseModel):
    """``entity`` with the fields ``changes`` carried; refuses a null where there can be none."""
    update = sent_fields(changes)
    update.pop("id", None)  # an event never renames an entity
    nullable = _NULLABLE[type(entity)]
    for name, value in update.items():
        if value is None and name not in nullable:
            raise _CannotApply(f"{name}: null")
    return entity.model_copy(update=update) if update else entity


def _whole(model: type[BaseModel], entity_id: str, changes: BaseModel):
    """``changes`` as a whole entity of ``model`` with ``entity_id``, or None if it is only a part."""
    data = changes.model_dump(mode="json", by_alias=True, exclude_unset=True)
    data["id"] = entity_id
    try:
        return model.model_validate(data)
    except ValidationError:
        return None


def _sent_at(communication: Communication) -> float:
    moment = datetime.fromisoformat(communication.sentAt)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


class Store:
    """Deliveries, staff, zones and communications as the server confirmed them; see the rules above."""

    def __init__(self, *, max_communications: int = MAX_COMMUNICATIONS, max_held: int = MAX_HELD) -> None:
        self.max_communications = max_communications
        self.deliveries: dict[str, Delivery] = {}
        self.staff: dict[str, Staff] = {}
        self.zones: dict[str, Zone] = {}
        # Oldest first, so that eviction is next(iter(...)); ``communications_newest_first`` reverses.
        self._communications: dict[str, Communication] = {}
        #: The seq of the last applied event or snapshot; None before the first, or with no seq support.
        self.last_seq: Optional[int] = None
        #: The history ``last_seq`` belongs to (rule 9); None from a version-1 backend.
        self.epoch: Optional[str] = None
        #: True until the first snapshot, and while a resync is under way: events are held.
        self.loading = True
        #: True once a snapshot was loaded.
        self.loaded = False
        self._held: deque[Event] = deque(maxlen=max_held)
        # Delivery id -> changes received while its fetch is under way.
        self._awaiting: dict[str, list[DeliveryChanges]] = {}
        # Staff or zone ids that already caused one resync (rule 5).
        self._orphans: set[tuple[str, str]] = set()
        self.counters = Counters()

    # --- reading -------------------------------------------------------------

    def communications_newest_first(self) -> list[Communication]:
        return list(reversed(self._communications.values()))

    def communication(self, communication_id: str) -> Optional[Communication]:
        return self._communications.get(communication_id)

    @property
    def held(self) -> int:
        return len(self._held)

    @property
    def first_held_seq(self) -> Optional[int]:
        """The lowest seq held (None: nothing held, or no seq): a snapshot covers it from that minus one."""
        return min((e.seq for e in self._held if e.seq is not None), default=None)

    @property
    def awaiting(self) -> frozenset[str]:
        """Delivery ids whose fetch is awaited."""
        return frozenset(self._awaiting)

    # --- events --------------------------------------------------------------

    def apply(self, event: Event) -> Outcome:
        """One event from the socket, in arrival order (rules 1, 2, 7)."""
        self.counters.events += 1
        if self.loading:
            self._hold(event)
            return Outcome()
        return self._sequence(event, count_duplicates=True)

    def _sequence(self, event: Event, *, count_duplicates: bool) -> Outcome:
        seq, last = event.seq, self.last_seq
        if seq is not None and last is not None:
            if seq <= last:
                if count_duplicates:
                    self.counters.duplicates += 1
                return Outcome()
            if seq > last + 1:
                self._hold(event)
                return self._resync()
        return self._apply(event)

    def _apply(self, event: Event) -> Outcome:
        try:
            changes, fetch, resync = self._change(event)
        except _CannotApply:
            self.counters.invalid += 1
            return self._resync()
        if event.seq is not None:
            self.last_seq = event.seq
        self.counters.applied += 1
        if resync:
            self._start_loading()
            return Outcome(changes, resync=True, applied=(event,))
        return Outcome(changes, fetch=fetch, applied=(event,))

    def _change(self, event: Event) -> tuple[Changes, tuple[str, ...], bool]:
        """Apply one event's effect: (changes, deliveries to fetch, resync needed)."""
        kind = event.type
        if isinstance(event, DeliveryUpdate):
            did = event.deliveryId
            current = self.deliveries.get(did)
            if current is not None:
                self.deliveries[did] = _merged(current, event.changes)
                return Changes(deliveries=frozenset({did}), event_types=frozenset({kind})), (), False
            whole = _whole(Delivery, did, event.changes)
            if whole is not None:
                self._awaiting.pop(did, None)  # a fetch answer would be older than this
                self.deliveries[did] = whole
                return Changes(deliveries=frozenset({did}), event_types=frozenset({kind})), (), False
            waiting = did in self._awaiting
            self._awaiting.setdefault(did, []).append(event.changes)
            if waiting:
                return Changes(event_types=frozenset({kind})), (), False
            self.counters.fetches += 1
            return Changes(event_types=frozenset({kind})), (did,), False
        if isinstance(event, StaffStatusUpdate):
            current = self.staff.get(event.staffId)
            if current is None:
                return self._orphan(STAFF, event.staffId, kind)
            if current.status != event.status:
                self.staff[event.staffId] = current.model_copy(update={"status": event.status})
            return Changes(staff=frozenset({event.staffId}), event_types=frozenset({kind})), (), False
        if isinstance(event, ZoneUpdate):
            current = self.zones.get(event.zoneId)
            if current is None:
                whole = _whole(Zone, event.zoneId, event.changes)
                if whole is None:
                    return self._orphan(ZONES, event.zoneId, kind)
                self.zones[event.zoneId] = whole
            else:
                self.zones[event.zoneId] = _merged(current, event.changes)
            return Changes(zones=frozenset({event.zoneId}), event_types=frozenset({kind})), (), False
        if isinstance(event, StaffLocationUpdate):
            current = self.staff.get(event.staffId)
            if current is None:
                return self._orphan(STAFF, event.staffId, kind)
            self.staff[event.staffId] = current.model_copy(update={"location": event.location})
            return Changes(moved=frozenset({event.staffId}), event_types=frozenset({kind})), (), False
        if isinstance(event, NewCommunication):
            return Changes(communications=self._add_communication(event.communication),
                           event_types=frozenset({kind})), (), False
        raise _CannotApply(f"unknown event {kind}")  # pragma: no cover - the schema has no other kind

    def _orphan(self, kind: str, entity_id: str, event_type: str) -> tuple[Changes, tuple[str, ...], bool]:
        first_time = (kind, entity_id) not in self._orphans
        self._orphans.add((kind, entity_id))
        return Changes(event_types=frozenset({event_type})), (), first_time

    def _add_communication(self, communication: Communication) -> frozenset[str]:
        if communication.id in self._communications:
            return frozenset()
        self._communications[communication.id] = communication
        changed = {communication.id}
        while len(self._communications) > self.max_communications:
            oldest = next(iter(self._communications))
            del self._communications[oldest]
            changed.add(oldest)
        return frozenset(changed)

    # --- resync --------------------------------------------------------------

    def begin_resync(self) -> None:
        """A new event stream starts (welcome ``resumed: false``): hold its events until the snapshot."""
        self._held.clear()
        self._start_loading()

    def drop_held(self) -> None:
        """The stream resumes on a new socket: the server sends again what was held from the old one."""
        self._held.clear()

    def forget_position(self) -> None:
        """The server's history started again (a new epoch): our seq means nothing in it (rule 9)."""
        self.last_seq = None
        self.epoch = None

    def _resync(self) -> Outcome:
        self._start_loading()
        return Outcome(resync=True)

    def _start_loading(self) -> None:
        if not self.loading and self.loaded:
            self.counters.resyncs += 1
        self.loading = True
        self._awaiting.clear()  # the snapshot will hold those deliveries

    def _hold(self, event: Event) -> None:
        if len(self._held) == self._held.maxlen:
            self.counters.held_dropped += 1
        self._held.append(event)

    def load_snapshot(self, snapshot: Snapshot, epoch: Optional[str] = None) -> Outcome:
        """Replace everything with ``snapshot``, then apply the held events it does not contain (rule 3).

        ``epoch``: the stream's, for a snapshot that does not name its own.
        """
        self.deliveries = {d.id: d for d in snapshot.deliveries}
        self.staff = {s.id: s for s in snapshot.staff}
        self.zones = {z.id: z for z in snapshot.zones}
        newest_first = sorted(snapshot.communications, key=_sent_at, reverse=True)[: self.max_communications]
        self._communications = {c.id: c for c in reversed(newest_first)}
        self.last_seq = snapshot.seq
        self.epoch = snapshot.epoch if snapshot.epoch is not None else epoch
        self.loading = False
        self.loaded = True
        self._awaiting.clear()
        held = list(self._held)
        self._held.clear()
        if snapshot.seq is not None:
            held.sort(key=lambda e: -1 if e.seq is None else e.seq)  # stable: arrival order kept per seq
        outcomes = [Outcome(Changes(reset=True))]
        for event in held:
            if self.loading:  # a gap among the held events: hold the rest for the next snapshot
                self._held.append(event)
            else:
                outcomes.append(self._sequence(event, count_duplicates=False))
        return _combine(outcomes)

    # --- answers to fetches and commands ----------------------------------------

    def upsert_delivery(self, delivery: Delivery) -> Outcome:
        """The answer to a fetch that ``Outcome.fetch`` asked for (rule 4)."""
        pending = self._awaiting.pop(delivery.id, None)
        if pending is None:
            return Outcome()  # superseded by a snapshot or a whole-delivery event
        for changes in pending:
            try:
                delivery = _merged(delivery, changes)
            except _CannotApply:
                pass
        self.deliveries[delivery.id] = delivery
        return Outcome(Changes(deliveries=frozenset({delivery.id})))

    def fetch_failed(self, delivery_id: str, *, missing: bool) -> Outcome:
        """The fetch failed: a 404 (``missing``) means the delivery is gone; anything else, resync."""
        if self._awaiting.pop(delivery_id, None) is None or missing or self.loading:
            return Outcome()
        return self._resync()

    def put_delivery(self, delivery: Delivery) -> Outcome:
        """A delivery from a REST answer with no seq (a backend without seq): take it as is."""
        self.deliveries[delivery.id] = delivery
        self._awaiting.pop(delivery.id, None)
        return Outcome(Changes(deliveries=frozenset({delivery.id})))

    def put_communication(self, communication: Communication) -> Outcome:
        """A communication from a REST answer with no seq: add it if it is new."""
        return Outcome(Changes(communications=self._add_communication(communication)))


def _combine(outcomes: list[Outcome]) -> Outcome:
    return Outcome(
        Changes.merge(o.changes for o in outcomes),
        resync=any(o.resync for o in outcomes),
        fetch=tuple(dict.fromkeys(d for o in outcomes for d in o.fetch)),
        applied=tuple(e for o in outcomes for e in o.applied),
    )
