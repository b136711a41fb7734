"""Who is nearest a delivery: the assign candidates in the order a dispatcher weighs them. Pure, no browser.

    >>> from app.models import Delivery, Staff
    >>> def person(i, status="available", at=None):
    ...     where = None if at is None else {"lat": at[0], "lon": at[1], "at": "2026-11-26T10:00:00Z"}
    ...     return Staff.model_validate({"id": f"S-{i}", "name": f"P{i}", "role": "driver", "status": status,
    ...                                  "lastSeenAt": "2026-11-26T10:00:00Z", "location": where})
    >>> job = Delivery.model_validate({"id": "D-1", "status": "pending", "customer": "Ada", "address": "1 Main St",
    ...     "zoneId": "Z-1", "updatedAt": "2026-11-26T10:00:00Z", "pickup": {"lat": 52.52, "lon": 13.40}})
    >>> people = [person(1, at=(52.53, 13.40)), person(2, "on_break", at=(52.52, 13.40)), person(3),
    ...           person(4, at=(52.521, 13.40))]
    >>> [(c.member.id, distance_text(c.metres)) for c in nearest_order(people, target(job), {})]
    [('S-4', '110 m'), ('S-1', '1.1 km'), ('S-3', ''), ('S-2', '0 m')]

The order (``rank_key``):

1. available people first (status ``available``), then everyone else;
2. within each, people with a location before those without, nearest first:
   straight-line distance (``app.geo.distance_m``) from the delivery's
   *target*, its pickup, or its drop-off once picked up (``picked_up``,
   ``in_transit``: ``target``);
3. at equal distance, fewer open deliveries first (``open_counts``);
4. people with no location, and everyone when the delivery has no point
   (a version-1 backend), by name, then id; they show no distance.

So a farther available driver never comes before a nearer available one
(tests/test_nearest.py checks it as a property). Cost: one distance per
person, no pass over the deliveries; the open-delivery counts are made by
the caller once per opening of the list (``open_counts``), not per keystroke.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Mapping, NamedTuple, Optional

from app.geo import distance_m
from app.models import DeliveryStatus, Staff, StaffStatus

#: Statuses in which the delivery has left its pickup: the candidate goes to its drop-off.
PAST_PICKUP = frozenset({DeliveryStatus.PICKED_UP, DeliveryStatus.IN_TRANSIT})

LatLon = tuple[float, float]


class Candidate(NamedTuple):
    member: Staff
    metres: Optional[float]  # to the delivery's target; None when either has no point
    open_deliveries: int


def target(delivery) -> Optional[LatLon]:
    """Where a candidate must go first: the pickup, or the drop-off once picked up; None if unknown."""
    point = delivery.dropoff if delivery.status in PAST_PICKUP else delivery.pickup
    return None if point is None else (point.lat, point.lon)


def open_counts(assignees: Iterable[Optional[str]]) -> dict[str, int]:
    """Open deliveries per person, from the assignees of the *open* deliveries (None: nobody)."""
    return dict(Counter(a for a in assignees if a is not None))


def rank_key(candidate: Candidate) -> tuple:
    """Rules 1-4 of the module docstring as one sort key."""
    member = candidate.member
    busy = member.status != StaffStatus.AVAILABLE
    if candidate.metres is None:
        return (busy, True, 0.0, 0, member.name.casefold(), member.id)
    return (busy, False, candidate.metres, candidate.open_deliveries, member.name.casefold(), member.id)


def nearest_order(staff: Iterable[Staff], point: Optional[LatLon], counts: Mapping[str, int]) -> list[Candidate]:
    """``staff`` as candidates for a delivery whose target is ``point`` (``target``), in rank order."""
    out = []
    for member in staff:
        where = member.location
        metres = None if point is None or where is None else distance_m(point, (where.lat, where.lon))
        out.append(Candidate(member, metres, counts.get(member.id, 0)))
    out.sort(key=rank_key)
    return out


def distance_text(metres: Optional[float]) -> str:
    """A distance for people: "7 m", "350 m", "1.2 km", "24.5 km", "1,250 km"; "" when unknown.

    >>> [distance_text(m) for m in (None, 7.4, 346, 995, 1234, 24_460, 1_250_400)]
    ['', '7 m', '350 m', '1.0 km', '1.2 km', '24.5 km', '1,250 km']
    """
    if metres is None:
        return ""
    if metres < 100:
        return f"{round(metres)} m"
    if round(metres, -1) < 1000:
        return f"{round(metres, -1):.0f} m"
    km = metres / 1000
    if round(km, 1) < 100:
        return f"{km:.1f} km"
    return f"{round(km):,} km"
