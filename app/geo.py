"""Plain geometry on the wire's coordinates: distance, polygon bounds and containment.

Shared by the map (fit a zone, hit a zone), the nearest-driver order and the
stub's city, so that all three agree on what "inside" and "how far" mean. Rings
are GeoJSON order, ``[[lon, lat], ...]``, closed (first point repeated last),
as PROTOCOL.md section 5 sends a zone's ``area``; points are ``(lat, lon)``.

    >>> round(distance_m((52.52, 13.405), (52.53, 13.405)))
    1112
    >>> square = [[13.0, 52.0], [13.1, 52.0], [13.1, 52.1], [13.0, 52.1], [13.0, 52.0]]
    >>> contains(square, lat=52.05, lon=13.05), contains(square, lat=52.2, lon=13.05)
    (True, False)
    >>> bounds(square)
    Bounds(south=52.0, west=13.0, north=52.1, east=13.1)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

#: Mean Earth radius (IUGG), metres: straight-line distances within a city are good to ~0.5%.
EARTH_RADIUS_M = 6_371_008.8

Ring = Sequence[Sequence[float]]


@dataclass(frozen=True)
class Bounds:
    """The smallest lat/lon box around some points; empty rings have none (``bounds`` gives None)."""

    south: float
    west: float
    north: float
    east: float

    def union(self, other: "Bounds") -> "Bounds":
        return Bounds(min(self.south, other.south), min(self.west, other.west),
                      max(self.north, other.north), max(self.east, other.east))

    def holds(self, lat: float, lon: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lon <= self.east


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two ``(lat, lon)`` points (haversine)."""
    lat1, lon1 = math.radians(a[0]), math.radians(a[1])
    lat2, lon2 = math.radians(b[0]), math.radians(b[1])
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def bounds(ring: Ring) -> Bounds | None:
    """The box around a ring's points (``[lon, lat]`` pairs); None for no points."""
    if not ring:
        return None
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    return Bounds(min(lats), min(lons), max(lats), max(lons))


def contains(ring: Ring, *, lat: float, lon: float) -> bool:
    """Whether the point is inside the ring (even-odd ray casting; a point on an edge may go either way).

    Cities are small and far from the antimeridian, so the plane test on degrees is exact enough.
    """
    inside = False
    n = len(ring)
    for i in range(n):
        x1, y1 = ring[i - 1][0], ring[i - 1][1]
        x2, y2 = ring[i][0], ring[i][1]
        if (y1 > lat) != (y2 > lat):
            crossing = x1 + (lat - y1) * (x2 - x1) / (y2 - y1)
            if lon < crossing:
                inside = not inside
    return inside
