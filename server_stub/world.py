"""The simulated world: state, the rules that keep it coherent, and the events it makes.

    >>> from datetime import datetime, timezone
    >>> w = World(deliveries=50, staff=8, zones=3, seed=1, clock=lambda: datetime(2026, 1, 1, tzinfo=timezone.utc))
    >>> events = w.step()
    >>> events[0].seq, w.seq == events[-1].seq
    (1, True)

Pure and synchronous: no asyncio, no I/O, randomness from one seeded
``random.Random`` and time from an injected clock, so a seed replays a run.
Every change goes through a method that returns the events it recorded, the
first being the change asked for and the rest its consequences (a staff
member now on_delivery, a zone's counts), so that a client folding the
events over a snapshot holds exactly this state. Derived values:

- a zone's ``activeDeliveries`` counts its deliveries not in a final status;
- its ``availableStaff`` counts its staff whose status is ``available``;
- it is ``busy`` when open work outruns free hands (see ``zone_is_busy``);
  ``closed`` is only set and lifted by the simulation or a control call;
- staff who are available or on_delivery are ``on_delivery`` exactly when
  they carry an open delivery; on_break and offline are left alone.

Next: ``behaviour.step`` (what the simulation does), ``rest`` (who calls
``apply_patch`` and ``add_communication``).
"""

from __future__ import annotations

import heapq
import random
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable
from itertools import count, islice

from app.models import (
    FINAL_STATUSES, Cause, Communication, CommunicationDraft, Delivery, DeliveryChanges, DeliveryPatch,
    DeliveryStatus, DeliveryUpdate, Event, NewCommunication, Snapshot, Staff, StaffRole, StaffStatus,
    StaffLocationUpdate, StaffStatusUpdate, Zone, ZoneChanges, ZoneStatus, ZoneUpdate,
)

from . import behaviour
from .bag import Bag
from .city import CENTRE, City
from .clock import Clock, iso, iso_ms, minutes, utc_now
from .generate import generate
from .journal import Journal
from .tracking import Tracking

CARRYING = frozenset({DeliveryStatus.ASSIGNED, DeliveryStatus.PICKED_UP, DeliveryStatus.IN_TRANSIT})
#: Every status in one fixed order (``pick`` draws over bags in this order: a seed replays).
STATUSES = tuple(DeliveryStatus)
OPEN_STATUSES = tuple(s for s in STATUSES if s not in FINAL_STATUSES)
KEPT_COMMUNICATIONS = 1000
SNAPSHOT_COMMUNICATIONS = 200


