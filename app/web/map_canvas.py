"""The map's marks written in one call per frame (``static/js/map.mjs``), from ``app.map_layer``'s marks.

    canvas = MapCanvas(svg, {"zone": g1, "pin": g2, "staff": g3}, link_line, paint)
    canvas.view(viewport)                   # the viewBox (and the k that markers are drawn for, kept here)
    canvas.put_mark(mark, selected=False)   # queued: a zone, a staff dot or a pin, new or changed
    canvas.drop("staff", "S-7")
    canvas.flush()                          # one JSON batch, one call into the page

Each mark is an SVG element, ``TEMPLATES`` (the one definition: map.mjs builds
them) with ``mark_attrs`` (its attributes and its parts'): the hooks, the
accessible name, focus and the shape that is hit. The zones are painted in
the SVG; pins, staff dots, zone names and the selection's line are painted
on the ``paint`` canvas by ``static/js/map-paint.mjs`` from the same
operations (each put says where: ``where_of``), because ~2,000 painted SVG
shapes cost Chromium a raster thread's whole time at 500 moves a second. A
marker's shape is drawn for the view's ``k`` (``app.map_glyphs``): a pan
writes the viewBox only; after a zoom the panel puts its markers again. Received text
(names) only ever goes into ``aria-label``, ``data-label`` and SVG text
through ``setAttribute``/``textContent``, never parsed. Python keeps no
proxy per mark.
"""

from __future__ import annotations

import json
from typing import Optional

from app.map_glyphs import dot_radius, looks, pin_path, scale_of
from app.map_layer import PIN, STAFF, ZONE, Mark, PinMark, StaffMark, ZoneMark, kind_of
from app.map_projection import Viewport
from app.web.runtime import ProxyOwner, js, js_object

#: The operations, by name: their one definition, handed to map.mjs.
OPS = {"put": "p", "drop": "x", "view": "v", "link": "l"}
_P, _X, _V, _L = OPS.values()

#: A dot's hook (its SVG circle, what a pointer hits) follows the dot once it is this many pixels away.
HOOK_SLACK_PX = 2.0
TILE, LABEL = "tile", "label"  # a zone's name is a mark of its own, over the pins: always readable
#: Each kind's element: (tag, attributes, children). Markers carry no transform: their geometry is
#: written in world units (``app.map_glyphs``); map.css paints none of them (the painter does).
TEMPLATES = {
    ZONE: ["g", {"data-testid": "map-zone", "class": "map-zone"}, [["polygon", {"class": "zone-area"}]]],
    LABEL: ["text", {"class": "zone-name", "text-anchor": "middle", "aria-hidden": "true"}, []],
    PIN: ["path", {"data-testid": "map-delivery", "class": "map-pin", "tabindex": "0", "role": "button"}, []],
    TILE: ["image", {"class": "map-tile", "preserveAspectRatio": "none", "aria-hidden": "true"}, []],
    STAFF: ["g", {"data-testid": "map-staff", "class": "map-staff", "tabindex": "0", "role": "button"},
            [["circle", {"class": "dot"}]]],  # the heading is painted only (where_of): nothing to hit
}
#: Parts by index (descendants in document order), as ``mark_attrs`` addresses them.
ZONE_AREA = 0
STAFF_DOT = 0


def _changed(old: dict, new: dict) -> dict:
    """The attributes of ``new`` whose values differ from ``old``'s."""
    return {name: value for name, value in new.items() if name not in old or old[name] != value}


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def label_attrs(mark: ZoneMark) -> dict:
    """A zone's name, at its centre (``LABEL``)."""
    return {"x": _num(mark.label_x), "y": _num(mark.label_y), "data-status": mark.status, "#text": mark.name}


def mark_attrs(mark: Mark, selected: bool = False, k: float = 1.0) -> tuple[dict, dict]:
    """The mark's own attributes and its parts' (``{index: {attr: value}}``; ``None`` removes).

    ``k`` is the view's world units per pixel: a marker's shape is drawn for it (``app.map_glyphs``).
    """
    chosen = "true" if selected else None
    if isinstance(mark, ZoneMark):
        return {"data-status": mark.status, "data-label": mark.name}, {ZONE_AREA: {"points": mark.points}}
    if not isinstance(mark, (StaffMark, PinMark)):
        raise TypeError(f"not a mark: {mark!r}")
    common = {"data-status": mark.status, "data-lat": repr(mark.lat), "data-lon": repr(mark.lon),
              "aria-label": mark.label, "data-label": mark.label, "data-selected": chosen}
    if isinstance(mark, StaffMark):
        parts = {STAFF_DOT: {"cx": _num(mark.x), "cy": _num(mark.y), "r": dot_radius(k, scale_of(selected=selected))}}
        return common, parts
    return {**common, "data-late": "true" if mark.late else None,
            "d": pin_path(mark.x, mark.y, k, scale_of(mark.late, selected))}, {}


