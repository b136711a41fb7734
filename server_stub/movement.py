"""How one person moves: a pure function of (where they are, where they are going, seconds, rng).

    >>> import random
    >>> m = Motion(lat=52.52, lon=13.40, cruise=10.0)
    >>> m = advance(m, Travel(52.53, 13.40), 60.0, random.Random(1))
    >>> 5 <= m.speed <= 12, round(m.heading)
    (True, 0)

No clock and no world here: ``tracking.py`` works out each person's goal from
the world (the pickup or drop-off of what they carry, their zone, nothing) and
the seconds since they last moved, and calls ``advance``. Tests drive it with
made-up seconds and a seeded rng.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace

from app.geo import contains

from .city import METRES_PER_DEGREE_LAT, Cell, metres_per_degree_lon

#: A courier or driver on a job moves at this many m/s (PROTOCOL.md's map: 5 to 12).
MIN_SPEED, MAX_SPEED = 5.0, 12.0
#: Someone free and already in their zone wanders slower than that.
DRIFT_SPEED = (1.0, 4.0)
#: Closer than this (metres) to a target counts as there.
ARRIVED_M = 1.0


@dataclass(frozen=True)
class Motion:
    """Where someone is and how they last moved; ``cruise`` is their usual job speed,
    ``wander`` where a free person is drifting to (None: pick one)."""

    lat: float
    lon: float
    heading: float = 0.0
    speed: float = 0.0
    cruise: float = 8.0
    wander: tuple[float, float] | None = None


@dataclass(frozen=True)
class Travel:
    """Go to this place (a pickup or a drop-off) and stop there."""

    lat: float
    lon: float


@dataclass(frozen=True)
class Drift:
    """Stay about this zone: wander between random places inside it, head back if outside."""

    cell: Cell


class Still:
    """On a break, offline, at a desk: do not move."""


STILL = Still()
Goal = Travel | Drift | Still


def offset_m(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """``(east, north)`` metres from ``a`` to ``b`` on the local plane (city scale)."""
    north = (b[0] - a[0]) * METRES_PER_DEGREE_LAT
    east = (b[1] - a[1]) * metres_per_degree_lon((a[0] + b[0]) / 2)
    return east, north


def toward(m: Motion, target: tuple[float, float], speed: float, seconds: float) -> Motion:
    """``m`` moved straight toward ``target`` at ``speed`` for ``seconds``, stopping on it."""
    east, north = offset_m((m.lat, m.lon), target)
    gap = math.hypot(east, north)
    if gap < ARRIVED_M:
        return replace(m, lat=target[0], lon=target[1], speed=0.0)
    heading = math.degrees(math.atan2(east, north)) % 360.0
    step = speed * seconds
    if step >= gap:
        return replace(m, lat=target[0], lon=target[1], heading=heading, speed=speed)
    share = step / gap
    return replace(m, lat=m.lat + share * (target[0] - m.lat), lon=m.lon + share * (target[1] - m.lon),
                   heading=heading, speed=speed)


def job_speed(m: Motion, rng: random.Random) -> float:
    return min(MAX_SPEED, max(MIN_SPEED, m.cruise + rng.uniform(-0.5, 0.5)))


def advance(m: Motion, goal: Goal, seconds: float, rng: random.Random) -> Motion:
    """Where ``m`` is after ``seconds`` spent pursuing ``goal``; ``speed`` 0 when it did not move."""
    if seconds <= 0:
        return m
    if isinstance(goal, Travel):
        return toward(m, (goal.lat, goal.lon), job_speed(m, rng), seconds)
    if isinstance(goal, Drift):
        home = contains(goal.cell.ring, lat=m.lat, lon=m.lon)
        wander = m.wander
        if wander is None or (m.lat, m.lon) == wander:
            wander = goal.cell.place(rng)
        speed = rng.uniform(*DRIFT_SPEED) if home else job_speed(m, rng)
        moved = toward(replace(m, wander=wander), wander, speed, seconds)
        return moved if (moved.lat, moved.lon) != wander else replace(moved, wander=None)
    return replace(m, speed=0.0, wander=None) if m.speed or m.wander else m
