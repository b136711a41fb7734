"""The stub's geography: zones as polygons that tile one city, and random places inside them.

    >>> import random
    >>> city = City.build(3, random.Random(1))
    >>> [len(cell.ring) for cell in city.cells]
    [5, 5, 5]
    >>> from app.geo import contains
    >>> lat, lon = city.cells[0].place(random.Random(2))
    >>> contains(city.cells[0].ring, lat=lat, lon=lon)
    True

The city is a box (``WIDTH_M`` by ``HEIGHT_M`` around ``CENTRE``) cut into
rows along parallels, each row cut into cells by slanted lines whose ends are
jittered. Neighbours share their edge's exact (rounded) coordinates, so the
cells cover the box with no gap and no overlap, for any count of zones; each
cell is a convex quadrilateral, so a straight path between two of its places
stays inside it (``movement.py`` relies on that for drifting).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

#: Berlin Mitte: any centre far from the poles and the antimeridian works.
CENTRE = (52.52, 13.405)
WIDTH_M = 10_000.0
HEIGHT_M = 8_000.0
METRES_PER_DEGREE_LAT = 111_320.0
#: Places are kept this share of a cell away from its edges: inside, not on the border.
MARGIN = 0.06
#: Decimal places of zone corners (about 0.1 m) and of places (about 1 m: smaller snapshots).
DIGITS = 6
PLACE_DIGITS = 5


def metres_per_degree_lon(lat: float) -> float:
    return METRES_PER_DEGREE_LAT * math.cos(math.radians(lat))


@dataclass(frozen=True)
class Cell:
    """One zone's polygon: between parallels ``south`` and ``north``, and between a west
    and an east edge, each a straight line from its south end to its north end (longitudes)."""

    south: float
    north: float
    west_s: float
    west_n: float
    east_s: float
    east_n: float

    @property
    def ring(self) -> list[list[float]]:
        """The closed ring, counter-clockwise, GeoJSON ``[lon, lat]`` order."""
        return [[self.west_s, self.south], [self.east_s, self.south], [self.east_n, self.north],
                [self.west_n, self.north], [self.west_s, self.south]]

    @property
    def centre(self) -> tuple[float, float]:
        return (self.south + self.north) / 2, (self.west_s + self.west_n + self.east_s + self.east_n) / 4

    def at(self, u: float, v: float) -> tuple[float, float]:
        """The ``(lat, lon)`` a share ``u`` of the way east and ``v`` of the way north."""
        west = self.west_s + v * (self.west_n - self.west_s)
        east = self.east_s + v * (self.east_n - self.east_s)
        lat, lon = self.south + v * (self.north - self.south), west + u * (east - west)
        return round(lat, PLACE_DIGITS), round(lon, PLACE_DIGITS)

    def place(self, rng: random.Random) -> tuple[float, float]:
        """A random ``(lat, lon)`` well inside the cell."""
        return self.at(rng.uniform(MARGIN, 1 - MARGIN), rng.uniform(MARGIN, 1 - MARGIN))


@dataclass(frozen=True)
class City:
    cells: tuple[Cell, ...]

    @classmethod
    def build(cls, zones: int, rng: random.Random, centre: tuple[float, float] = CENTRE,
              width_m: float = WIDTH_M, height_m: float = HEIGHT_M) -> "City":
        """``zones`` cells (1 or more), in reading order: north-west first, row by row."""
        if zones < 1:
            raise ValueError("a city needs at least one zone")
        half_lat = height_m / 2 / METRES_PER_DEGREE_LAT
        half_lon = width_m / 2 / metres_per_degree_lon(centre[0])
        south, north = centre[0] - half_lat, centre[0] + half_lat
        west, east = centre[1] - half_lon, centre[1] + half_lon
        rows = max(1, min(zones, round(math.sqrt(zones * height_m / width_m))))
        per_row = [zones // rows + (1 if r < zones % rows else 0) for r in range(rows)]
        step = (north - south) / rows
        # Parallels between rows, north to south; inner ones jittered by up to a quarter row.
        lats = [north] + [north - r * step + rng.uniform(-0.25, 0.25) * step for r in range(1, rows)] + [south]
        lats = [round(x, DIGITS) for x in lats]
        cells = []
        for r, count in enumerate(per_row):
            width = (east - west) / count
            # Each inner edge's two ends move independently by up to 30% of a cell: slanted edges.
            edges_s = [west] + [west + c * width + rng.uniform(-0.3, 0.3) * width for c in range(1, count)] + [east]
            edges_n = [west] + [west + c * width + rng.uniform(-0.3, 0.3) * width for c in range(1, count)] + [east]
            edges_s = [round(x, DIGITS) for x in edges_s]
            edges_n = [round(x, DIGITS) for x in edges_n]
            for c in range(count):
                cells.append(Cell(south=lats[r + 1], north=lats[r], west_s=edges_s[c], west_n=edges_n[c],
                                  east_s=edges_s[c + 1], east_n=edges_n[c + 1]))
        return cls(tuple(cells))

    @property
    def box(self) -> tuple[float, float, float, float]:
        """``(south, west, north, east)`` of the whole city."""
        return (min(c.south for c in self.cells), min(min(c.west_s, c.west_n) for c in self.cells),
                max(c.north for c in self.cells), max(max(c.east_s, c.east_n) for c in self.cells))
