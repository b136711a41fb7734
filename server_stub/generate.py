"""The starting world: seeded, plausible zones, staff and deliveries.

    >>> import random
    >>> from datetime import datetime, timezone
    >>> zones, staff, deliveries = generate(random.Random(1), datetime(2026, 1, 1, tzinfo=timezone.utc), 20, 5, 2)
    >>> len(zones), len(staff), len(deliveries)
    (2, 5, 20)

Counts that are derived (a zone's activeDeliveries and availableStaff, a
staff member's on_delivery) are left for the world to settle, so the rules
for them live in one place (world.py).
"""

from __future__ import annotations

import random
from datetime import datetime

from app.models import Delivery, DeliveryStatus, Point, Priority, Staff, StaffRole, StaffStatus, Zone, ZoneStatus

from .city import Cell, City
from .clock import iso, minutes

ZONE_NAMES = [
    "North", "South", "East", "West", "Harbour", "Old Town", "Riverside", "Airport",
    "Docklands", "Hillside", "Market", "University", "Station", "Parkway", "Lakeside",
    "Industrial", "Castle", "Meadows", "Quayside", "Uptown",
]
FIRST = [
    "Ada", "Ben", "Chloe", "Dev", "Elif", "Farid", "Grace", "Hugo", "Ines", "Jon", "Kemi", "Luca",
    "Maya", "Nils", "Olu", "Priya", "Quinn", "Rosa", "Sami", "Tara", "Uma", "Viktor", "Wen", "Yara", "Zoe",
]
LAST = [
    "Adams", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen", "Khan",
    "Lopez", "Moreau", "Novak", "Okafor", "Patel", "Rossi", "Silva", "Tanaka", "Ueda", "Varga", "Walsh",
]
STREETS = [
    "High St", "Mill Lane", "Church Rd", "Station Rd", "Park Ave", "Quay St", "King St", "Victoria Rd",
    "Bridge St", "Market Sq", "Elm Grove", "Canal Walk", "Hill Rise", "Orchard Way", "Dock Rd",
]
ROLES = [StaffRole.DRIVER, StaffRole.COURIER, StaffRole.DISPATCHER]
ROLE_WEIGHTS = [50, 40, 10]
PRIORITIES = [Priority.NORMAL, Priority.HIGH, Priority.URGENT]
PRIORITY_WEIGHTS = [75, 20, 5]
START_STATUSES = [
    DeliveryStatus.PENDING, DeliveryStatus.ASSIGNED, DeliveryStatus.PICKED_UP, DeliveryStatus.IN_TRANSIT,
    DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED,
]
START_WEIGHTS = [14, 10, 8, 10, 50, 4, 4]
#: How many open deliveries one person carries at most (dispatchers carry none).
CAPACITY = {StaffRole.DRIVER: 3, StaffRole.COURIER: 2, StaffRole.DISPATCHER: 0}
#: Minutes from now to a fresh ETA, by status.
ETA_MINUTES = {
    DeliveryStatus.PENDING: (30, 180), DeliveryStatus.ASSIGNED: (20, 120),
    DeliveryStatus.PICKED_UP: (10, 60), DeliveryStatus.IN_TRANSIT: (2, 40),
}


def zone_name(index: int) -> str:
    return ZONE_NAMES[index] if index < len(ZONE_NAMES) else f"Sector {index + 1}"


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def address(rng: random.Random, zone: Zone) -> str:
    return f"{rng.randint(1, 240)} {rng.choice(STREETS)}, {zone.name}"


def eta_for(rng: random.Random, status: DeliveryStatus, now: datetime) -> str | None:
    span = ETA_MINUTES.get(status)
    return iso(now + minutes(rng.uniform(*span))) if span else None


