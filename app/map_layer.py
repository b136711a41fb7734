"""What the map draws: a mark per zone, staff member and open drop-off, and only the marks that changed.

    layer = MapLayer(clock=time.time)
    layer.note(Changes(reset=True))
    puts, drops = layer.frame(client, wanted=table.matched.__contains__, view=viewport)
    ...                                   # the panel writes them (app/web/panels/map.py)
    layer.note(changes)                   # every Render: ids to look at again, nothing drawn yet
    puts, drops = layer.frame(client, ...)   # once per frame: each id at most once

``frame`` reads the board through the client's views, and a dot's accessible
name through ``client.work`` (``app.roster.OpenWork``: the delivery each
person is on now), which the client keeps and names in ``changes.carriers``.

Coalescing: ``note`` only collects ids; ``frame`` reads each one's latest
state once and returns a mark only if it differs from what was last drawn. A
driver who moved three times within a frame is one put, and a status event
that changes nothing on the map is none.

What is drawn (PROTOCOL.md 6):

- a zone with an ``area``;
- a staff member with a ``location``;
- a delivery that is open (``app.models.is_open``), has a ``dropoff`` and
  passes the deliveries filters (``wanted``). While more than
  ``pin_budget`` pass, only those in view (plus a margin) are drawn, and at
  most ``pin_budget`` of them: the rest come as the user pans or zooms
  (``frame(..., view=...)`` after ``note_view``).

Every mark carries its world coordinates (``app.map_projection.project``),
the raw lat/lon last applied, its status and its accessible name ("Ada
Okafor, on delivery, D-1095").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Optional, Union

from app.eta import is_late, timestamp
from app.geo import Bounds, bounds
from app.map_projection import Viewport, project
from app.models import is_open
from app.store import Changes
from app.wording import words

ZONE, STAFF, PIN = "zone", "staff", "pin"
#: Pins drawn at most; beyond it, only pins in view (README.md, "The map": why 1,500).
PIN_BUDGET = 1500
#: Pins a little outside the view are drawn too, so a short pan shows no gap.
VIEW_MARGIN = 0.25
#: Pins and staff looked at between two questions to ``frame``'s ``keep_going``.
PIN_STEP = 200
STAFF_STEP = 50


@dataclass(frozen=True)
class ZoneMark:
    id: str
    points: str  # "x,y x,y ..." in world units
    label_x: float
    label_y: float
    status: str
    name: str


@dataclass(frozen=True)
class StaffMark:
    id: str
    x: float
    y: float
    lat: float
    lon: float
    heading: Optional[float]
    status: str
    label: str
    delivery: Optional[str]  # the one they are on now


@dataclass(frozen=True)
class PinMark:
    id: str
    x: float
    y: float
    lat: float
    lon: float
    status: str
    late: bool
    label: str
    assignee: Optional[str]


Mark = Union[ZoneMark, StaffMark, PinMark]


def kind_of(mark: Mark) -> str:
    """``ZONE``, ``STAFF`` or ``PIN``."""
    return ZONE if isinstance(mark, ZoneMark) else STAFF if isinstance(mark, StaffMark) else PIN


def zone_mark(zone) -> Optional[ZoneMark]:
    if not zone.area:
        return None
    points = [project(lat, lon) for lon, lat in zone.area]
    ring = points[:-1] if len(points) > 1 and points[0] == points[-1] else points
    cx = sum(p[0] for p in ring) / len(ring)
    cy = sum(p[1] for p in ring) / len(ring)
    return ZoneMark(zone.id, " ".join(f"{x},{y}" for x, y in points), round(cx, 2), round(cy, 2),
                    str(zone.status), zone.name)


def staff_label(name: str, status: str, delivery_id: Optional[str]) -> str:
    """The accessible name of a staff dot: "Ada Okafor, on delivery, D-1095"."""
    parts = [name, words(status).lower()]
    if delivery_id:
        parts.append(delivery_id)
    return ", ".join(parts)


def pin_label(delivery, late: bool) -> str:
    """The accessible name of a pin: "D-1095, drop-off for Mia Chen, in transit, late"."""
    text = f"{delivery.id}, drop-off for {delivery.customer}, {words(str(delivery.status)).lower()}"
    return text + ", late" if late else text


class MapLayer:
    """The marks last drawn and the ids to look at again; see the module docstring."""

    def __init__(self, clock: Callable[[], float], pin_budget: int = PIN_BUDGET):
        self._clock = clock
        self.pin_budget = pin_budget
        self.drawn: dict[tuple[str, str], Mark] = {}
        self.pins_drawn = 0  # how many of ``drawn`` are pins: counting them per frame would be O(drawn)
        self._dirty: dict[str, set[str]] = {ZONE: set(), STAFF: set(), PIN: set()}
        self._all = True  # the next frame looks at everything (a reset, a new filter)
        self._view_changed = False
        self.candidates: set[str] = set()  # open deliveries with a drop-off that pass the filters
        self._looked: dict[str, Optional[PinMark]] = {}  # pins of this frame looked at so far
        self._staff_left: set[str] = set()  # a reset's staff, looked at in steps as its pins are
        self._whole = False  # a pass over every pin (a reset, the filters, the view over the budget) is on
        self.whole_pass = False  # the last frame's marks came from such a pass: many, written over turns
        self.culled = False  # over budget: only pins in view are drawn
        self._made: dict[str, tuple[tuple, PinMark]] = {}  # each candidate's pin and what it was made of

    # --- what to look at again ---------------------------------------------------------------

    def note(self, changes: Changes) -> None:
        """A Render's changes (``carriers``: people whose current delivery, in their dot's name, moved)."""
        if changes.reset:
            self._all = True
            return
        self._dirty[ZONE].update(changes.zones)
        self._dirty[STAFF].update(changes.staff)
        self._dirty[STAFF].update(changes.moved)
        self._dirty[STAFF].update(changes.carriers)
        self._dirty[PIN].update(changes.deliveries)

    def note_filters(self) -> None:
        """The deliveries filters changed: every pin is looked at again."""
        self._all = True

    def note_view(self) -> None:
        """The view moved: matters only while pins are culled to the view."""
        self._view_changed = True

    def note_clock(self) -> None:
        """Time passed: drawn pins may have become late."""
        self._dirty[PIN].update(i for kind, i in self.drawn if kind == PIN)

    def pending(self) -> bool:
        return self._all or self._view_changed or any(self._dirty.values()) or bool(self._staff_left)

    def midway(self) -> bool:
        """A frame stopped by its ``keep_going`` has pins or staff left to look at."""
        return bool(self._looked) or bool(self._staff_left)

    # --- one frame -------------------------------------------------------------------------------

    def frame(self, board, wanted: Callable[[str], bool] = lambda _id: True,
              view: Optional[Viewport] = None,
              keep_going: Optional[Callable[[], bool]] = None) -> tuple[list[Mark], list[tuple[str, str]]]:
        """``(puts, drops)``: the marks that are new or changed, and the ``(kind, id)`` no longer drawn.

        ``keep_going``: asked between batches of ``PIN_STEP`` pins; once it says False, the pins not
        looked at yet wait for the next frame (``pending()`` stays True) and this one returns the zones'
        and staff's marks only. Pins are put all together once every one has been looked at, since the
        pin budget needs them all counted. So a reset over 10,000 deliveries is several short frames,
        and its dots come ``STAFF_STEP`` at a time, one step a frame before the pins' steps.
        """
        now = self._clock()
        if self._all:
            self._all = False
            self._whole = True
            self._staff_left = {m.id for m in board.staff()}
            self._dirty = {ZONE: {z.id for z in board.zones()}, STAFF: set(),
                           PIN: {d.id for d in board.deliveries()}}
            for kind, some_id in self.drawn:
                (self._staff_left if kind == STAFF else self._dirty[kind]).add(some_id)
            self.candidates = set()
            self._looked = {}
            self._made = {}
        if self.culled and self._view_changed and not self._looked:  # the pins in view are chosen again:
            self._dirty[PIN].update(self.candidates)                 # every candidate is looked at, in steps
            self._whole = True
            self._dirty[PIN].update(i for kind, i in self.drawn if kind == PIN)
        dirty = self._dirty
        self._dirty = {ZONE: set(), STAFF: set(), PIN: dirty[PIN]}
        puts: list[Mark] = []
        drops: list[tuple[str, str]] = []
        for zone_id in dirty[ZONE]:
            zone = board.zone(zone_id)
            self._put(ZONE, zone_id, zone_mark(zone) if zone is not None else None, puts, drops)
        self._staff_marks(board, dirty[STAFF], puts, drops)
        left = self._staff_left  # a reset's dots: a step a frame
        if left:
            self._staff_marks(board, [left.pop() for _ in range(min(STAFF_STEP, len(left)))], puts, drops)
        waiting, looked = dirty[PIN], self._looked
        while waiting:
            batch = [waiting.pop() for _ in range(min(PIN_STEP, len(waiting)))]
            looked.update(self._pin_marks(board, batch, wanted, now))
            if waiting and keep_going is not None and not keep_going():
                self.whole_pass = self._whole
                return puts, drops
        if self._dirty[PIN] is waiting:  # emptied: a new set, as popping from one that once held every
            self._dirty[PIN] = set()     # delivery scans its big, sparse table (5 us a pop, measured)
        pins, self._looked = looked, {}
        culled = len(self.candidates) > self.pin_budget
        if culled != self.culled or (culled and self._view_changed):  # every pin is in or out again
            self._whole = True
            drawn_pins = {i for kind, i in self.drawn if kind == PIN}
            pins.update(self._pin_marks(board, (self.candidates | drawn_pins) - pins.keys(), wanted, now))
        self.culled = culled
        self._view_changed = False
        if culled:
            drawn = self.drawn
            shown = self.pins_drawn - sum(1 for i in pins if (PIN, i) in drawn)  # O(pins looked at)
            # Pins already drawn keep their place first: otherwise an update to a pin not drawn could take
            # the slot of a drawn one, and a stream of updates would swap pins in and out of the map.
            for delivery_id, mark in sorted(pins.items(), key=lambda item: (PIN, item[0]) not in drawn):
                if mark is not None and shown < self.pin_budget and (
                        view is None or view.contains(mark.x, mark.y, VIEW_MARGIN)):
                    shown += 1
                else:
                    pins[delivery_id] = None
        for delivery_id, mark in pins.items():
            self._put(PIN, delivery_id, mark, puts, drops)
        while left and (keep_going is None or keep_going()):  # the pins are done: the dots' other steps
            self._staff_marks(board, [left.pop() for _ in range(min(STAFF_STEP, len(left)))], puts, drops)
        self.whole_pass = self._whole
        self._whole = bool(self._staff_left)
        return puts, drops

    def _put(self, kind: str, some_id: str, mark: Optional[Mark], puts: list, drops: list) -> None:
        key = (kind, some_id)
        old = self.drawn.get(key)
        if mark is None:
            if old is not None:
                del self.drawn[key]
                drops.append(key)
                self.pins_drawn -= kind == PIN
        elif mark is not old and mark != old:
            self.drawn[key] = mark
            puts.append(mark)
            self.pins_drawn += kind == PIN and old is None

    def _staff_marks(self, board, ids: Iterable[str], puts: list, drops: list) -> None:
        for staff_id in ids:
            self._put(STAFF, staff_id, self._staff_mark(board, staff_id), puts, drops)

    def _staff_mark(self, board, staff_id: str) -> Optional[StaffMark]:
        member = board.staff_member(staff_id)
        if member is None or member.location is None:
            return None
        current = board.work.current(staff_id)
        where = member.location
        x, y = project(where.lat, where.lon)
        status = str(member.status)
        return StaffMark(staff_id, x, y, where.lat, where.lon, where.heading, status,
                         staff_label(member.name, status, current), current)

    def _pin_marks(self, board, ids: Iterable[str], wanted, now: float) -> dict[str, Optional[PinMark]]:
        """Each delivery's pin, or None when it has none (updates ``candidates``).

        A pin is made again only when what it shows changed (``_made``): an ETA moves on most
        updates, and only its lateness reaches the pin."""
        marks: dict[str, Optional[PinMark]] = {}
        made = self._made
        for delivery_id in ids:
            delivery = board.delivery(delivery_id)
            if delivery is None or delivery.dropoff is None or not is_open(delivery.status) \
                    or not wanted(delivery_id):
                self.candidates.discard(delivery_id)
                made.pop(delivery_id, None)
                marks[delivery_id] = None
                continue
            self.candidates.add(delivery_id)
            late = is_late(timestamp(delivery.eta), True, now)
            point = delivery.dropoff
            basis = (point.lat, point.lon, delivery.status, late, delivery.customer, delivery.assignedTo)
            known = made.get(delivery_id)
            if known is not None and known[0] == basis:  # most updates change only what a pin does not show
                marks[delivery_id] = known[1]
                continue
            x, y = project(point.lat, point.lon)
            mark = PinMark(delivery_id, x, y, point.lat, point.lon, str(delivery.status), late,
                           pin_label(delivery, late), delivery.assignedTo)
            made[delivery_id] = (basis, mark)
            marks[delivery_id] = mark
        return marks

    # --- reading -----------------------------------------------------------------------------------

    def mark(self, kind: str, some_id: str) -> Optional[Mark]:
        return self.drawn.get((kind, some_id))

    def link(self, delivery_id: Optional[str]) -> Optional[tuple[float, float, float, float]]:
        """The line from a selected delivery's pin to its assignee's dot, if both are drawn."""
        pin = self.drawn.get((PIN, delivery_id)) if delivery_id else None
        driver = self.drawn.get((STAFF, pin.assignee)) if pin is not None and pin.assignee else None
        if pin is None or driver is None:
            return None
        return (driver.x, driver.y, pin.x, pin.y)


def world_bounds(board) -> Optional[Bounds]:
    """The lat/lon box around every zone, located staff member and drop-off: what "fit all" shows."""
    box: Optional[Bounds] = None
    for zone in board.zones():
        if zone.area:
            part = bounds(zone.area)
            box = part if box is None else box.union(part)
    points = [m.location for m in board.staff() if m.location is not None]
    points += [d.dropoff for d in board.deliveries() if d.dropoff is not None and is_open(d.status)]
    for p in points:
        part = Bounds(p.lat, p.lon, p.lat, p.lon)
        box = part if box is None else box.union(part)
    return box


def has_places(board) -> bool:
    """Whether the backend sends anything to put on a map (a version-1 backend sends none)."""
    return (any(z.area for z in board.zones()) or any(m.location is not None for m in board.staff())
            or any(d.dropoff is not None or d.pickup is not None for d in board.deliveries()))
