"""What the simulated city does, one happening per ``step``.

    >>> from server_stub.world import World
    >>> w = World(deliveries=30, staff=6, zones=2, seed=3)
    >>> all(e.seq for e in step(w))
    True

Each action returns the events the world recorded, or ``[]`` when it does
not apply right now (no pending order to assign, nobody on a break...);
``step`` then falls back to actions that always apply. The world's own
methods keep the derived counts right; this module only decides what happens.
"""

from __future__ import annotations

from datetime import datetime

from app.models import (
    FINAL_STATUSES, CommunicationDraft, DeliveryStatus, Event, StaffRole, StaffStatus, ZoneStatus,
)

from .clock import iso, minutes
from .generate import CAPACITY, eta_for, new_delivery

S = DeliveryStatus
#: The statuses still open, in enum order (``World.pick`` draws over them in this order).
OPEN_STATUSES = tuple(s for s in DeliveryStatus if s not in FINAL_STATUSES)
#: Share of the world's capacity that is open work; new orders arrive below it.
OPEN_TARGET = 0.4
#: Open deliveries per driver or courier at most (they carry up to 2 or 3 each).
HANDS_LOAD = 1.5
MESSAGES = [
    "Customer not home, left at reception",
    "Running about 10 minutes late",
    "Traffic on the ring road, slow going",
    "Address unclear, calling the customer",
    "Parcel damaged at pickup, photos taken",
    "Gate code does not work, waiting outside",
    "Customer asked for a later slot",
    "Picked up, on my way",
]
CHATTER = [
    "Vehicle needs fuel, 5 minutes",
    "Back on shift",
    "Anything else for my area?",
    "Roadworks on the high street, detouring",
]


def open_target(w) -> float:
    """How much open work the city carries: a share of the world, but no more than
    its people can roughly handle, so some of them are free at any time."""
    hands = sum(1 for s in w.staff.values() if CAPACITY[s.role])
    return min(OPEN_TARGET * w.capacity, HANDS_LOAD * hands)


def advance(w) -> list[Event]:
    """Move carried work along: assigned → picked_up → in_transit → delivered (sometimes failed/cancelled)."""
    now = w.clock()
    if w.rng.random() < 0.03:
        d = w.pick((S.PENDING,))
        if d is not None:
            return w._change_delivery(d, {"status": S.CANCELLED, "updatedAt": iso(now)}, iso(now))
    d = w.pick((S.ASSIGNED, S.PICKED_UP, S.IN_TRANSIT))
    if d is None:
        return []
    roll = w.rng.random()
    if d.status is S.ASSIGNED:
        status = S.CANCELLED if roll < 0.04 else S.PICKED_UP
    elif d.status is S.PICKED_UP:
        status = S.IN_TRANSIT
    else:
        status = S.FAILED if roll < 0.08 else S.DELIVERED
    changes = {"status": status, "updatedAt": iso(now)}
    if status not in FINAL_STATUSES:
        changes["eta"] = eta_for(w.rng, status, now)
    return w._change_delivery(d, changes, iso(now))


def assign(w) -> list[Event]:
    """Give a pending order in a working zone to someone with room, local people first."""
    d = w.pick((S.PENDING,), lambda d: w.zones[d.zoneId].status is not ZoneStatus.CLOSED)
    if d is None:
        return []
    free = [s for s in w.staff.values()
            if s.status in (StaffStatus.AVAILABLE, StaffStatus.ON_DELIVERY) and len(w.carrying(s.id)) < CAPACITY[s.role]]
    pool = [s for s in free if s.zoneId == d.zoneId] or free
    if not pool:
        return []
    busy = [s for s in pool if w.carrying(s.id)]
    carrier = w.rng.choice(busy if busy and w.rng.random() < 0.7 else pool)  # batching leaves some free
    now = w.clock()
    return w._change_delivery(d, {"status": S.ASSIGNED, "assignedTo": carrier.id,
                                  "eta": eta_for(w.rng, S.ASSIGNED, now), "updatedAt": iso(now)}, iso(now))


