"""The live map: ``[data-testid=map]``, an inline SVG of the zones, the staff and the open drop-offs.

    panel = MapPanel(section, ctx).mount()   # after the deliveries panel: its filters filter the pins
    ctx.hub.publish(changes)                 # -> update(): only the marks that changed, one batch
    panel.unmount()

What to draw is ``app.map_layer`` (pure: marks, coalescing, filters, the pin
budget); where is ``app.map_projection`` (markers are placed in world units;
a pan changes the ``viewBox`` only); their shapes are ``app.map_glyphs``
(plain geometry drawn for the view's scale: a zoom writes the markers again);
writing is ``app.web.map_canvas`` (one call per frame into
``static/js/map.mjs``), through an ``app.backlog.Backlog``: what changed is
written at once, and a big write (showing the map, a zoom, a new filter)
goes out 8 ms a turn instead of as one long task. A marker is written with the selection as it is
when it is written.

Hooks (PROTOCOL.md 6): ``[data-testid=map]`` holds ``[data-testid=map-zone]``,
``[data-testid=map-staff]`` and ``[data-testid=map-delivery]``, each with
``data-id`` and ``data-status``, the last two with ``data-lat``/``data-lon``
(the raw values last applied) and ``data-selected="true"`` while selected;
``[data-testid=map-link]`` is the line from a selected delivery to its
driver; ``[data-testid=map-toggle]`` (``aria-expanded``) shows or hides the
map, remembered in ``localStorage``; ``[data-testid=map-notice]`` says when
the backend sends no locations (a version-1 backend).

Input: a marker is a focusable button; click, Enter or Space selects it and
opens its detail view (a pin its delivery's, a dot the person's). Drag or
arrow keys pan; the wheel, + and - (and the buttons) zoom; "Fit all" and a
zone card's "Fit zone" fit. Tooltips show the marker's name on hover and focus (textContent).
"""

from __future__ import annotations

import asyncio
import math
import time

from app.backlog import Backlog
from app.geo import bounds
from app.map_layer import PIN, STAFF, ZONE, MapLayer, has_places, kind_of, world_bounds
from app.map_projection import ZOOM_STEP, Viewport
from app.map_tiles import tile_url, tiles_in_view
from app.selection import DELIVERY, Selection
from app.selection import STAFF as SELECT_STAFF
from app.store import Changes
from app.web.chunks import Chunked
from app.web.dom import el
from app.web.localtime import Every, now
from app.web.map_canvas import LABEL, TILE, MapCanvas
from app.web.map_tip import FOCUS, POINTER, MapTip, focus_visible, unmoved
from app.web.panels.base import Panel
from app.web.runtime import document, window

SVG_NS = "http://www.w3.org/2000/svg"
HIDDEN_KEY = "dc.map.hidden"
LATE_SECONDS = 30  # pins are looked at again this often: an ETA may have passed
RECULL_SECONDS = 0.12  # after a pan or zoom, pins culled to the view are chosen again this much later
DRAG_PX = 4  # a press that moves less than this is a click
WRITE_BUDGET_S = 0.008  # markers written per turn while a big write goes out (as the deliveries panel's chunks)
DEFAULT_SIZE = (400, 300)
#: A marker that takes keyboard focus is panned at least this far inside the map (top, right, bottom,
#: left, px): a pin stands 20 px above its point, and its tooltip goes above it when there is room.
REVEAL_MARGIN_PX = (60.0, 24.0, 24.0, 24.0)
#: Keys -> (right, down) pan steps, or a zoom factor.
PAN_KEYS = {"ArrowLeft": (-1, 0), "ArrowRight": (1, 0), "ArrowUp": (0, -1), "ArrowDown": (0, 1)}
ZOOM_KEYS = {"+": ZOOM_STEP, "=": ZOOM_STEP, "-": 1 / ZOOM_STEP, "_": 1 / ZOOM_STEP}
#: A marker element's hook -> its kind in ``app.map_layer``.
KINDS = {"map-delivery": PIN, "map-staff": STAFF}
#: ``button[data-action]`` in the map's head -> the method that handles it.
CLICKS = {"zoom-in": "_zoom_in", "zoom-out": "_zoom_out", "fit-all": "fit_all", "toggle-map": "_toggle"}
#: The legend: (class of its swatch, words).
LEGEND = (
    ("swatch dot available", "Available"), ("swatch dot on_delivery", "On delivery"),
    ("swatch dot on_break", "On break"), ("swatch dot offline", "Offline"),
    ("swatch pin", "Drop-off"), ("swatch pin late", "Late drop-off"),
    ("swatch zone open", "Open zone"), ("swatch zone busy", "Busy zone"), ("swatch zone closed", "Closed zone"),
)


