"""What the staff, zone and map panels derive from the deliveries, kept as one index. Pure, no browser.

    >>> from app.models import Delivery
    >>> work = OpenWork()
    >>> d = Delivery(id="D-1", status="in_transit", customer="Ada", address="1 Main St",
    ...              zoneId="Z-1", assignedTo="S-1", updatedAt="2026-11-26T10:00:00Z")
    >>> work.update("D-1", d)
    Affected(staff={'S-1'}, zones=set())
    >>> sorted(work.carried_by("S-1")), work.pending_in("Z-1")
    (['D-1'], 0)
    >>> backlog_alert(pending=7, available=2), backlog_alert(pending=6, available=2)
    (True, False)

A staff row shows the delivery its person is carrying now; a zone card shows
how many deliveries wait for someone. Scanning 10,000 deliveries on every
event would be wasteful, so ``OpenWork`` keeps two indexes (carrier -> open
deliveries, zone -> pending deliveries) and ``update`` says exactly which
staff rows and zone cards one changed delivery touches. ``reset`` rebuilds
them after a snapshot.

There is one index for the whole board, the client's (``Client.work``):
``follow`` keeps it in step with each ``Render`` and names what it touched in
``Changes.carriers`` and ``Changes.waiting``, so the panels that show open
work read it and redraw those ids, and none keeps (or rebuilds) a copy.

Rules:

1. A delivery is *carried* by ``assignedTo`` while its status is not final
   (delivered, failed, cancelled).
2. A delivery is *waiting* in its zone while its status is ``pending``.
3. A person's *current* delivery is the most advanced one they carry
   (in transit, then picked up, then assigned, then pending), then the
   earliest ETA, then the id.
4. A zone is *short of staff* when its waiting deliveries outnumber three
   per available person, counting no one as one:
   ``pending > ALERT_FACTOR * max(1, available)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Iterable, Optional

from app.models import Delivery, DeliveryStatus, Staff, StaffStatus, is_open
from app.store import Changes

ALERT_FACTOR = 3
#: Staff filters: every status or zone (``ANY``), or only people with no zone (``NO_ZONE``).
ANY = ""
NO_ZONE = "-"

_RANK = {
    DeliveryStatus.IN_TRANSIT: 0,
    DeliveryStatus.PICKED_UP: 1,
    DeliveryStatus.ASSIGNED: 2,
    DeliveryStatus.PENDING: 3,
}


def backlog_alert(pending: int, available: int) -> bool:
    """Rule 4: the zone's waiting work clearly outruns the people free to take it."""
    return pending > ALERT_FACTOR * max(1, available)


@dataclass
class Affected:
    """The staff rows and zone cards whose derived values may have changed."""

    staff: set = field(default_factory=set)
    zones: set = field(default_factory=set)

    def __or__(self, other: "Affected") -> "Affected":
        return Affected(self.staff | other.staff, self.zones | other.zones)


