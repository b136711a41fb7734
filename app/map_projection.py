"""Where a lat/lon goes on the map's SVG, and which part of it is on show (pan, zoom, fit).

    >>> x, y = project(52.52, 13.405)
    >>> view = Viewport(800, 600).fit(Bounds(52.50, 13.38, 52.54, 13.43))
    >>> view.contains(x, y), project(52.52, 13.405) == (x, y)
    (True, True)
    >>> view.zoom(2).width < view.width
    True

Markers are placed once, in *world* units (Web Mercator, ``WORLD`` units
round the globe), and never move when the user pans or zooms: only the SVG's
``viewBox`` changes (``Viewport.view_box``). So a pan or zoom is one write,
however many markers there are, and a marker's coordinates depend only on
its lat/lon. ``Viewport`` is immutable: every move returns a new one.

Sizes on screen: markers are drawn in pixels scaled by ``units_per_px``
(a CSS variable on the map), so a dot stays the same size at every zoom.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Optional

from app.geo import Bounds

#: World units round the globe: 2**20, so a city of 20 km spans ~500 units and 0.01 unit is ~0.4 m.
WORLD = 2.0 ** 20
#: Web Mercator's limit: beyond it y would run off to infinity.
MAX_LAT = 85.05112878
#: The narrowest view (world units across): about 40 m of street at the equator.
MIN_WIDTH = 1.0
#: Margin around what ``fit`` shows, as a share of each side ...
FIT_PAD = 0.02
#: ... and room at the view's edges in screen pixels (top, right, bottom, left): a pin stands 20 px
#: above its point (``map_glyphs``' pinBox) and a dot's heading reaches about 10 px out, so a share
#: alone cut the top row of pins in half on a 200 px high map.
FIT_MARGIN_PX = (24.0, 12.0, 12.0, 12.0)
#: How far one arrow key pans, as a share of the view; one +/- key zooms by this factor.
PAN_STEP = 0.15
ZOOM_STEP = 1.5
#: How far the user may zoom out, as a multiple of the view that fits everything (``bounded``) ...
MAX_ZOOM_OUT = 4.0
#: ... and pan: the view's centre stays within this share of a view from everything's box.
PAN_SLACK = 0.4


def project(lat: float, lon: float) -> tuple[float, float]:
    """``(x, y)`` in world units, rounded to 0.01 (what the page is given): x east, y south."""
    lat = max(-MAX_LAT, min(MAX_LAT, lat))
    x = (lon + 180.0) / 360.0 * WORLD
    s = math.sin(math.radians(lat))
    y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * WORLD
    return round(x, 2), round(y, 2)


def unproject(x: float, y: float) -> tuple[float, float]:
    """``(lat, lon)`` of a world point (for the view's bounds)."""
    lon = x / WORLD * 360.0 - 180.0
    n = math.pi * (1 - 2 * y / WORLD)
    return math.degrees(math.atan(math.sinh(n))), lon


@dataclass(frozen=True)
class Viewport:
    """The part of the world on show: a box ``(x, y, width, height)`` with the screen's aspect ratio.

    ``px_width`` and ``px_height`` are the map's size on screen (``resized`` when it changes):
    the box keeps their aspect, and pans in pixels convert through them.
    """

    px_width: float
    px_height: float
    x: float = 0.0
    y: float = 0.0
    width: float = WORLD
    height: float = WORLD

    def __post_init__(self) -> None:
        if self.px_width <= 0 or self.px_height <= 0:
            raise ValueError("a viewport needs a positive size on screen")

    @property
    def units_per_px(self) -> float:
        return self.width / self.px_width

    @property
    def view_box(self) -> str:
        """The SVG ``viewBox`` attribute."""
        return f"{self.x:.2f} {self.y:.2f} {self.width:.2f} {self.height:.2f}"

    def contains(self, x: float, y: float, margin: float = 0.0) -> bool:
        """Whether a world point is on show (``margin``: a share of the view added on each side)."""
        mx, my = self.width * margin, self.height * margin
        return self.x - mx <= x <= self.x + self.width + mx and self.y - my <= y <= self.y + self.height + my

    def bounds(self) -> Bounds:
        """The lat/lon box on show."""
        north, west = unproject(self.x, self.y)
        south, east = unproject(self.x + self.width, self.y + self.height)
        return Bounds(south, west, north, east)

    # --- moves -----------------------------------------------------------------------------------

    def fit(self, box: Optional[Bounds], pad: float = FIT_PAD,
            margin_px: tuple[float, float, float, float] = FIT_MARGIN_PX) -> "Viewport":
        """Show all of ``box`` (lat/lon), centred inside ``margin_px`` and a ``pad`` share; None keeps the view.

        The margins never take more than half the map's width or height (a tiny map shrinks them).
        """
        if box is None:
            return self
        x1, y1 = project(box.north, box.west)
        x2, y2 = project(box.south, box.east)
        w, h = max(x2 - x1, MIN_WIDTH) * (1 + 2 * pad), max(y2 - y1, MIN_WIDTH) * (1 + 2 * pad)
        top, right, bottom, left = margin_px
        across = min(1.0, self.px_width / 2 / max(left + right, 1e-9))
        down = min(1.0, self.px_height / 2 / max(top + bottom, 1e-9))
        top, bottom, left, right = top * down, bottom * down, left * across, right * across
        k = max(w / (self.px_width - left - right), h / (self.px_height - top - bottom))  # units per pixel
        mid_x, mid_y = (left + self.px_width - right) / 2, (top + self.px_height - bottom) / 2  # pixels
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        return replace(self, x=cx - mid_x * k, y=cy - mid_y * k, width=self.px_width * k, height=self.px_height * k)

    def pan(self, dx_px: float, dy_px: float) -> "Viewport":
        """Move what is on show by a drag of ``(dx, dy)`` screen pixels (the world follows the pointer)."""
        k = self.units_per_px
        return replace(self, x=self.x - dx_px * k, y=self.y - dy_px * k)

    def step(self, right: int, down: int) -> "Viewport":
        """An arrow key: look ``PAN_STEP`` of the view further right/down (negative: left/up)."""
        return replace(self, x=self.x + right * PAN_STEP * self.width, y=self.y + down * PAN_STEP * self.height)

    def reveal(self, x: float, y: float, margin_px: tuple[float, float, float, float]) -> "Viewport":
        """The smallest pan that puts world point ``(x, y)`` at least ``margin_px`` (top, right, bottom,
        left) inside the view's edges; the same view when it is so already. A view too small for the
        margins centres the point on that axis.

        What a marker that takes keyboard focus off screen needs: Tab goes through every marker, and
        one out of view would have its focus (and its tooltip) drawn nowhere.
        """
        k = self.units_per_px
        top, right, bottom, left = margin_px

        def axis(start: float, size: float, point: float, before: float, after: float) -> float:
            if before + after >= size:
                return point - size / 2
            low, high = point - (size - after), point - before  # the starts that keep the point inside
            return min(max(start, low), high)

        nx = axis(self.x, self.width, x, left * k, right * k)
        ny = axis(self.y, self.height, y, top * k, bottom * k)
        return self if (nx, ny) == (self.x, self.y) else replace(self, x=nx, y=ny)

    def bounded(self, box: Optional[Bounds], zoom_out: float = MAX_ZOOM_OUT, slack: float = PAN_SLACK) -> "Viewport":
        """This view, kept where there is something to see: no wider than ``zoom_out`` times the view
        that fits ``box`` (lat/lon, everything on the map), and its centre within ``slack`` of a view
        from ``box``. Unbounded, 30 presses of "zoom out" made the city a speck, and 60 of an arrow
        key panned it out of sight. None (nothing on the map yet) bounds nothing.
        """
        if box is None:
            return self
        view = self
        widest = self.fit(box).width * zoom_out
        if view.width > widest:
            view = view.zoom(view.width / widest)
        x1, y1 = project(box.north, box.west)
        x2, y2 = project(box.south, box.east)
        half_w, half_h = view.width / 2, view.height / 2
        cx = min(max(view.x + half_w, x1 - slack * view.width), x2 + slack * view.width)
        cy = min(max(view.y + half_h, y1 - slack * view.height), y2 + slack * view.height)
        if view is self and (cx - half_w, cy - half_h) == (self.x, self.y):
            return self
        return replace(view, x=cx - half_w, y=cy - half_h)

    def zoom(self, factor: float, at_px: Optional[tuple[float, float]] = None) -> "Viewport":
        """Zoom in by ``factor`` (> 1 closer), keeping the point under ``at_px`` (default: the centre) still."""
        if factor <= 0 or not math.isfinite(factor):
            raise ValueError("zoom factor must be a positive number")
        width = min(WORLD, max(MIN_WIDTH, self.width / factor))
        height = width * self.px_height / self.px_width
        px, py = at_px if at_px is not None else (self.px_width / 2, self.px_height / 2)
        fx, fy = px / self.px_width, py / self.px_height
        ax, ay = self.x + fx * self.width, self.y + fy * self.height
        return replace(self, x=ax - fx * width, y=ay - fy * height, width=width, height=height)

    def resized(self, px_width: float, px_height: float) -> "Viewport":
        """The map's box on screen changed: same centre and scale, new aspect."""
        if px_width <= 0 or px_height <= 0:
            return self
        k = self.units_per_px
        cx, cy = self.x + self.width / 2, self.y + self.height / 2
        w, h = px_width * k, px_height * k
        return Viewport(px_width, px_height, cx - w / 2, cy - h / 2, w, h)
