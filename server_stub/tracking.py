"""Where every staff member is, and the ``staff_location_update`` events that say so.

    >>> from server_stub.world import World
    >>> w = World(deliveries=20, staff=4, zones=2, seed=1)
    >>> all(s.location is not None for s in w.staff.values())
    True

Each person has a ``movement.Motion``, advanced lazily: only when an event is
about to be sent for them, by the world-clock seconds since they last moved
(at most ``MAX_STEP``: a stub stopped for an hour does not teleport its
drivers). Two things send events:

- ``due()``, the simulation's feed: every person is looked at every
  ``interval`` seconds (a random draw in it per look) and sends an event if
  they moved or just stopped;
- ``burst(n)``, the benchmark's: ``n`` events round-robin over everyone,
  moving or not (a still person sends their unchanged place with speed 0).

A staff member's ``location`` in the world (and so the snapshot) is the one
last sent, so a client folding the events over a snapshot holds this state.
Randomness comes from the world's geography rng, not the simulation's, so the
simulation replays the same for a seed whether or not locations flow.
"""

from __future__ import annotations

import heapq
from datetime import datetime
from typing import TYPE_CHECKING

from app.models import DeliveryStatus, Location, StaffLocationUpdate, StaffRole, StaffStatus

from .clock import iso_ms
from .movement import STILL, Drift, Goal, Motion, Travel, advance

if TYPE_CHECKING:
    from .world import World

#: Seconds of movement one advance covers at most.
MAX_STEP = 30.0
#: Decimal places sent for lat/lon (about 1 cm).
DIGITS = 7
ON_THE_WAY = (DeliveryStatus.PICKED_UP, DeliveryStatus.IN_TRANSIT)


class Tracking:
    """Everyone's motion, the look-schedule of ``due()`` and the round-robin of ``burst()``.
    ``enabled`` False (a version-1 backend) sends nothing at all."""

    def __init__(self, world: "World", interval: tuple[float, float] = (2.0, 5.0), enabled: bool = True) -> None:
        if not 0 <= interval[0] <= interval[1]:
            raise ValueError(f"location interval must be 0 <= MIN <= MAX, got {interval}")
        self.world = world
        self.interval = interval
        self.enabled = enabled
        self.motion: dict[str, Motion] = {}
        self.moved_at: dict[str, datetime] = {}
        self._schedule: list[tuple[float, str]] = []
        self._turn = 0
        self._ids: list[str] = []

    def place(self, staff_id: str, lat: float, lon: float, now: datetime) -> Location:
        """Put someone somewhere (the world's start): their motion and their first location."""
        rng = self.world.geo
        self.motion[staff_id] = Motion(lat=lat, lon=lon, heading=round(rng.uniform(0, 359), 1),
                                       cruise=rng.uniform(6.0, 11.0))
        self.moved_at[staff_id] = now
        if self.interval[1] > 0:
            heapq.heappush(self._schedule, (now.timestamp() + rng.uniform(*self.interval), staff_id))
        return self.location(staff_id, now)

    def teleport(self, staff_id: str, location: Location) -> None:
        """Someone is now exactly there (a control call's event); they carry on from it."""
        before = self.motion[staff_id]
        self.motion[staff_id] = Motion(lat=location.lat, lon=location.lon, heading=location.heading or 0.0,
                                       speed=location.speed or 0.0, cruise=before.cruise)
        self.moved_at[staff_id] = self.world.clock()

    def location(self, staff_id: str, now: datetime, stamp: str | None = None) -> Location:
        """Where someone is, as the wire says it; ``stamp`` is ``iso_ms(now)`` when already made."""
        m = self.motion[staff_id]
        return Location(lat=round(m.lat, DIGITS), lon=round(m.lon, DIGITS), heading=round(m.heading, 1),
                        speed=round(m.speed, 2), at=stamp or iso_ms(now))

    def goal(self, staff_id: str) -> Goal:
        """What this person is doing: the job they carry first (drop-offs before pickups), else their zone."""
        w = self.world
        person = w.staff[staff_id]
        if person.status in (StaffStatus.ON_BREAK, StaffStatus.OFFLINE) or person.role is StaffRole.DISPATCHER:
            return STILL
        carried = [w.deliveries[i] for i in w.carrying(staff_id)]
        if carried:
            job = min(carried, key=lambda d: (d.status not in ON_THE_WAY, d.id))
            point = job.dropoff if job.status in ON_THE_WAY else job.pickup
            if point is not None:
                return Travel(point.lat, point.lon)
        cell = w.cells.get(person.zoneId) if person.zoneId else None
        return Drift(cell) if cell is not None and person.status is StaffStatus.AVAILABLE else STILL

    def step(self, staff_id: str, now: datetime) -> Motion:
        """Advance one person to ``now``; return where they were before."""
        before = self.motion[staff_id]
        seconds = min(MAX_STEP, max(0.0, (now - self.moved_at[staff_id]).total_seconds()))
        self.motion[staff_id] = advance(before, self.goal(staff_id), seconds, self.world.geo)
        self.moved_at[staff_id] = now
        return before

    def due(self, publish: bool = True) -> list:
        """The simulation's feed: an event for each person whose look is due and who moved (or just stopped)."""
        if not self.enabled or not self._schedule:
            return []
        now = self.world.clock()
        stamp, at = now.timestamp(), iso_ms(now)
        events = []
        for _ in range(len(self._schedule)):
            if self._schedule[0][0] > stamp:
                break
            _, sid = heapq.heappop(self._schedule)
            heapq.heappush(self._schedule, (stamp + self.world.geo.uniform(*self.interval), sid))
            if sid not in self.world.staff:
                continue
            before = self.step(sid, now)
            after = self.motion[sid]
            if (after.lat, after.lon, after.speed) != (before.lat, before.lon, before.speed):
                events.append(self._event(sid, now, at))
        return self.world._record(events, publish)

    def burst(self, n: int, publish: bool = True) -> list:
        """``n`` events round-robin over all staff, in id order (the benchmark's stream)."""
        if len(self._ids) != len(self.motion):  # staff are all placed at the start: built once
            self._ids = list(self.motion)
        ids = self._ids
        if not self.enabled or not ids:
            return []
        now = self.world.clock()
        at = iso_ms(now)
        events = []
        for _ in range(n):
            sid = ids[self._turn % len(ids)]
            self._turn += 1
            self.step(sid, now)
            events.append(self._event(sid, now, at))
        return self.world._record(events, publish)

    def _event(self, staff_id: str, now: datetime, at: str) -> StaffLocationUpdate:
        location = self.location(staff_id, now, at)
        w = self.world
        w.staff[staff_id] = w.staff[staff_id].model_copy(update={"location": location})
        return StaffLocationUpdate(staffId=staff_id, location=location, ts=location.at)
