"""The markers' shapes: in world coordinates for the SVG hooks (what is hit and focused), and in pixels for
the painter (``looks``), a pin or a staff dot the same size on screen at every zoom.

    >>> pin_path(100.0, 200.0, k=1.0)[:34]
    'M100,200c-2,-5 -7,-8 -7,-13a7,7 0 '
    >>> dot_radius(k=0.5)
    '3.25'

Why not one shape scaled per marker: a ``transform`` on each of ~2,000
markers made Chromium split its paint into thousands of chunks that it
walked again on every painted frame (issue 16's trace: Layerize and Paint
were a quarter of the window with the map shown). So each marker is plain
geometry: its place in world units (``app.map_projection``) plus its shape's
offsets in pixels times ``k`` (world units per pixel). A pan changes no
marker; a zoom changes ``k``, and the panel writes the markers again, a few
hundred per frame.

The SVG shapes are not painted (map.css): ``static/js/map-paint.mjs`` paints
what they look like from ``looks``, the same sizes in one definition.

Offsets are written relative (lower-case path commands) with just enough
decimals for a twentieth of a pixel at that ``k``, so the strings stay short
at every zoom.
"""

from __future__ import annotations

import math
from functools import lru_cache

#: Sizes on screen, in pixels.
PIN_HALF_WIDTH = 7.0
DOT_RADIUS = 6.5
#: A late pin and a selected marker are drawn larger (the old CSS scale factors).
LATE_SCALE = 1.25
SELECTED_SCALE = 1.4
#: The heading: a triangle from the dot's centre, pointing up before it is turned (pixels); painted only
#: (static/js/map-paint.mjs turns it), the SVG hook has no heading to hit.
HEADING = ((-4.0, -7.0), (0.0, -14.0), (4.0, -7.0))


def decimals(k: float) -> int:
    """Decimals that resolve a twentieth of a pixel at ``k`` world units per pixel (0 to 6)."""
    if not (k > 0 and math.isfinite(k)):
        raise ValueError(f"k must be a positive number, not {k!r}")
    return max(0, min(6, math.ceil(-math.log10(k / 20))))


def _fmt(value: float, places: int) -> str:
    text = f"{value:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _place(value: float) -> str:
    """A world coordinate: marks are projected to 0.01 unit (``app.map_projection.project``)."""
    return _fmt(value, 2)


def scale_of(late: bool = False, selected: bool = False) -> float:
    """How much larger than usual a marker is drawn."""
    return SELECTED_SCALE if selected else LATE_SCALE if late else 1.0


def pin_path(x: float, y: float, k: float, scale: float = 1.0) -> str:
    """A drop-off pin with its tip at ``(x, y)``, and its eye: one path (the eye is a small ring that the
    pin's stroke fills in; map.css draws the stroke at a fixed width on screen)."""
    return f"M{_place(x)},{_place(y)}{_pin_shape(k * scale)}"


@lru_cache(maxsize=64)
def _pin_shape(s: float) -> str:
    """The pin after its tip, relative: the same for every pin at one scale (a stream of pins formats it once)."""
    p = decimals(s)

    def f(v: float) -> str:
        return _fmt(v * s, p)

    w = PIN_HALF_WIDTH
    eye = 1.3
    return (f"c{f(-2)},{f(-5)} {f(-w)},{f(-8)} {f(-w)},{f(-13)}"
            f"a{f(w)},{f(w)} 0 1 1 {f(2 * w)},0"
            f"c0,{f(5)} {f(-5)},{f(8)} {f(-w)},{f(13)}z"
            f"m0,{f(-13 + eye)}a{f(eye)},{f(eye)} 0 1 0 0,{f(-2 * eye)}a{f(eye)},{f(eye)} 0 1 0 0,{f(2 * eye)}z")


def dot_radius(k: float, scale: float = 1.0) -> str:
    """A staff dot's ``r`` in world units."""
    return _radius(k * scale)


@lru_cache(maxsize=64)
def _radius(s: float) -> str:
    return _fmt(DOT_RADIUS * s, decimals(s))


def looks() -> dict:
    """The markers' sizes for ``static/js/map-paint.mjs``, which paints them (in CSS pixels, at scale 1): the
    same shapes as the SVG's, from one definition.

    >>> looks()["pinBox"], looks()["dot"]
    ([-7.0, -20.0, 7.0, 0.0], 6.5)
    """
    return {"pin": "M0,0" + _pin_shape(1.0), "pinBox": [-PIN_HALF_WIDTH, -20.0, PIN_HALF_WIDTH, 0.0],
            "dot": DOT_RADIUS, "heading": [list(corner) for corner in HEADING],
            "late": LATE_SCALE, "selected": SELECTED_SCALE}