def arrive(w) -> list[Event]:
    """A new order, sent as a delivery_update whose changes is the whole delivery."""
    if w.open_deliveries >= open_target(w):
        return []
    zones = [z for z in w.zones.values() if z.status is not ZoneStatus.CLOSED]
    if not zones:
        return []
    now = w.clock()
    zone = w.rng.choice(zones)
    d = new_delivery(w.rng, w.new_delivery_id(), zone, now, w.geo, w.cells.get(zone.id))
    return w._change_delivery(None, d.model_dump(), iso(now))


def revise_eta(w) -> list[Event]:
    d = w.pick(OPEN_STATUSES, lambda d: d.eta is not None)
    if d is None:
        return []
    now = w.clock()
    eta = iso(max(now, _parse(d.eta)) + minutes(w.rng.choice([-1, 1]) * w.rng.uniform(1, 10)))
    return w._change_delivery(d, {"eta": eta, "updatedAt": iso(now)}, iso(now))


def take_break(w) -> list[Event]:
    """Someone free goes on a break, or someone on a break comes back."""
    person = w.rng.choice(list(w.staff.values()))
    now = iso(w.clock())
    if person.status is StaffStatus.ON_BREAK:
        back = StaffStatus.ON_DELIVERY if w.carrying(person.id) else StaffStatus.AVAILABLE
        return w._change_staff(person.id, back, now)
    if person.status is StaffStatus.AVAILABLE and w.rng.random() < 0.5:
        return w._change_staff(person.id, StaffStatus.ON_BREAK, now)
    return []


def shift(w) -> list[Event]:
    """Someone free goes off shift, or someone offline comes on."""
    person = w.rng.choice(list(w.staff.values()))
    now = iso(w.clock())
    if person.status is StaffStatus.OFFLINE:
        back = StaffStatus.ON_DELIVERY if w.carrying(person.id) else StaffStatus.AVAILABLE
        return w._change_staff(person.id, back, now)
    if person.status is StaffStatus.AVAILABLE and not w.carrying(person.id) and w.rng.random() < 0.5:
        return w._change_staff(person.id, StaffStatus.OFFLINE, now)
    return []


def message(w) -> list[Event]:
    """A note from someone on shift to the coordinators, often about one of their deliveries."""
    on_shift = [s for s in w.staff.values() if s.status is not StaffStatus.OFFLINE and s.role is not StaffRole.DISPATCHER]
    if not on_shift:
        return []
    person = w.rng.choice(on_shift)
    carried = sorted(w.carrying(person.id))
    if carried and w.rng.random() < 0.7:
        about, body = w.rng.choice(carried), w.rng.choice(MESSAGES)
    else:
        about, body = None, w.rng.choice(CHATTER)
    return w.add_communication(person.id, CommunicationDraft(to="coordinators", body=body, deliveryId=about))


def toggle_zone(w) -> list[Event]:
    """Rarely a zone closes (weather, an event); a closed one reopens before another closes."""
    closed = [z for z in w.zones.values() if z.status is ZoneStatus.CLOSED]
    now = iso(w.clock())
    if closed:
        return w._set_zone_closed(w.rng.choice(closed).id, False, now)
    if len(w.zones) < 2:
        return []
    return w._set_zone_closed(w.rng.choice(list(w.zones)), True, now)


ACTIONS = [advance, assign, arrive, revise_eta, take_break, shift, message, toggle_zone]
WEIGHTS = [30, 16, 14, 14, 8, 3, 10, 1]
ALWAYS = [arrive, advance, revise_eta, message, assign]


def step(w) -> list[Event]:
    first = w.rng.choices(ACTIONS, WEIGHTS)[0]
    for action in [first, *ALWAYS]:
        events = action(w)
        if events:
            return events
    return w.touch(1)


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