def ends(geo: random.Random | None, cell: Cell | None) -> dict:
    """A delivery's ``pickup`` and ``dropoff``, two places in its zone (none without a city)."""
    if geo is None or cell is None:
        return {}
    (plat, plon), (dlat, dlon) = cell.place(geo), cell.place(geo)
    return {"pickup": Point(lat=plat, lon=plon), "dropoff": Point(lat=dlat, lon=dlon)}


def new_delivery(rng: random.Random, delivery_id: str, zone: Zone, now: datetime,
                 geo: random.Random | None = None, cell: Cell | None = None) -> Delivery:
    """A fresh pending order, as the simulation lets one arrive; ``geo`` draws its places in ``cell``."""
    return Delivery(
        id=delivery_id, status=DeliveryStatus.PENDING, customer=person(rng), address=address(rng, zone),
        zoneId=zone.id, assignedTo=None, priority=rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0],
        eta=eta_for(rng, DeliveryStatus.PENDING, now), updatedAt=iso(now), **ends(geo, cell),
    )


def generate(rng: random.Random, now: datetime, n_deliveries: int, n_staff: int, n_zones: int,
             city: City | None = None, geo: random.Random | None = None):
    """Zones, staff and deliveries; a delivery past pending is carried by someone who can.
    With a ``city`` (of ``n_zones`` cells) zones get their ``area`` and deliveries their places,
    drawn from ``geo`` so that ``rng`` draws the same world with or without them."""
    cells = list(city.cells) if city is not None else [None] * n_zones
    zones = [
        Zone(id=f"Z-{i + 1}", name=zone_name(i), status=ZoneStatus.OPEN, activeDeliveries=0, availableStaff=0,
             area=cells[i].ring if cells[i] is not None else None)
        for i in range(n_zones)
    ]
    cell_of = {z.id: c for z, c in zip(zones, cells)}
    staff = []
    for i in range(n_staff):
        role = rng.choices(ROLES, ROLE_WEIGHTS)[0]
        status = rng.choices([StaffStatus.AVAILABLE, StaffStatus.ON_BREAK, StaffStatus.OFFLINE], [75, 12, 13])[0]
        staff.append(Staff(
            id=f"S-{i + 1:02d}", name=person(rng), role=role, status=status,
            zoneId=None if role is StaffRole.DISPATCHER else rng.choice(zones).id,
            lastSeenAt=iso(now - minutes(rng.uniform(0, 30 if status is not StaffStatus.OFFLINE else 600))),
        ))
    # About a quarter of those on shift start free, so the board does not open saturated.
    room = {s.id: CAPACITY[s.role] for s in staff
            if s.status is StaffStatus.AVAILABLE and CAPACITY[s.role] and rng.random() < 0.75}
    in_zone = {z.id: [s.id for s in staff if s.id in room and s.zoneId == z.id] for z in zones}
    carriers = [s.id for s in staff if CAPACITY[s.role]]
    deliveries = []
    for i in range(n_deliveries):
        zone = rng.choice(zones)
        status = rng.choices(START_STATUSES, START_WEIGHTS)[0]
        carrier = None
        if status in ETA_MINUTES and status is not DeliveryStatus.PENDING:
            choices = [sid for sid in in_zone[zone.id] if room[sid]] or [sid for sid, left in room.items() if left]
            if choices:
                carrier = rng.choice(choices)
                room[carrier] -= 1
            else:
                status = DeliveryStatus.PENDING
        elif status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED) and carriers:
            carrier = rng.choice(carriers)  # who carried it, kept as history
        if status is DeliveryStatus.DELIVERED:
            eta = iso(now - minutes(rng.uniform(5, 240)))
        else:
            eta = eta_for(rng, status, now)
        deliveries.append(Delivery(
            id=f"D-{1001 + i}", status=status, customer=person(rng), address=address(rng, zone),
            zoneId=zone.id, assignedTo=carrier,
            priority=rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0], eta=eta,
            updatedAt=iso(now - minutes(rng.uniform(0, 90))), **ends(geo, cell_of[zone.id]),
        ))
    return zones, staff, deliveries