class OpenWork:
    """Carrier -> open deliveries, zone -> waiting deliveries; see the module docstring."""

    def __init__(self) -> None:
        self._carrier: dict[str, str] = {}  # open delivery id -> staff id
        self._carried: dict[str, set[str]] = {}  # staff id -> open delivery ids
        self._waiting_zone: dict[str, str] = {}  # pending delivery id -> zone id
        self._waiting: dict[str, set[str]] = {}  # zone id -> pending delivery ids
        self._key: dict[str, tuple] = {}  # open delivery id -> its ``current_key`` and status
        self._current: dict[str, str] = {}  # staff id -> the open delivery they are on now (rule 3)

    def reset(self, deliveries: Iterable[Delivery]) -> None:
        self._carrier.clear()
        self._carried.clear()
        self._key.clear()
        self._current.clear()
        self._waiting_zone.clear()
        self._waiting.clear()
        for delivery in deliveries:
            self.update(delivery.id, delivery)

    def follow(self, changes: Changes, board) -> Changes:
        """Bring the index up to ``changes`` (``board``: the effective deliveries, ``Client``'s views);
        returns them with the staff and zones whose open work changed in ``carriers`` and ``waiting``."""
        if changes.reset:
            self.reset(board.deliveries())
            return changes
        staff: set[str] = set()
        zones: set[str] = set()
        for delivery_id in changes.deliveries:
            touched = self.update(delivery_id, board.delivery(delivery_id))
            staff |= touched.staff
            zones |= touched.zones
        if not staff and not zones:
            return changes
        return replace(changes, carriers=changes.carriers | staff, waiting=changes.waiting | zones)

    def update(self, delivery_id: str, delivery: Optional[Delivery]) -> Affected:
        """``delivery`` is its new (effective) state, None if it is gone; returns what that touches.

        A carrier is touched when what their row shows of their work may change: how many they
        carry, or which one is current and its status. Most live updates move an ETA of a delivery
        that is not someone's current one, and touch no one."""
        touched = Affected()
        carrier = delivery.assignedTo if delivery is not None and is_open(delivery.status) else None
        old_carrier = self._carrier.get(delivery_id)
        if old_carrier is not None and carrier != old_carrier:
            touched.staff.add(old_carrier)
            self._discard(self._carried, old_carrier, delivery_id)
            del self._carrier[delivery_id]
            del self._key[delivery_id]
            if self._current.get(old_carrier) == delivery_id:
                self._choose_current(old_carrier)
        if carrier is not None:
            key = (*current_key(delivery), str(delivery.status))  # a status of the same rank shows too
            current = self._current.get(carrier)
            if carrier != old_carrier:
                touched.staff.add(carrier)
                self._carrier[delivery_id] = carrier
                self._carried.setdefault(carrier, set()).add(delivery_id)
                self._key[delivery_id] = key
                if current is None or key < self._key[current]:
                    self._current[carrier] = delivery_id
            elif key != self._key[delivery_id]:
                self._key[delivery_id] = key
                if current == delivery_id:
                    touched.staff.add(carrier)  # its status may show, or another may be current now
                    self._choose_current(carrier)
                elif key < self._key[current]:
                    touched.staff.add(carrier)
                    self._current[carrier] = delivery_id
        zone = delivery.zoneId if delivery is not None and delivery.status is DeliveryStatus.PENDING else None
        old_zone = self._waiting_zone.get(delivery_id)
        if zone != old_zone:
            if old_zone is not None:
                self._discard(self._waiting, old_zone, delivery_id)
                del self._waiting_zone[delivery_id]
                touched.zones.add(old_zone)
            if zone is not None:
                self._waiting_zone[delivery_id] = zone
                self._waiting.setdefault(zone, set()).add(delivery_id)
                touched.zones.add(zone)
        return touched

    def current(self, staff_id: str) -> Optional[str]:
        """Rule 3: the id of the delivery this person is on now, kept as deliveries change."""
        return self._current.get(staff_id)

    def _choose_current(self, staff_id: str) -> None:
        carried, keys = self._carried.get(staff_id), self._key
        if carried:
            self._current[staff_id] = min(carried, key=keys.__getitem__)
        else:
            self._current.pop(staff_id, None)

    def carried_by(self, staff_id: str) -> frozenset[str]:
        return frozenset(self._carried.get(staff_id, ()))

    def carried_count(self, staff_id: str) -> int:
        return len(self._carried.get(staff_id, ()))

    def pending_in(self, zone_id: str) -> int:
        return len(self._waiting.get(zone_id, ()))

    @staticmethod
    def _discard(index: dict[str, set[str]], key: str, delivery_id: str) -> None:
        ids = index.get(key)
        if ids is not None:
            ids.discard(delivery_id)
            if not ids:
                del index[key]


def current_key(delivery: Delivery) -> tuple:
    """Rule 3's order: the smallest is the one a person is on now."""
    return (_RANK.get(delivery.status, 9), delivery.eta is None, delivery.eta or "", delivery.id)


def current_delivery(deliveries: Iterable[Delivery]) -> Optional[Delivery]:
    """Rule 3: the one a person is on now, out of those they carry."""
    return min(deliveries, key=current_key, default=None)


def staff_visible(member: Staff, status: str = ANY, zone: str = ANY) -> bool:
    """Does ``member`` pass the status and zone filters (``ANY``, a value, or ``NO_ZONE``)?"""
    if status != ANY and member.status != status:
        return False
    if zone == ANY:
        return True
    if zone == NO_ZONE:
        return member.zoneId is None
    return member.zoneId == zone


def status_counts(staff: Iterable[Staff], zone: str = ANY) -> dict[str, int]:
    """People per status among those in ``zone`` (every status present, zeros included)."""
    counts = {status.value: 0 for status in StaffStatus}
    for member in staff:
        if staff_visible(member, ANY, zone):
            counts[str(member.status)] = counts.get(str(member.status), 0) + 1
    return counts


def by_name(item) -> tuple[str, str]:
    """People (and zones) are listed by name, then id, so a status change never moves a row."""
    return (item.name.casefold(), item.id)


def to_append(placed: list[str], wanted: list[str]) -> list[str]:
    """The rows to append, in order, to turn a list showing ``placed`` into one showing ``wanted``
    (appending an attached row moves it): only the new tail when ``wanted`` extends ``placed``, as
    when a long roster is drawn in chunks, else every row.

    >>> to_append(["a", "b"], ["a", "b", "c"])
    ['c']
    >>> to_append(["a", "c"], ["a", "b", "c"])
    ['a', 'b', 'c']
    """
    if wanted[:len(placed)] == placed:
        return wanted[len(placed):]
    return list(wanted)