class Refused(Exception):
    """A change the world will not make; ``status`` is the HTTP code that says why."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def zone_is_busy(active: int, available: int) -> bool:
    return active >= 5 * (available + 1)


class World:
    def __init__(self, *, deliveries: int = 300, staff: int = 40, zones: int = 8, seed: int = 0,
                 replay_buffer: int = 5000, clock: Clock = utc_now, journal: Journal | None = None,
                 location_interval: tuple[float, float] = (2.0, 5.0), locations: bool = True) -> None:
        self.capacity = deliveries
        self.rng = random.Random(seed)
        #: The geography's own randomness (the city, places, movement): the simulation's draws stay the same.
        self.geo = random.Random(f"city:{seed}")
        self.city = City.build(zones, self.geo)
        self.cells = {f"Z-{i + 1}": cell for i, cell in enumerate(self.city.cells)}
        self.tracking = Tracking(self, location_interval, enabled=locations)
        self.clock = clock
        self.journal = journal if journal is not None else Journal(replay_buffer)
        self.deliveries: dict[str, Delivery] = {}
        self.staff: dict[str, Staff] = {}
        self.zones: dict[str, Zone] = {}
        self.communications: deque[Communication] = deque(maxlen=KEPT_COMMUNICATIONS)
        # self.deliveries keeps the ids oldest first (insertion order); these make picks and retirement O(1):
        self._by_status: dict[DeliveryStatus, Bag] = {s: Bag() for s in STATUSES}
        self._born: dict[str, int] = {}  # id -> its place in the order of arrival
        self._arrivals = count()
        self._finished: list[tuple[int, str]] = []  # heap of (born, id) of finished ones; stale entries skipped
        self._open_in_zone: Counter[str] = Counter()
        self._available_in_zone: Counter[str] = Counter()
        self._carrying: defaultdict[str, set[str]] = defaultdict(set)
        now = clock()
        zs, ss, ds = generate(self.rng, now, deliveries, staff, zones, self.city, self.geo)
        self.zones = {z.id: z for z in zs}
        for s in ss:
            cell = self.cells.get(s.zoneId) if s.zoneId else None
            lat, lon = cell.place(self.geo) if cell is not None and s.role is not StaffRole.DISPATCHER else CENTRE
            self._put_staff(s.model_copy(update={"location": self.tracking.place(s.id, lat, lon, now)}))
        for d in ds:
            self._put_delivery(d)
        self._next_delivery = count(1001 + deliveries)
        self._next_communication = count(1)
        self._settle(set(self.staff), set(self.zones), iso(clock()))  # initial state: no events

    # --- reading ---------------------------------------------------------------

    @property
    def seq(self) -> int:
        return self.journal.seq

    def snapshot(self) -> Snapshot:
        """The whole state at ``seq`` of ``epoch``; communications newest first, at most 200."""
        newest = list(islice(reversed(self.communications), SNAPSHOT_COMMUNICATIONS))
        return Snapshot(seq=self.seq, epoch=self.journal.epoch, deliveries=list(self.deliveries.values()),
                        staff=list(self.staff.values()), zones=list(self.zones.values()),
                        communications=newest)

    # --- changes asked for from outside ------------------------------------------

    def step(self) -> list[Event]:
        """One plausible happening, applied and recorded with its consequences."""
        return behaviour.step(self)

    def apply_patch(self, delivery_id: str, patch: DeliveryPatch, publish: bool = True,
                    cause: Cause | None = None) -> list[Event]:
        """A coordinator's change to one delivery (PROTOCOL.md 2, PATCH). Rules:
        a pending delivery given someone becomes assigned; ``status: pending``
        releases the carrier; assigned/picked_up/in_transit need a carrier (409);
        unassigning an assigned delivery makes it pending again. The
        ``delivery_update`` carries ``cause``; its consequences carry none."""
        sent = patch.model_fields_set
        if not sent:
            raise Refused(422, "nothing to change: send status, assignedTo or both")
        if "status" in sent and patch.status is None:
            raise Refused(422, "status: cannot be null")
        old = self.deliveries.get(delivery_id)
        if old is None:
            raise Refused(404, f"no delivery {delivery_id}")
        if "assignedTo" in sent and patch.assignedTo is not None and patch.assignedTo not in self.staff:
            raise Refused(422, f"assignedTo: no staff member {patch.assignedTo}")
        if old.status in FINAL_STATUSES:
            raise Refused(409, f"delivery {delivery_id} is {old.status.value}; it can no longer change")
        status = patch.status if "status" in sent else old.status
        carrier = patch.assignedTo if "assignedTo" in sent else old.assignedTo
        if "status" not in sent:
            if carrier is not None and old.status is DeliveryStatus.PENDING:
                status = DeliveryStatus.ASSIGNED
            elif carrier is None and old.status is DeliveryStatus.ASSIGNED:
                status = DeliveryStatus.PENDING
        if status is DeliveryStatus.PENDING:
            if "assignedTo" in sent and patch.assignedTo is not None:
                raise Refused(409, "a pending delivery has nobody assigned; assign it or leave it pending")
            carrier = None
        if status in CARRYING and carrier is None:
            raise Refused(409, f"a delivery {status.value} needs someone assigned (assignedTo)")
        now = iso(self.clock())
        changes = {"status": status, "assignedTo": carrier, "updatedAt": now}
        return self._change_delivery(old, changes, now, publish, cause)

    def add_communication(self, sender_id: str, draft: CommunicationDraft, publish: bool = True,
                          cause: Cause | None = None) -> list[Event]:
        """A message from ``sender_id`` (a user or staff id) to ``draft.to``."""
        if not draft.body.strip():
            raise Refused(422, "body: a message needs some text")
        if draft.deliveryId is not None and draft.deliveryId not in self.deliveries:
            raise Refused(422, f"deliveryId: no delivery {draft.deliveryId}")
        now = iso(self.clock())
        message = Communication.model_validate({
            "id": self.new_communication_id(), "from": sender_id, "to": draft.to,
            "body": draft.body, "sentAt": now, "deliveryId": draft.deliveryId})
        self.communications.append(message)
        return self._record([NewCommunication(communication=message, ts=now, cause=cause)], publish)

    def apply_event(self, event: Event, publish: bool = True) -> Event:
        """Apply exactly this event (fault injection): no consequences are derived,
        so a control caller can make the world say anything the schema allows."""
        now = iso(self.clock())
        if isinstance(event, DeliveryUpdate):
            fields = event.changes.model_dump(mode="json", exclude_unset=True) | {"id": event.deliveryId}
            old = self.deliveries.get(event.deliveryId)
            merged = (old.wire() | fields) if old else fields
            try:
                new = Delivery.model_validate(merged)
            except ValueError as exc:
                raise Refused(422, f"changes do not make a valid delivery: {first_error(exc)}") from None
            if old is None:
                self._make_room()
            self._put_delivery(new)
        elif isinstance(event, StaffStatusUpdate):
            if event.staffId not in self.staff:
                raise Refused(422, f"no staff member {event.staffId}")
            self._put_staff(self.staff[event.staffId].model_copy(update={"status": event.status}))
        elif isinstance(event, StaffLocationUpdate):
            if not self.tracking.enabled:
                raise Refused(409, "this world speaks PROTOCOL.md version 1: it has no location events")
            if event.staffId not in self.staff:
                raise Refused(422, f"no staff member {event.staffId}")
            self.tracking.teleport(event.staffId, event.location)
            self.staff[event.staffId] = self.staff[event.staffId].model_copy(update={"location": event.location})
        elif isinstance(event, ZoneUpdate):
            if event.zoneId not in self.zones:
                raise Refused(422, f"no zone {event.zoneId}")
            merged = self.zones[event.zoneId].wire() | event.changes.model_dump(mode="json", exclude_unset=True)
            try:
                self.zones[event.zoneId] = Zone.model_validate(merged)
            except ValueError as exc:
                raise Refused(422, f"changes do not make a valid zone: {first_error(exc)}") from None
        else:
            self.communications.append(event.communication)
        if event.ts is None:
            event = event.model_copy(update={"ts": now})
        return self._record([event], publish)[0]

    def touch(self, n: int, publish: bool = True) -> list[Event]:
        """``n`` ETA revisions on random open deliveries (the benchmark's stream)."""
        now = self.clock()
        stamp, precise = iso(now), iso_ms(now)  # ts to the ms: the benchmark measures from it
        events = []
        for _ in range(n):
            d = self.pick(OPEN_STATUSES) or self.pick(STATUSES)
            eta = iso(now + minutes(self.rng.uniform(2, 90)))
            self._put_delivery(d.model_copy(update={"eta": eta, "updatedAt": stamp}))
            events.append(DeliveryUpdate(deliveryId=d.id, changes=DeliveryChanges(eta=eta, updatedAt=stamp),
                                         ts=precise))
        return self._record(events, publish)

    # --- the machinery behaviour.py builds on -----------------------------------

    def pick(self, statuses: Iterable[DeliveryStatus], wanted: Callable[[Delivery], bool] | None = None,
             tries: int = 40) -> Delivery | None:
        """A random delivery in one of ``statuses`` (and satisfying ``wanted``), or None.
        Drawn from the per-status bags, so its cost does not grow with the world; only
        when ``tries`` draws all miss ``wanted`` are those statuses' deliveries scanned."""
        bags = [bag for bag in (self._by_status[s] for s in statuses) if bag]
        total = sum(len(bag) for bag in bags)
        if not total:
            return None
        for _ in range(tries):
            index = self.rng.randrange(total)
            for bag in bags:
                if index < len(bag):
                    d = self.deliveries[bag[index]]
                    break
                index -= len(bag)
            if wanted is None or wanted(d):
                return d
        matches = [d for bag in bags for d in (self.deliveries[i] for i in bag) if wanted(d)]
        return self.rng.choice(matches) if matches else None

    @property
    def open_deliveries(self) -> int:
        return sum(self._open_in_zone.values())

    def carrying(self, staff_id: str) -> set[str]:
        return self._carrying.get(staff_id, set())

    def new_delivery_id(self) -> str:
        return f"D-{next(self._next_delivery)}"

    def new_communication_id(self) -> str:
        return f"C-{next(self._next_communication)}"

    def _change_delivery(self, old: Delivery | None, changes: dict, now: str, publish: bool = True,
                         cause: Cause | None = None) -> list[Event]:
        """Apply ``changes`` to a delivery (or insert a whole new one) and record the
        update followed by what it implies for its carriers and zones."""
        new = old.model_copy(update=changes) if old else Delivery.model_validate(changes)
        if old is None:
            self._make_room()
        self._put_delivery(new)
        people = {x for x in (old and old.assignedTo, new.assignedTo) if x in self.staff}
        places = {x for x in (old and old.zoneId, new.zoneId) if x in self.zones}
        update = DeliveryUpdate(deliveryId=new.id, changes=DeliveryChanges(**changes), ts=now, cause=cause)
        return self._record([update, *self._settle(people, places, now)], publish)

    def _change_staff(self, staff_id: str, status: StaffStatus, now: str) -> list[Event]:
        person = self.staff[staff_id]
        self._put_staff(person.model_copy(update={"status": status}))
        events = [StaffStatusUpdate(staffId=staff_id, status=status, ts=now)]
        return self._record(events + self._settle({staff_id}, {person.zoneId} - {None}, now))

    def _set_zone_closed(self, zone_id: str, closed: bool, now: str) -> list[Event]:
        zone = self.zones[zone_id]
        self.zones[zone_id] = zone.model_copy(update={"status": ZoneStatus.CLOSED if closed else ZoneStatus.OPEN})
        return self._record([ZoneUpdate(zoneId=zone_id, changes=ZoneChanges(status=self.zones[zone_id].status), ts=now),
                             *self._settle(set(), {zone_id}, now)])

    def _settle(self, people: set[str], places: set[str], now: str) -> list[Event]:
        """Bring derived staff statuses and zone counts in line; return unrecorded events."""
        events: list[Event] = []
        for sid in sorted(people):
            person = self.staff[sid]
            if person.status in (StaffStatus.AVAILABLE, StaffStatus.ON_DELIVERY):
                want = StaffStatus.ON_DELIVERY if self._carrying.get(sid) else StaffStatus.AVAILABLE
                if want is not person.status:
                    self._put_staff(person.model_copy(update={"status": want}))
                    events.append(StaffStatusUpdate(staffId=sid, status=want, ts=now))
                    places = places | ({person.zoneId} - {None})
        for zid in sorted(places):
            zone = self.zones[zid]
            active, available = self._open_in_zone[zid], self._available_in_zone[zid]
            status = zone.status
            if status is not ZoneStatus.CLOSED:
                status = ZoneStatus.BUSY if zone_is_busy(active, available) else ZoneStatus.OPEN
            want = {"status": status, "activeDeliveries": active, "availableStaff": available}
            changes = {k: v for k, v in want.items() if getattr(zone, k) != v}
            if changes:
                self.zones[zid] = zone.model_copy(update=changes)
                events.append(ZoneUpdate(zoneId=zid, changes=ZoneChanges(**changes), ts=now))
        return events

    def _record(self, events: list[Event], publish: bool = True) -> list[Event]:
        return [self.journal.record(e, publish) for e in events]

    def _make_room(self) -> None:
        """Keep the world at most ``capacity`` deliveries: retire the oldest finished one
        (there is no delete event; a client loses it at its next snapshot)."""
        while len(self.deliveries) >= self.capacity:
            self._remove_delivery(self._oldest_finished() or next(iter(self.deliveries)))

    def _oldest_finished(self) -> str | None:
        """The finished delivery that arrived first: the heap's top, once entries that no
        longer hold (retired, reopened by a control call) are dropped. O(log n) amortised."""
        heap = self._finished
        while heap:
            born, delivery_id = heap[0]
            d = self.deliveries.get(delivery_id)
            if d is not None and self._born[delivery_id] == born and d.status in FINAL_STATUSES:
                return delivery_id
            heapq.heappop(heap)
        return None

    def _put_delivery(self, new: Delivery) -> None:
        old = self.deliveries.get(new.id)
        if old is None:
            self._born[new.id] = next(self._arrivals)
        else:
            self._unindex(old)
        self.deliveries[new.id] = new
        self._by_status[new.status].add(new.id)
        if new.status in FINAL_STATUSES and (old is None or old.status not in FINAL_STATUSES):
            heapq.heappush(self._finished, (self._born[new.id], new.id))
        if new.status not in FINAL_STATUSES:
            self._open_in_zone[new.zoneId] += 1
            if new.assignedTo is not None:
                self._carrying[new.assignedTo].add(new.id)

    def _remove_delivery(self, delivery_id: str) -> None:
        self._unindex(self.deliveries.pop(delivery_id))
        del self._born[delivery_id]

    def _unindex(self, d: Delivery) -> None:
        self._by_status[d.status].discard(d.id)
        if d.status not in FINAL_STATUSES:
            self._open_in_zone[d.zoneId] -= 1
            if d.assignedTo is not None:
                self._carrying[d.assignedTo].discard(d.id)

    def _put_staff(self, new: Staff) -> None:
        old = self.staff.get(new.id)
        if old is not None and old.status is StaffStatus.AVAILABLE and old.zoneId is not None:
            self._available_in_zone[old.zoneId] -= 1
        self.staff[new.id] = new
        if new.status is StaffStatus.AVAILABLE and new.zoneId is not None:
            self._available_in_zone[new.zoneId] += 1


def first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", lambda: [])()
    if not errors:
        return str(exc)
    e = errors[0]
    return f"{'.'.join(str(p) for p in e.get('loc', ())) or 'body'}: {e.get('msg')}"