def where_of(mark: Mark) -> Optional[list]:
    """Where the painter draws a mark, in world units (``[x, y]``, a dot also its heading); None for a zone,
    which the SVG paints."""
    if isinstance(mark, StaffMark):
        return [mark.x, mark.y, mark.heading]
    if isinstance(mark, PinMark):
        return [mark.x, mark.y]
    return None


#: What map-paint.mjs needs to paint the markers as the SVG would draw them.
LOOKS = {**looks(), "kinds": {"pin": PIN, "staff": STAFF, "label": LABEL}}


class MapCanvas:
    def __init__(self, svg, layers: dict, link, paint=None):
        self.canvas = js.dcMap.mapCanvas(svg, js_object(layers), link, json.dumps(TEMPLATES), json.dumps(OPS),
                                         paint, json.dumps(LOOKS))
        self.ops: list = []
        self._owner = ProxyOwner("map-canvas")
        self._later = self._owner.proxy(self._frame)
        self._scheduled = False
        self._closed = False
        self.calls = 0  # batches sent (tests read it: one per flush with something in it)
        self._sent: dict[tuple[str, str], tuple[dict, dict]] = {}  # each mark's attributes as last written
        self._placed: dict[str, tuple[float, float, float]] = {}  # a dot's hook: x, y and k as last written
        self.k = 1.0  # world units per pixel of the last view written: what markers are drawn for

    def _add(self, op: list) -> None:
        self.ops.append(op)
        if not self._scheduled:  # a safety net: every entry point flushes, this catches the one that forgot
            self._scheduled = True
            js.dcBridge.nextFrame(self._later)

    def put_mark(self, mark: Mark, selected: bool = False) -> None:
        """Queue what differs from the mark's last write (a move is its place and coordinates, not its name)."""
        kind = kind_of(mark)
        attrs, parts = mark_attrs(mark, selected, self.k)
        last = self._sent.get((kind, mark.id))
        if last is not None and kind == STAFF and self._near(mark):
            parts = {STAFF_DOT: {**parts[STAFF_DOT], "cx": last[1][STAFF_DOT]["cx"], "cy": last[1][STAFF_DOT]["cy"]}}
        elif kind == STAFF:
            self._placed[mark.id] = (mark.x, mark.y, self.k)
        self._sent[(kind, mark.id)] = (attrs, parts)
        if last is not None:
            attrs = _changed(last[0], attrs)
            parts = {i: delta for i, part in parts.items() if (delta := _changed(last[1].get(i, {}), part))}
        self._add([_P, kind, mark.id, attrs, {str(k): v for k, v in parts.items()}, where_of(mark)])
        if kind == ZONE:
            self._add([_P, LABEL, mark.id, label_attrs(mark), {}, [mark.label_x, mark.label_y]])

    def _near(self, mark: StaffMark) -> bool:
        """Whether a dot's hook is still within ``HOOK_SLACK_PX`` of the dot at this scale: then its
        shape is not moved. The painter draws the dot where it is; the hook is only what a pointer
        hits, and a person moving at 10 m/s moves less than a pixel a second at a city's scale, so
        most moves would otherwise lay the SVG out again for nothing."""
        placed = self._placed.get(mark.id)
        if placed is None or placed[2] != self.k:
            return False
        slack = HOOK_SLACK_PX * self.k
        return abs(mark.x - placed[0]) < slack and abs(mark.y - placed[1]) < slack

    def put_tile(self, tile_id: str, attrs: dict) -> None:
        """A map tile (``app.map_tiles``): an ``<image>`` under the zones."""
        self._add([_P, TILE, tile_id, attrs, {}])

    def drop(self, kind: str, some_id: str) -> None:
        self._sent.pop((kind, some_id), None)
        if kind == STAFF:
            self._placed.pop(some_id, None)
        self._add([_X, kind, some_id])
        if kind == ZONE:
            self._add([_X, LABEL, some_id])

    def view(self, viewport: Viewport) -> None:
        self.k = float(f"{viewport.units_per_px:.5g}")
        self._add([_V, viewport.view_box])

    def link(self, line: Optional[tuple[float, float, float, float]]) -> None:
        self._add([_L, *(line if line is not None else (None, None, None, None))])

    def flush(self) -> None:
        if self.ops and not self._closed:
            ops, self.ops = self.ops, []
            self.calls += 1
            self.canvas.apply(json.dumps(ops, separators=(",", ":")))

    def node(self, kind: str, some_id: str):
        """A mark's element (or a falsy JS null), after every queued edit: for focus."""
        self.flush()
        return self.canvas.node(kind, some_id)

    def _frame(self, *args) -> None:
        self._scheduled = False
        if self._closed:
            self._owner.destroy()
            return
        self.flush()

    def close(self) -> None:
        self._closed = True
        self.ops = []
        self._sent.clear()
        self._placed.clear()
        self.canvas.clear()
        if not self._scheduled:
            self._owner.destroy()