def svg(tag: str, attrs: dict | None = None, *children):
    node = document.createElementNS(SVG_NS, tag)
    for name, value in (attrs or {}).items():
        node.setAttribute(name, str(value))
    for child in children:
        node.appendChild(child)
    return node


def _storage():
    try:
        return window.localStorage
    except Exception:  # storage refused (privacy settings): the choice is simply not remembered
        return None


class MapPanel(Panel):
    name = "map"
    topics = ("deliveries", "staff", "zones", "moved")

    # --- building ----------------------------------------------------------------------------------

    def build(self) -> None:
        notes = self.ctx.notes
        self.selection: Selection = notes.setdefault("selection", Selection())
        self.layer = MapLayer(clock=lambda: now().timestamp())
        self.view = Viewport(*DEFAULT_SIZE)
        self._fitted = False
        self._everything = None  # the lat/lon box of all there is (``world_bounds``) as of the last "fit all"
        self._stale = True  # hidden while changes came: a full redraw when shown
        self._selected: set[tuple[str, str]] = set()
        self._link = None
        self._drag = None
        self._recull = None
        self.tiles = notes.get("map_tiles")  # an app.map_tiles.TileSource, or None: no tiles (the default)
        self._tiles_drawn: set[str] = set()
        stored = _storage()
        self.hidden = stored is not None and stored.getItem(HIDDEN_KEY) == "1"
        self.places = True  # until the board shows otherwise (``_places_known``)

        self.toggle = el("button", {"type": "button", "class": "map-toggle", "data-action": "toggle-map",
                                    "data-testid": "map-toggle", "aria-controls": "map-body"}, text="Hide map")
        tools = el("div", {"class": "map-tools", "role": "group", "aria-label": "Zoom"},
                   el("button", {"type": "button", "data-action": "zoom-in", "aria-label": "Zoom in",
                                 "title": "Zoom in (+)"}, text="+"),
                   el("button", {"type": "button", "data-action": "zoom-out", "aria-label": "Zoom out",
                                 "title": "Zoom out (-)"}, text="−"),
                   el("button", {"type": "button", "data-action": "fit-all", "data-testid": "map-fit-all"},
                      text="Fit all"))
        self.tools = tools
        head = el("div", {"class": "panel-head"}, el("h2", {"id": "map-title"}, text="Map"), tools, self.toggle)

        self.layers = {kind: svg("g", {"class": f"layer layer-{kind}"}) for kind in (TILE, ZONE, PIN, LABEL, STAFF)}
        self.link_line = svg("line", {"class": "map-link", "data-testid": "map-link", "hidden": ""})
        self.svg = svg("svg", {"class": "map-svg", "role": "presentation", "viewBox": self.view.view_box,
                               "preserveAspectRatio": "xMidYMid meet"},
                       self.layers[TILE], self.layers[ZONE], self.link_line, self.layers[PIN], self.layers[LABEL],
                       self.layers[STAFF])
        # Pins, dots, names and the line are painted here (static/js/map-paint.mjs); the SVG under it keeps
        # their elements (hooks, names, focus, hit testing) unpainted.
        self.paint = el("canvas", {"class": "map-paint", "aria-hidden": "true"})
        self.notice = el("p", {"class": "map-notice", "data-testid": "map-notice", "hidden": True},
                         text="This backend sends no locations.")
        self.legend = legend = el("ul", {"class": "map-legend", "aria-label": "Legend"},
                    *(el("li", None, el("span", {"class": cls, "aria-hidden": "true"}), el("span", None, text=words))
                      for cls, words in LEGEND))
        self.frame = el("div", {"class": "map-frame", "data-testid": "map", "tabindex": "0", "role": "application",
                                "aria-roledescription": "map",
                                "aria-label": "Map. Arrow keys pan, plus and minus zoom; Tab reaches each marker."},
                        self.svg, self.paint)
        self.tooltip = MapTip(self.frame)
        self.tip = self.tooltip.node
        self.frame.appendChild(self.tip)
        attribution = el("p", {"class": "map-attribution", "data-testid": "map-attribution"},
                         text=self.tiles.attribution) if self.tiles is not None else None
        self.body = el("div", {"class": "map-body", "id": "map-body"}, self.frame, self.notice, legend, attribution)
        self.root.appendChild(head)
        self.root.appendChild(self.body)
        self.canvas = MapCanvas(self.svg, self.layers, self.link_line, self.paint)
        self.backlog = Backlog(time.perf_counter, WRITE_BUDGET_S)  # (kind, id) of marks to write (again)
        self._writes = Chunked(self._write_some, self._more_to_write)
        self.canvas.view(self.view)
        self._k = self.canvas.k  # the scale the drawn markers were written for

        self.listen(head, "click", self._head_clicked)
        self.listen(self.frame, "click", self._clicked)
        self.listen(self.frame, "keydown", self._keydown)
        self.listen(self.frame, "wheel", self._wheel)
        self.listen(self.frame, "pointerdown", self._pointer_down)
        self.listen(self.frame, "pointermove", self._pointer_move)
        self.listen(self.frame, "pointerup", self._pointer_up)
        self.listen(self.frame, "pointercancel", self._pointer_up)
        for event in ("pointerover", "focusin"):
            self.listen(self.frame, event, self._show_tip)
        for event in ("pointerout", "focusout"):
            self.listen(self.frame, event, self._hide_tip)
        self._stop_selection = self.selection.subscribe(self._selection_changed)
        notes["map_fit_zone"] = self.fit_zone
        notes["pins_refilter"] = self.refilter
        self._ticker = Every(LATE_SECONDS, self._clock_moved)
        self._show_hidden()

    def teardown(self) -> None:
        self._ticker.cancel()
        self._writes.cancel()
        self.backlog.clear()
        if self._recull is not None:
            self._recull.cancel()
        self._stop_selection()
        for key, fn in (("map_fit_zone", self.fit_zone), ("pins_refilter", self.refilter)):
            if self.ctx.notes.get(key) == fn:
                del self.ctx.notes[key]
        self.canvas.close()
        self._mark_board(False)

    # --- drawing ------------------------------------------------------------------------------------

    def update(self, changes: Changes) -> None:
        if self.hidden:
            self._stale = True  # nothing is drawn while hidden: the map costs next to nothing
            return
        if self._stale or changes.reset:
            self._stale = False
            self.layer.note(Changes(reset=True))
            self._places_known()
        else:
            self.layer.note(changes)
        self._draw()

    def _places_known(self) -> None:
        """A version-1 backend sends no places: a short notice instead of an empty map."""
        places = self.places = has_places(self.client)
        self.notice.hidden = places
        self.frame.hidden = self.legend.hidden = not places
        self.root.classList.toggle("map-empty", not places)  # one line of text: no map's height (map.css)
        self._show_hidden()
        if places and not self._fitted:
            self._fitted = True
            self.fit_all()
            if self._size() == DEFAULT_SIZE:  # laid out only once the board is shown: fit again then
                asyncio.get_event_loop().call_soon(self.fit_all)

    def _draw(self) -> None:
        if self.layer.pending():
            wanted = self.ctx.notes.get("delivery_matches") or (lambda _id: True)
            deadline = time.perf_counter() + WRITE_BUDGET_S
            puts, drops = self.layer.frame(self.client, wanted, self.view,
                                           keep_going=lambda: time.perf_counter() < deadline)
            for key in drops:
                self.backlog.discard(key)
                self.canvas.drop(*key)
            self.backlog.add(((kind_of(mark), mark.id) for mark in puts), later=self.layer.whole_pass)
        self._draw_selection()
        self._write()

    def _write(self) -> None:
        """Write what waits, within this turn's budget; the rest on the next turns."""
        if not self.hidden:
            self.backlog.run(self._write_mark)
        self.canvas.flush()
        self._writes.kick()

    def _write_some(self) -> None:
        """A later turn: the rest of a big frame (pins of a reset) and of the writes."""
        if self.hidden:
            return
        if self.layer.midway():
            self._draw()
        else:
            self.backlog.run(self._write_mark)
            self.canvas.flush()

    def _more_to_write(self) -> bool:
        return not self.hidden and (bool(self.backlog) or self.layer.midway())

    def _write_mark(self, key: tuple[str, str]) -> None:
        mark = self.layer.mark(*key)
        if mark is not None:
            self.canvas.put_mark(mark, key in self._selected)

    def _selection_marks(self) -> set[tuple[str, str]]:
        delivery_id = self.selection.of(DELIVERY)
        staff_id = self.selection.of(SELECT_STAFF)
        marks = set()
        if delivery_id:
            marks.add((PIN, delivery_id))
            pin = self.layer.mark(PIN, delivery_id)
            assignee = pin.assignee if pin is not None else getattr(self.client.delivery(delivery_id), "assignedTo",
                                                                       None)
            if assignee:
                marks.add((STAFF, assignee))
        if staff_id:
            marks.add((STAFF, staff_id))
        return marks

    def _draw_selection(self) -> None:
        """Queue the marks whose selection changed (``data-selected``, their size), and move the link line."""
        old, self._selected = self._selected, self._selection_marks()
        self.backlog.add(key for key in old ^ self._selected if self.layer.mark(*key) is not None)
        line = self.layer.link(self.selection.of(DELIVERY))
        if line != self._link:
            self._link = line
            self.canvas.link(line)

    def _selection_changed(self, old, new) -> None:
        if self.hidden:
            return
        self._draw_selection()
        self._write()
        if new is not None:  # selected in a list (or here): a marker out of view comes to the middle
            mark = self.layer.mark(PIN if new[0] == DELIVERY else STAFF, new[1])
            if mark is not None and not self.view.contains(mark.x, mark.y):
                self._set_view(self.view.pan((self.view.x + self.view.width / 2 - mark.x) / self.view.units_per_px,
                                             (self.view.y + self.view.height / 2 - mark.y) / self.view.units_per_px))

    def refilter(self) -> None:
        """The deliveries filters changed (the deliveries panel calls this)."""
        self.layer.note_filters()
        if not self.hidden:
            self._draw()

    def _clock_moved(self) -> None:
        if not self.hidden:
            self.layer.note_clock()
            self._draw()

    # --- the view -----------------------------------------------------------------------------------

    def _size(self) -> tuple[float, float]:
        width = getattr(self.frame, "clientWidth", 0) or 0
        height = getattr(self.frame, "clientHeight", 0) or 0
        return (width, height) if width > 0 and height > 0 else DEFAULT_SIZE

    def _set_view(self, view: Viewport) -> None:
        self.view = view
        self.canvas.view(view)
        self._draw_tiles()
        self.canvas.flush()
        self._rescale()
        self.layer.note_view()
        if self.layer.culled:  # choose the pins in view again once the movement pauses
            if self._recull is not None:
                self._recull.cancel()
            self._recull = asyncio.get_event_loop().call_later(RECULL_SECONDS, self._recull_now)

    def _rescale(self) -> None:
        """After a zoom, every marker is written again for the new scale: those on show first."""
        if self.canvas.k == self._k:
            return
        self._k = self.canvas.k
        view = self.view
        markers = [(kind, some_id) for (kind, some_id), mark in self.layer.drawn.items() if kind != ZONE]
        markers.sort(key=lambda key: not view.contains(self.layer.drawn[key].x, self.layer.drawn[key].y))
        self.backlog.add(markers, later=True)
        if not self.hidden:
            self._writes.kick()

    def _draw_tiles(self) -> None:
        """The tiles of the view, when ``static/config.json`` names a source (``app.map_tiles``)."""
        if self.tiles is None:
            return
        wanted = {}
        for tile in tiles_in_view(self.view, self.tiles.max_zoom):
            size = f"{tile.size:.2f}"
            wanted[f"{tile.z}/{tile.x}/{tile.y}"] = {
                "x": f"{tile.x * tile.size:.2f}", "y": f"{tile.y * tile.size:.2f}", "width": size, "height": size,
                "href": tile_url(self.tiles, tile)}
        for tile_id in self._tiles_drawn - wanted.keys():
            self.canvas.drop(TILE, tile_id)
        for tile_id in wanted.keys() - self._tiles_drawn:
            self.canvas.put_tile(tile_id, wanted[tile_id])
        self._tiles_drawn = set(wanted)

    def _recull_now(self) -> None:
        self._recull = None
        if not self.hidden:
            self._draw()

    def fit_all(self, *args) -> None:
        self._everything = world_bounds(self.client)
        self._fit(self._everything)

    def fit_zone(self, zone_id: str) -> None:
        """A zone card's "Fit zone": show that zone's area (the map is shown first if hidden)."""
        zone = self.client.zone(zone_id)
        if zone is None or not zone.area:
            return
        if self.hidden:
            self._toggle()
        self._fit(bounds(zone.area))
        self.frame.focus()

    def _fit(self, box) -> None:
        if box is not None:
            self._set_view(Viewport(*self._size()).fit(box))

    def _zoom_in(self, *args) -> None:
        self._zoom(ZOOM_STEP)

    def _zoom_out(self, *args) -> None:
        self._zoom(1 / ZOOM_STEP)

    def _zoom(self, factor: float, at=None) -> None:
        self._set_view(self.view.resized(*self._size()).zoom(factor, at).bounded(self._everything))

    def _pan(self, view: Viewport) -> None:
        """A drag or an arrow key: never so far that the city is out of sight (``Viewport.bounded``)."""
        self._set_view(view.bounded(self._everything))

    # --- hide and show ------------------------------------------------------------------------------

    def _toggle(self, *args) -> None:
        self.hidden = not self.hidden
        stored = _storage()
        if stored is not None:
            try:
                stored.setItem(HIDDEN_KEY, "1" if self.hidden else "0")
            except Exception:
                pass
        self._show_hidden()
        if not self.hidden:
            self.update(Changes(reset=True))

    def _show_hidden(self) -> None:
        """Hidden, or with nothing to show (a version-1 backend), the board lays out as without a map."""
        self.body.hidden = self.hidden
        self.tools.hidden = self.hidden or not self.places  # no zoom with nothing to zoom to
        # Its words say what it does ("Show map" read as an action while the map was shown); a
        # disclosure's aria-expanded says the state.
        self.toggle.textContent = "Show map" if self.hidden else "Hide map"
        self.toggle.setAttribute("aria-expanded", "false" if self.hidden else "true")
        self.root.classList.toggle("map-off", self.hidden)
        self._mark_board(self.hidden or not self.places)

    def _mark_board(self, off: bool) -> None:
        """The dashboard's grid narrows its side column while the map is off (map.css).

        A class on the dashboard itself, not ``.dashboard:has(.panel-map.map-off)``: Chrome checks
        a ``:has()`` again on every row inserted anywhere in the board, about 580 style
        invalidations a second under the live stream (bench/README.md, "a ``:has()`` found").
        """
        board = self.root.parentNode
        if board is not None and getattr(board, "classList", None) is not None:
            board.classList.toggle("map-off", off)

    # --- input ----------------------------------------------------------------------------------------

    def _head_clicked(self, event) -> None:
        button = event.target.closest("button[data-action]")
        if button:
            handler = CLICKS.get(str(button.getAttribute("data-action") or ""))
            if handler is not None:
                getattr(self, handler)()

    def _marker(self, node):
        found = node.closest("[data-testid=map-staff], [data-testid=map-delivery]") if node else None
        return found if found else None

    def _clicked(self, event) -> None:
        if self._drag is not None and self._drag.get("moved"):
            return
        marker = self._on_top(event)
        if marker is not None:
            self.activate(marker)

    def activate(self, marker) -> None:
        """Select what the marker stands for and open its detail view (a delivery's, or a person's)."""
        some_id = str(marker.getAttribute("data-id") or "")
        if not some_id:
            return
        if marker.getAttribute("data-testid") == "map-delivery":
            self.selection.select(DELIVERY, some_id)
            open_delivery = self.ctx.notes.get("open_delivery")
            if callable(open_delivery):
                open_delivery(some_id, marker)
        else:
            self.selection.select(SELECT_STAFF, some_id)
            open_staff = self.ctx.notes.get("open_staff")
            if callable(open_staff):
                open_staff(some_id, marker)

    def _keydown(self, event) -> None:
        key = str(event.key)
        marker = self._marker(event.target)
        if marker is not None and key in ("Enter", " "):
            event.preventDefault()
            self.activate(marker)
        elif key in PAN_KEYS:
            event.preventDefault()
            right, down = PAN_KEYS[key]
            self._pan(self.view.resized(*self._size()).step(right, down))
        elif key in ZOOM_KEYS:
            event.preventDefault()
            self._zoom(ZOOM_KEYS[key])

    def _wheel(self, event) -> None:
        event.preventDefault()
        delta = float(getattr(event, "deltaY", 0) or 0)
        if delta:
            self._zoom(math.exp(-max(-300.0, min(300.0, delta)) / 300), self._at(event))

    def _at(self, event):
        rect = self.frame.getBoundingClientRect() if hasattr(self.frame, "getBoundingClientRect") else None
        if rect is None:
            return None
        return (float(event.clientX) - float(rect.left), float(event.clientY) - float(rect.top))

    def _pointer_down(self, event) -> None:
        if getattr(event, "button", 0) != 0:
            return
        self._drag = {"x": float(event.clientX), "y": float(event.clientY), "moved": False, "id": event.pointerId}

    def _pointer_move(self, event) -> None:
        drag = self._drag
        if drag is None or drag.get("done"):
            return
        dx, dy = float(event.clientX) - drag["x"], float(event.clientY) - drag["y"]
        if not drag["moved"] and abs(dx) + abs(dy) < DRAG_PX:
            return
        if not drag["moved"]:
            drag["moved"] = True
            try:
                self.frame.setPointerCapture(drag["id"])
            except Exception:
                pass
            self.frame.classList.add("dragging")
        drag["x"], drag["y"] = float(event.clientX), float(event.clientY)
        self._pan(self.view.resized(*self._size()).pan(dx, dy))

    def _pointer_up(self, event) -> None:
        drag = self._drag
        if drag is None:
            return
        self.frame.classList.remove("dragging")
        if drag["moved"]:
            drag["done"] = True  # the click that follows a drag is not an activation
            asyncio.get_event_loop().call_soon(self._end_drag)
        else:
            self._drag = None

    def _end_drag(self) -> None:
        self._drag = None

    def _show_tip(self, event) -> None:
        if str(event.type) == "focusin":
            marker = self._marker(event.target)
            if marker is not None and focus_visible(marker):
                self._reveal(marker)
            owner = FOCUS
        elif self.tooltip.owner == FOCUS and unmoved(event):
            return  # the map moved under a resting pointer (a pan to the focused marker): focus keeps the tip
        else:
            marker, owner = self._on_top(event), POINTER
        if marker is not None:
            self.tooltip.show(marker, owner)

    def _hide_tip(self, event) -> None:
        self.tooltip.hide(FOCUS if str(event.type) == "focusout" else POINTER)

    def _reveal(self, marker) -> None:
        """Pan a marker that took keyboard focus into view: Tab reaches every marker, seen or not."""
        kind = KINDS.get(str(marker.getAttribute("data-testid") or ""))
        mark = self.layer.mark(kind, str(marker.getAttribute("data-id") or "")) if kind else None
        if mark is None:
            return
        view = self.view.resized(*self._size())
        shown = view.reveal(mark.x, mark.y, REVEAL_MARGIN_PX)
        if shown is not view:
            self._set_view(shown)

    def _on_top(self, event):
        """The marker under the pointer as the map paints it: a selected or focused marker is painted
        over its neighbours (static/js/map-paint.mjs), while the SVG under the paint, which takes the
        pointer, keeps every marker in its place. So among the markers of the topmost kind at the
        point, a raised one wins; otherwise the topmost, as hit. (A press focuses the marker it hits,
        but only focus from the keyboard raises one, as only it is painted.)"""
        hit = self._marker(event.target)
        finder = getattr(document, "elementsFromPoint", None)
        if hit is None or finder is None or getattr(event, "clientX", None) is None:
            return hit
        kind = hit.getAttribute("data-testid")
        focused = document.activeElement
        for node in finder(float(event.clientX), float(event.clientY)):
            marker = self._marker(node)
            if marker is None or marker.getAttribute("data-testid") != kind:
                continue
            if marker.getAttribute("data-selected") == "true" or (
                    focused and marker.isSameNode(focused) and focus_visible(marker)):
                return marker
        return hit

