"""The deliveries panel: ``[data-testid=delivery-list]``, one row per delivery, filtered, sorted, live.

    panel = DeliveriesPanel(section, ctx).mount()   # toolbar, table, detail dialog; reads ctx.prefs
    ctx.hub.publish(changes)                       # -> update(changes): only the named rows are touched
    panel.unmount()

What a row shows (PROTOCOL.md 6): ``tr[data-testid=delivery-row][data-id]``
with ``data-status``, ``data-pending="true"`` while a change is unconfirmed,
``data-late="true"`` when an open delivery's ETA has passed, and one
``td[data-field]`` per field whose ``data-value`` is the raw value (empty for
null) and whose text is for people: labels, local times ("14:05 in 12 min",
"3 min late"), a name beside an id. The row's id is a
``button[data-action=open-details]`` that opens the detail dialog
(``delivery_detail.py``).

Speed, for 10,000 deliveries (the rules that keep it fast; figures measured
in headless Chromium on the shared 2-core test machine, bench/README.md):

1. Python decides what each row shows; the page is written through
   ``RowOps`` (``app/web/row_ops.py``, ``static/js/rows.mjs``): edits are
   queued and applied in one call per frame, and Python holds no proxy per
   row. One Pyodide call per cell cost about 1 ms per row.
2. Only a window is in the document: the first ``page`` (``?pageRows=``,
   100) matching rows in sort order, in ``[data-testid=delivery-list]``;
   "Show more" ([data-testid=delivery-more]) adds a page. The other rows are
   parked outside the document, with their form controls set aside. A
   parked row is drawn when it comes into the window, and in the background
   (``_catch_up``: a few every quarter second while live changes keep
   coming, all of them once they pause; ``data-caught-up`` on the parked
   ``<tbody>`` says when none waits). Drawing all 10,000 on every change was
   a third of the Python time at 1,000 events/s. With all 10,000 rows in
   the page, any move of a shown row cost ~100 ms of layout and Chrome's
   autofill walked every row several times a second (200-400 ms each): a
   stream of 200 events/s had p95 2.5 s; windowed, 0.11 s (bench/README.md).
3. A reset (snapshot) builds rows in chunks: the first ``FIRST_CHUNK`` (those
   that pass the filters first) at once, the rest ``CHUNK`` per event-loop turn.
4. An update touches only the rows named in ``changes.deliveries`` (and,
   rarely, the rows of a staff member or zone whose *name* changed), and
   within a row only the cells whose value changed.
5. Filters, search and sort never rebuild: they change the set of matching
   ids (``app.filters.matches`` over cached ``Facts``) or the ``SortedIds``
   order, and ``_flush`` moves the window (``SortedIds.first``); the page
   moves only the rows whose place changed.
6. Shown rows are CSS grid rows (``deliveries.css``; ARIA roles keep the
   table semantics) with ``content-visibility: auto``: table layout re-laid
   out the whole table for one changed cell.
7. A clock tick (every ``TICK_SECONDS``) rewrites only the relative ETA
   texts that changed ("in 12 min" -> "in 11 min") and the late flags.
8. A live change flashes its row only while it is shown, and at most
   ``FLASH_CAP`` rows at once.

Actions (PROTOCOL.md 6): ``select[data-action=set-status]`` and
``select[data-action=assign]`` in each row hold only their current option
until focused, pressed or reached by keyboard, then are filled (500 staff x
10,000 rows would be five million ``<option>`` elements). A change goes
through the client's optimistic commands: the row shows it at once with
``data-pending``; a refusal rolls it back and shows the reason in the row
(``[data-testid=row-error]``, plain text) with ``button[data-action=dismiss-error]``
and, when retrying is safe, ``button[data-action=retry-command]``.

Filters, search and sort (``app.filters.Filters``) live in
``ctx.prefs["deliveries"]``, which the App keeps across a re-login.
"""

from __future__ import annotations

import asyncio
import time
from itertools import islice

from app.eta import eta_text, is_late, timestamp
from app.eta import relative as eta_relative
from app.filters import (
    PRIORITY_LABELS,
    STATUS_LABELS,
    UNASSIGNED,
    Filters,
    SortedIds,
    count,
    facts,
    matches,
    sort_key,
    staff_choice,
)
from app.store import Changes
from app.web import localtime
from app.web.dom import el
from app.web.panels.base import Panel
from app.web.panels.delivery_detail import DeliveryDetail, staff_label
from app.web.row_ops import FIRST, LAST, ROW, RowOps, at
from app.web.runtime import document

PREFS_KEY = "deliveries"
FIRST_CHUNK = 120
CHUNK = 500
TICK_SECONDS = 20
FLASH_CAP = 60  # rows highlighted at once; a burst beyond that is not highlighted (static/js/rows.mjs)
SEARCH_DELAY = 0.15
CATCH_UP_SECONDS = 0.25  # parked rows brought up to date this often (``_catch_up``)
CATCH_UP_BUSY = 25  # ... this many at a time while live changes keep coming
CATCH_UP_IDLE = 500  # ... and this many per turn, back to back, once they have paused
#: The columns after the id: (field, heading, sort key or None); ``pick-*`` hold a row's select.
COLUMNS = (
    ("status", "Status", "status"), ("pick-status", "Change status", None),
    ("customer", "Customer", None), ("address", "Address", None), ("zoneId", "Zone", None),
    ("assignedTo", "Assignee", None), ("pick-assignee", "Change assignee", None),
    ("priority", "Priority", "priority"), ("eta", "ETA", "eta"),
)
SORT_CHOICES = (
    ("eta", "ETA, soonest first"), ("-eta", "ETA, latest first"),
    ("priority", "Priority, urgent first"), ("-priority", "Priority, normal first"),
    ("status", "Status, pending first"), ("-status", "Status, cancelled first"),
)
STATUS_FILTER = (("", "All statuses"), ("open", "Open (not closed)"), ("late", "Late"),
                 *STATUS_LABELS.items())
PRIORITY_FILTER = (("", "All priorities"), *PRIORITY_LABELS.items())
CHIPS = (("open", "Open", "open"), ("late", "Late", "late"),
         *((status, label, status) for status, label in STATUS_LABELS.items()))


# The cells of a row, by index in ``tr.cells``.
C_ID, C_STATUS, C_PICK_STATUS, C_CUSTOMER, C_ADDRESS, C_ZONE, C_ASSIGNEE, C_PICK_ASSIGNEE, C_PRIORITY, C_ETA = range(10)


def row_prototype():
    """The row every delivery row is cloned from: its structure and fixed attributes, no data.

    Each select sits in its own narrow cell beside the value it changes (drawn as
    a chevron); a refusal's reason opens under the status one, inside the row.
    The ARIA roles restate the table's semantics, which CSS grid layout
    (``deliveries.css``) would otherwise take from it.
    """
    def cell(attrs=None, *children):
        return el("td", {"role": "cell", **(attrs or {})}, *children)

    return el(
        "tr", {"data-testid": "delivery-row", "role": "row"},
        el("th", {"scope": "row", "role": "rowheader", "class": "row-id"},
           el("button", {"type": "button", "data-action": "open-details", "aria-haspopup": "dialog",
                         "title": "Open details"})),
        cell({"data-field": "status"}, el("span", {"class": "badge"})),
        cell({"class": "pick pick-status"}, el("select", {"data-action": "set-status"}, el("option"))),
        cell({"data-field": "customer"}),
        cell({"data-field": "address"}),
        cell({"data-field": "zoneId"}, el("span", {"class": "main"}), el("span", {"class": "sub"})),
        cell({"data-field": "assignedTo"}, el("span", {"class": "main"}), el("span", {"class": "sub"})),
        cell({"class": "pick pick-assignee"}, el("select", {"data-action": "assign"}, el("option"))),
        cell({"data-field": "priority"}, el("span", {"class": "badge"})),
        cell({"data-field": "eta"}, el("span", {"class": "eta-time"}), document.createTextNode(" "),
             el("span", {"class": "eta-rel"})),
    )


class Row:
    """What was last drawn in one delivery's row; the row itself lives in the page.

    Python keeps no proxy per row: edits are queued on the panel's ``RowOps``
    and applied in one call per frame (``static/js/rows.mjs``). Pyodide gets
    slower at making proxies the more are alive, and one call per cell cost
    about 1 ms per row to build (bench/results/profile.md).
    """

    __slots__ = ("id", "last", "late", "eta_ts", "open", "local_note", "has_error")

    def __init__(self, delivery_id: str):
        self.id = delivery_id
        self.last: dict = {}
        self.late = False
        self.eta_ts = None
        self.open = False
        self.local_note = ""  # a command refused before it was made (Refused), shown like a rollback
        self.has_error = False  # the [data-testid=row-error] box exists (made when first needed)


class DeliveriesPanel(Panel):
    name = "deliveries"
    topics = ("deliveries", "staff", "zones")

    # --- building -------------------------------------------------------------------------

    def build(self) -> None:
        self.filters = Filters.from_prefs(self.ctx.prefs.get(PREFS_KEY))
        self._words = self.filters.words()
        self.rows: dict[str, Row] = {}
        self.facts: dict = {}
        self.order = SortedIds()
        self.matched: set[str] = set()
        self.late_ids: set[str] = set()
        self.timed: set[str] = set()  # built rows whose relative ETA moves with the clock
        self.counts = count((), 0)
        self._queue: list[str] = []
        self._queued: set[str] = set()
        self._zone_names: dict[str, str] = {}
        self._staff_names: dict[str, str] = {}
        self._chips_drawn: dict[str, str] = {}
        self._handles: dict[str, asyncio.Handle] = {}
        self._day = None
        self.page = self.ctx.page_rows  # rows laid out at once, and how many more "Show more" adds (_flush)
        self.limit = self.page
        self._window: list[str] = []
        self._shown: set[str] = set()  # the window's ids
        self._window_dirty = True  # the window may have changed: _flush takes it again
        # Parked rows whose drawing waits (id -> a live change is among what waits); see _catch_up.
        self.stale: dict[str, bool] = {}
        self._last_live = 0.0
        self._caught_up_drawn = None
        self._more_drawn = ""
        self._prototype = row_prototype()
        self._build_head()
        self._build_toolbar()
        self._build_table()
        self.ops = RowOps(self.tbody, self.parked, self._prototype, id_cell=C_ID,
                          control_cells=(C_ID, C_PICK_STATUS, C_PICK_ASSIGNEE), flash_cap=FLASH_CAP)
        self.detail = DeliveryDetail(self.ctx, self.listen, self._clock)
        self.announcer = el("div", {"class": "sr-only", "aria-live": "polite", "data-testid": "deliveries-announce"})
        self.root.appendChild(self.announcer)
        self.root.appendChild(self.detail.node)
        self.ctx.notes["open_delivery"] = self.open_detail
        for event in ("focusin", "pointerdown", "keydown"):
            self.listen(self.root, event, self._fill_select)
        self.listen(self.root, "change", self._changed)
        self.listen(self.root, "click", self._clicked)
        self.listen(self.search, "input", self._typed)
        self.listen(self.toolbar, "submit", lambda event: event.preventDefault())
        self._sync_controls()
        self._later("tick", TICK_SECONDS, self._tick)

    def _build_head(self) -> None:
        self.count_text = el("span", {"class": "delivery-count", "data-testid": "delivery-count"})
        self.chips = {}
        chips = el("div", {"class": "status-chips", "role": "group", "aria-label": "Show deliveries by status",
                           "data-testid": "status-counts"})
        for value, label, key in CHIPS:
            chip = el("button", {"type": "button", "class": "chip", "data-action": "status-chip",
                                 "data-testid": "status-count", "data-status": value, "aria-pressed": "false"},
                      el("span", {"class": "chip-label"}, text=label), el("span", {"class": "chip-count"}, text="0"))
            self.chips[key] = chip
            chips.appendChild(chip)
        self.clear_button = el("button", {"type": "button", "data-action": "clear-filters",
                                          "data-testid": "clear-filters", "class": "clear-filters link",
                                          "hidden": True}, text="Clear filters")
        self.root.appendChild(el("div", {"class": "panel-head deliveries-head"},
                                 el("h2", {"id": "deliveries-title", "tabindex": "-1"}, text="Deliveries"),
                                 self.count_text, self.clear_button, chips))

    def _build_toolbar(self) -> None:
        self.search = el("input", {"type": "search", "name": "q", "data-testid": "delivery-search",
                                   "placeholder": "ID, customer, address", "autocomplete": "off",
                                   "spellcheck": "false"})
        self.selects = {
            "status": _select("status", STATUS_FILTER),
            "zone": _select("zone", (("", "All zones"),)),
            "assignee": _select("assignee", (("", "Anyone"),)),
            "priority": _select("priority", PRIORITY_FILTER),
            "sort": _select("sort", SORT_CHOICES),
        }
        labels = {"status": "Status", "zone": "Zone", "assignee": "Assignee", "priority": "Priority",
                  "sort": "Sort"}
        self.toolbar = el(
            "form", {"class": "delivery-filters", "role": "search", "aria-label": "Filter and sort deliveries"},
            el("label", {"class": "filter filter-search"}, el("span", None, text="Search"), self.search),
            *(el("label", {"class": f"filter filter-{key}"}, el("span", None, text=labels[key]), select)
              for key, select in self.selects.items()),
        )
        self.root.appendChild(self.toolbar)

    def _build_table(self) -> None:
        self.sort_heads = {}
        heads = [el("th", {"scope": "col", "role": "columnheader", "class": "col-id"}, text="ID")]
        for field, heading, key in COLUMNS:
            if key:
                th = el("th", {"scope": "col", "role": "columnheader", "class": f"col-{field}"},
                        el("button", {"type": "button", "data-action": "sort", "data-sort": key,
                                      "class": "sort-button"},
                           el("span", None, text=heading), el("span", {"class": "sort-mark", "aria-hidden": "true"})))
                self.sort_heads[key] = th
            elif field.startswith("pick-"):
                th = el("th", {"scope": "col", "role": "columnheader", "class": f"col-{field}"},
                        el("span", {"class": "sr-only"}, text=heading))
            else:
                th = el("th", {"scope": "col", "role": "columnheader", "class": f"col-{field}"}, text=heading)
            heads.append(th)
        self.tbody = el("tbody", {"data-testid": "delivery-list", "role": "rowgroup"})
        # The rows beyond the window, kept up to date outside the document (static/js/rows.mjs).
        self.parked = el("tbody", {"class": "parked", "data-testid": "delivery-parked"})
        table = el("table", {"class": "deliveries", "role": "table", "aria-labelledby": "deliveries-title",
                             "aria-describedby": "delivery-table-help"},
                   el("caption", {"class": "sr-only", "id": "delivery-table-help"},
                      text="Deliveries. Status, Priority and ETA headers sort the table; "
                           "each delivery id opens its details."),
                   el("thead", {"role": "rowgroup"}, el("tr", {"role": "row"}, *heads)), self.tbody)
        self.empty = el("div", {"class": "delivery-empty", "data-testid": "delivery-empty", "hidden": True},
                        el("p", None, text="No delivery matches these filters."),
                        el("button", {"type": "button", "data-action": "clear-filters"}, text="Clear filters"))
        self.more_text = el("span", {"class": "more-text"})
        self.more = el("div", {"class": "delivery-more", "data-testid": "delivery-more", "hidden": True},
                       self.more_text,
                       el("button", {"type": "button", "data-action": "show-more"}, text=f"Show {self.page} more"))
        self.root.appendChild(el("div", {"class": "panel-body deliveries-body"}, table, self.more, self.empty))

    def teardown(self) -> None:
        if "search" in self._handles:  # typed but not applied yet: keep it for the next login
            self.ctx.prefs[PREFS_KEY] = self.filters.with_(query=str(self.search.value)).as_prefs()
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
        self.detail.teardown()
        self.ops.close()
        if self.ctx.notes.get("open_delivery") == self.open_detail:
            del self.ctx.notes["open_delivery"]

    # --- clock and timers -------------------------------------------------------------------

    def _clock(self):
        """``(now, offset)``: the aware UTC now and the browser's offset in minutes east of UTC."""
        return localtime.now(), localtime.offset_minutes()

    def _later(self, name: str, seconds: float, callback) -> None:
        old = self._handles.pop(name, None)
        if old is not None:
            old.cancel()
        self._handles[name] = asyncio.get_event_loop().call_later(seconds, self._fire, name, callback)

    def _fire(self, name: str, callback) -> None:
        self._handles.pop(name, None)
        callback()

    # --- updates ----------------------------------------------------------------------------

    def update(self, changes: Changes) -> None:
        now = self._clock()
        if changes.reset:
            self._reset(now)
        else:
            live = "delivery_update" in changes.event_types
            if changes.deliveries:
                self._last_live = time.monotonic()
            for delivery_id in changes.deliveries:
                self._upsert(delivery_id, now, live)
            if changes.staff:
                self._names_changed("staff", changes.staff)
            if changes.zones:
                self._names_changed("zones", changes.zones)
        self._show_counts()
        self._flush()

    def _reset(self, now) -> None:
        now_ts = now[0].timestamp()
        self._zone_names = {zone.id: zone.name for zone in self.client.zones()}
        self._staff_names = {member.id: member.name for member in self.client.staff()}
        self._fill_zone_filter()
        self.facts = {d.id: facts(d) for d in self.client.deliveries()}
        for delivery_id in [i for i in self.rows if i not in self.facts]:
            self._drop_row(delivery_id)
        self.counts = count(self.facts.values(), now_ts)
        self.late_ids = {i for i, f in self.facts.items() if is_late(f.eta_ts, f.open, now_ts)}
        words = self.filters.words()
        self.matched = {i for i, f in self.facts.items() if matches(f, self.filters, now_ts, words)}
        for delivery_id, row in self.rows.items():
            row.last.pop("zone", None)
            row.last.pop("staff", None)
            if delivery_id in self._shown:
                self._draw(row, self.client.delivery(delivery_id), now)
            else:
                self.stale.setdefault(delivery_id, False)
        self._window_dirty = True
        if self.rows:
            self._reorder()
        missing = [i for i in self.facts if i not in self.rows]
        missing.sort(key=lambda i: (i not in self.matched, sort_key(self.facts[i], self.filters)))
        first, self._queue = missing[:FIRST_CHUNK], missing[FIRST_CHUNK:]
        self._queued = set(self._queue)
        self._insert_many(first, now)
        self._schedule_chunk()

    def _schedule_chunk(self) -> None:
        if self._queue and "chunk" not in self._handles:
            self._later("chunk", 0, self._build_chunk)

    def _build_chunk(self) -> None:
        batch, self._queue = self._queue[:CHUNK], self._queue[CHUNK:]
        self._queued.difference_update(batch)
        self._insert_many(batch, self._clock())
        self._show_counts()
        self._flush()
        self._schedule_chunk()

    def _insert_many(self, ids, now) -> None:
        """Build rows and put each at its sorted place."""
        self._window_dirty = True
        for delivery_id in ids:
            delivery = self.client.delivery(delivery_id)
            if delivery_id in self.rows or delivery is None or delivery_id not in self.facts:
                continue
            self._new_row(delivery_id, delivery, now)
            self.order.place(delivery_id, sort_key(self.facts[delivery_id], self.filters))

    def _new_row(self, delivery_id: str, delivery, now) -> Row:
        row = Row(delivery_id)
        self.rows[delivery_id] = row
        ops = self.ops
        ops.new(delivery_id)
        ops.attr(delivery_id, at(C_PICK_STATUS, FIRST), "aria-label", f"Status of {delivery_id}")
        ops.attr(delivery_id, at(C_PICK_ASSIGNEE, FIRST), "aria-label", f"Assignee of {delivery_id}")
        self._draw(row, delivery, now)
        return row

    def _upsert(self, delivery_id: str, now, live: bool) -> None:
        delivery = self.client.delivery(delivery_id)
        if delivery is None:
            self._forget(delivery_id)
            return
        now_ts = now[0].timestamp()
        old = self.facts.get(delivery_id)
        new = facts(delivery)
        self.facts[delivery_id] = new
        self._tally(old, -1)
        self._tally(new, +1)
        if is_late(new.eta_ts, new.open, now_ts):
            self.late_ids.add(delivery_id)
        else:
            self.late_ids.discard(delivery_id)
        shown = matches(new, self.filters, now_ts, self._words)
        if shown:
            self.matched.add(delivery_id)
        else:
            self.matched.discard(delivery_id)
        row = self.rows.get(delivery_id)
        if row is None:
            if delivery_id in self._queued:
                return  # its chunk will build it from the latest state
            self._insert_many([delivery_id], now)
            if live and delivery_id in self.rows:
                self.ops.flash(delivery_id)
            return
        key = sort_key(new, self.filters)
        self.order.place(delivery_id, key)
        self._touched(delivery_id, key)
        if delivery_id in self._shown:
            changed = self._draw(row, delivery, now)
            if live and changed:
                self.ops.flash(delivery_id)
        else:  # parked: drawn when shown (_flush), or by _catch_up
            self.stale[delivery_id] = self.stale.get(delivery_id, False) or live

    def _touched(self, delivery_id: str, key: tuple) -> None:
        """A row moved or (un)matched: the window needs taking again only if it was or may now be in it."""
        if self._window_dirty:
            return
        window = self._window
        if delivery_id in self._shown or len(window) < self.limit or key <= self.order.key(window[-1]):
            self._window_dirty = True

    def _forget(self, delivery_id: str) -> None:
        self._window_dirty = True
        old = self.facts.pop(delivery_id, None)
        self._tally(old, -1)
        self.matched.discard(delivery_id)
        self.late_ids.discard(delivery_id)
        self._queued.discard(delivery_id)
        if delivery_id in self.rows:
            self._drop_row(delivery_id)

    def _drop_row(self, delivery_id: str) -> None:
        row = self.rows.pop(delivery_id)
        self.order.remove(delivery_id)
        self.timed.discard(delivery_id)
        self.stale.pop(delivery_id, None)
        self._window_dirty = True
        self.ops.remove(row.id)

    def _tally(self, item, sign: int) -> None:
        if item is None:
            return
        counts = self.counts
        counts["all"] += sign
        counts[item.status] = counts.get(item.status, 0) + sign
        if item.open:
            counts["open"] += sign

    def _names_changed(self, kind: str, ids) -> None:
        """A staff member's or zone's *name* changed (rare; statuses change often and cost nothing here)."""
        if kind == "staff":
            names, lookup, part = self._staff_names, self.client.staff_member, "staff"
        else:
            names, lookup, part = self._zone_names, self.client.zone, "zone"
        renamed = set()
        for some_id in ids:
            found = lookup(some_id)
            name = None if found is None else found.name
            if names.get(some_id) != name:
                renamed.add(some_id)
                if name is None:
                    names.pop(some_id, None)
                else:
                    names[some_id] = name
        if not renamed:
            return
        if kind == "zones":
            self._fill_zone_filter()
        now = self._clock()
        field = "assignee" if kind == "staff" else "zone"
        for delivery_id, item in self.facts.items():
            if getattr(item, field) in renamed and delivery_id in self.rows:
                row = self.rows[delivery_id]
                row.last.pop(part, None)
                self._draw(row, self.client.delivery(delivery_id), now)

    # --- drawing one row -------------------------------------------------------------------------

    def _draw(self, row: Row, delivery, now) -> bool:
        """Queue what changed; True when a shown value changed (not just pending or a note)."""
        last, ops, rid = row.last, self.ops, row.id
        self.stale.pop(rid, None)
        changed = False
        status = str(delivery.status)
        if last.get("status") != status:
            label = STATUS_LABELS.get(status, status)
            ops.attr(rid, at(C_STATUS), "data-value", status)
            ops.text(rid, at(C_STATUS, FIRST), label)
            ops.attr(rid, ROW, "data-status", status)
            ops.select(rid, at(C_PICK_STATUS, FIRST), status, label)
            changed = "status" in last
            last["status"] = status
        for name, index in (("customer", C_CUSTOMER), ("address", C_ADDRESS)):
            value = getattr(delivery, name)
            if last.get(name) != value:
                ops.attr(rid, at(index), "data-value", value)
                ops.attr(rid, at(index), "title", value)  # the whole text, where the cell cuts it short
                ops.text(rid, at(index), value)
                changed = changed or name in last
                last[name] = value
        zone = (delivery.zoneId, self._zone_names.get(delivery.zoneId))
        if last.get("zone") != zone:
            _name_and_id(ops, rid, C_ZONE, zone[0], zone[1])
            changed = changed or "zone" in last
            last["zone"] = zone
        staff_id = delivery.assignedTo
        staff = (staff_id, self._staff_names.get(staff_id) if staff_id else None)
        if last.get("staff") != staff:
            _name_and_id(ops, rid, C_ASSIGNEE, staff_id, staff[1], none_text="Unassigned")
            ops.select(rid, at(C_PICK_ASSIGNEE, FIRST), staff_id or "", staff_label(self.client, staff_id))
            changed = changed or "staff" in last
            last["staff"] = staff
        priority = str(delivery.priority)
        if last.get("priority") != priority:
            ops.attr(rid, at(C_PRIORITY), "data-value", priority)
            ops.text(rid, at(C_PRIORITY, FIRST), PRIORITY_LABELS.get(priority, priority))
            changed = changed or "priority" in last
            last["priority"] = priority
        open_ = status not in ("delivered", "failed", "cancelled")
        if last.get("eta") != (delivery.eta, open_):
            changed = changed or ("eta" in last and last["eta"][0] != delivery.eta)
            self._draw_eta(row, delivery.eta, open_, now)
            last["eta"] = (delivery.eta, open_)
        self._draw_state(row)
        return changed

    def _draw_eta(self, row: Row, eta, open_: bool, now) -> None:
        moment, offset = now
        text = eta_text(eta, open_=open_, now=moment, offset_minutes=offset)
        ops, rid = self.ops, row.id
        ops.attr(rid, at(C_ETA), "data-value", "" if eta is None else eta)
        ops.text(rid, at(C_ETA, FIRST), text.time or "—")
        ops.attr(rid, at(C_ETA), "title", text.title or None)
        row.eta_ts = None if not text.title else timestamp(eta)
        row.open = open_
        if open_ and row.eta_ts is not None:
            self.timed.add(row.id)
        else:
            self.timed.discard(row.id)
        self._write_relative(row, text.relative, text.late)

    def _write_relative(self, row: Row, relative: str, late: bool) -> None:
        last = row.last
        if last.get("_rel") == relative and row.late == late and "_late" in last:
            return
        ops, rid = self.ops, row.id
        if last.get("_rel") != relative:
            ops.text(rid, at(C_ETA, LAST), relative)
            last["_rel"] = relative
        if row.late != late or "_late" not in last:
            row.late = late
            last["_late"] = late
            ops.class_name(rid, at(C_ETA, LAST), "eta-rel late" if late else "eta-rel")
            ops.attr(rid, ROW, "data-late", "true" if late else None)

    def _draw_state(self, row: Row) -> None:
        status = self.client.row_status(row.id)
        pending = bool(status.pending)
        if row.last.get("_pending", False) != pending:
            self.ops.attr(row.id, ROW, "data-pending", "true" if pending else None)
            row.last["_pending"] = pending
        error = status.error
        if error is not None:
            note = (error.command_id, error.message, error.retryable)
        elif row.local_note:
            note = ("", row.local_note, False)
        else:
            note = None
        if row.last.get("_note") != note:
            previous = row.last.get("_note")
            row.last["_note"] = note
            self._write_note(row, note)
            if note is not None and (previous is None or previous[:2] != note[:2]):
                self._announce(f"{row.id}: {note[1]}")

    def _write_note(self, row: Row, note) -> None:
        """Rare (a refusal or a rollback): written on the row's element directly, after the queued edits."""
        if note is None and not row.has_error:
            return
        node = self.ops.node(row.id)
        if not node:
            return
        if note is None:
            if row.has_error:
                node.querySelector("[data-testid=row-error]").hidden = True
                node.classList.remove("has-error")
            return
        command_id, message, retryable = note
        if not row.has_error:
            node.cells[C_PICK_STATUS].appendChild(el(
                "div", {"class": "row-error", "data-testid": "row-error"},
                el("span", {"class": "row-error-text"}),
                el("button", {"type": "button", "data-action": "retry-command"}, text="Retry"),
                el("button", {"type": "button", "data-action": "dismiss-error",
                              "aria-label": f"Dismiss the message about {row.id}"}, text="Dismiss")))
            row.has_error = True
        box = node.querySelector("[data-testid=row-error]")
        box.hidden = False
        node.classList.add("has-error")
        box.querySelector(".row-error-text").textContent = message
        retry = box.querySelector("[data-action=retry-command]")
        retry.hidden = not retryable
        retry.setAttribute("data-command", command_id)
        box.querySelector("[data-action=dismiss-error]").setAttribute("data-command", command_id)

    def _tick(self) -> None:
        """The clock moved: relative ETAs, late flags and the late count; nothing else."""
        now = self._clock()
        now_ts = now[0].timestamp()
        day = (now_ts + now[1] * 60) // 86400  # the local day: "14:05" may now need a date
        if self._day is not None and day != self._day:
            for delivery_id in self.timed:
                self.rows[delivery_id].last.pop("eta", None)
        self._day = day
        for delivery_id in list(self.timed):
            if delivery_id in self.stale:
                continue  # drawn whole when caught up
            row = self.rows[delivery_id]
            if "eta" not in row.last:
                delivery = self.client.delivery(delivery_id)
                if delivery is not None:
                    self._draw(row, delivery, now)
                continue
            seconds = row.eta_ts - now_ts
            self._write_relative(row, eta_relative(seconds, True), seconds < 0)  # touches the DOM only on change
        late = {i for i, f in self.facts.items() if is_late(f.eta_ts, f.open, now_ts)}
        if late != self.late_ids:
            flipped = late ^ self.late_ids
            self.late_ids = late
            if self.filters.status == "late":
                for delivery_id in flipped:
                    self._rematch(delivery_id, now_ts)
        self._show_counts()
        self._flush()
        self._later("tick", TICK_SECONDS, self._tick)

    def _rematch(self, delivery_id: str, now_ts: float) -> None:
        self._window_dirty = True
        shown = matches(self.facts[delivery_id], self.filters, now_ts)
        if shown:
            self.matched.add(delivery_id)
        else:
            self.matched.discard(delivery_id)

    # --- counts, filters and sort ---------------------------------------------------------------

    def _show_counts(self) -> None:
        counts = dict(self.counts, late=len(self.late_ids))
        total, shown = counts["all"], len(self.matched)
        text = f"{total} deliveries" if shown == total else f"{shown} of {total} shown"
        if self._chips_drawn.get("_count") != text:  # remembered here: reading the page costs a call a frame
            self._chips_drawn["_count"] = text
            self.count_text.textContent = text
            self.count_text.setAttribute("data-shown", str(shown))
            self.count_text.setAttribute("data-total", str(total))
        for key, chip in self.chips.items():
            value = str(counts.get(key, 0))
            if self._chips_drawn.get(key) != value:
                self._chips_drawn[key] = value
                chip.querySelector(".chip-count").textContent = value
                chip.setAttribute("data-count", value)
        empty = bool(total and not shown)
        if self._chips_drawn.get("_empty") != empty:
            self._chips_drawn["_empty"] = empty
            self.empty.hidden = not empty

    def set_filters(self, new: Filters) -> None:
        """Apply a new view: filters and sort pick the window (``_flush``); kept in ``ctx.prefs``."""
        old, self.filters = self.filters, new
        self._words = new.words()
        self._window_dirty = True
        self.ctx.prefs[PREFS_KEY] = new.as_prefs()
        self._sync_controls()
        if (old.sort, old.descending) != (new.sort, new.descending):
            self._reorder()
        if (old.status, old.zone, old.assignee, old.priority, old.words()) != (
                new.status, new.zone, new.assignee, new.priority, new.words()):
            self.limit = self.page
            self._apply_filters()
            self._announce(f"{len(self.matched)} of {self.counts['all']} deliveries shown")
        self._show_counts()
        self._flush()

    def _apply_filters(self) -> None:
        now_ts = time.time()
        filters, words = self.filters, self.filters.words()
        self.matched = {i for i, item in self.facts.items() if matches(item, filters, now_ts, words)}
        matched = self.matched
        if self._queue:  # build what is now shown first
            self._queue.sort(key=lambda i: i not in matched)

    def _reorder(self) -> None:
        """A new sort (or a reset): the order the window is taken from (``_flush``)."""
        self.order.reset((i, sort_key(self.facts[i], self.filters)) for i in self.rows)

    def _flush(self) -> None:
        """Send the queued row edits, with the window: the first ``limit`` matching rows in order.

        Only these are laid out and drawn at once; the rest stay parked. The
        window is taken from the sorted ids again whenever a change may have
        moved it (``_window_dirty``: a few hundred steps unless a filter
        matches few), so no change to the order or the filters leaves it stale.
        A parked row that comes into the window is drawn first.
        """
        matched = self.matched
        if self._window_dirty:
            self._window_dirty = False
            window = self.order.first(self.limit, matched.__contains__)
            if window != self._window:
                if self.stale:
                    now = self._clock()
                    for delivery_id in window:
                        if delivery_id in self.stale:
                            self._catch(delivery_id, now)
                self._window = window
                self._shown = set(window)
                self.ops.window(window)
        window = self._window
        more = len(window) < len(matched)
        text = f"Showing the first {len(window)} of {len(matched)}." if more else ""
        if text != self._more_drawn:
            self._more_drawn = text
            self.more_text.textContent = text
            self.more.hidden = not more
        self.ops.flush()
        caught_up = not self.stale
        if caught_up != self._caught_up_drawn:  # tools and the benchmark wait on it
            self._caught_up_drawn = caught_up
            self.parked.setAttribute("data-caught-up", "true" if caught_up else "false")
        if not caught_up and "catch_up" not in self._handles:
            self._later("catch_up", CATCH_UP_SECONDS, self._catch_up)

    def _catch(self, delivery_id: str, now) -> None:
        """Draw a parked row that waited; it flashes (if shown) when a live change was among what waited."""
        live = self.stale.get(delivery_id, False)
        row, delivery = self.rows.get(delivery_id), self.client.delivery(delivery_id)
        if row is None or delivery is None:
            self.stale.pop(delivery_id, None)
            return
        if self._draw(row, delivery, now) and live:
            self.ops.flash(delivery_id)

    def _catch_up(self) -> None:
        """Bring parked rows up to date, oldest first: a few at a time while live changes keep
        coming (drawing each of 10,000 parked rows on every change was a third of the Python
        time at 1,000 events/s), then all of them soon after the changes pause."""
        idle = time.monotonic() - self._last_live >= CATCH_UP_SECONDS
        now = self._clock()
        for delivery_id in list(islice(self.stale, CATCH_UP_IDLE if idle else CATCH_UP_BUSY)):
            self._catch(delivery_id, now)
        self._flush()  # schedules the next turn, CATCH_UP_SECONDS on, while rows wait
        if self.stale and idle:
            self._later("catch_up", 0, self._catch_up)  # replaces it: no live change to leave room for

    def _sync_controls(self) -> None:
        f = self.filters
        if str(self.search.value) != f.query:
            self.search.value = f.query
        for key, value in (("status", f.status), ("priority", f.priority)):
            self.selects[key].value = value
        zone = self.selects["zone"]
        zone.value = f.zone
        if str(zone.value) != f.zone:  # a zone from the prefs that the server no longer lists
            zone.appendChild(el("option", {"value": f.zone}, text=f.zone))
            zone.value = f.zone
        assignee = self.selects["assignee"]
        assignee.value = f.assignee
        if str(assignee.value) != f.assignee:
            _show_current(assignee, f.assignee, self._assignee_choice_label(f.assignee))
        sort_value = ("-" if f.descending else "") + f.sort
        self.selects["sort"].value = sort_value
        for key, th in self.sort_heads.items():
            if key == f.sort:
                th.setAttribute("aria-sort", "descending" if f.descending else "ascending")
                th.querySelector(".sort-mark").textContent = "↓" if f.descending else "↑"
            else:
                th.removeAttribute("aria-sort")
                th.querySelector(".sort-mark").textContent = ""
        for key, chip in self.chips.items():
            chip.setAttribute("aria-pressed", "true" if chip.getAttribute("data-status") == f.status else "false")
        self.clear_button.hidden = not f.active

    def _assignee_choice_label(self, value: str) -> str:
        if not value:
            return "Anyone"
        if value == UNASSIGNED:
            return "Unassigned"
        return staff_label(self.client, value[len("staff:"):])

    def _fill_zone_filter(self) -> None:
        zones = sorted(self.client.zones(), key=lambda z: (z.name.casefold(), z.id))
        options = [("", "All zones")] + [(z.id, f"{z.name} ({z.id})") for z in zones]
        if self.filters.zone and self.filters.zone not in {z.id for z in zones}:
            options.append((self.filters.zone, self.filters.zone))
        _fill(self.selects["zone"], options, self.filters.zone)

    # --- user input -----------------------------------------------------------------------------

    def open_detail(self, delivery_id: str, opener=None) -> None:
        """Open the detail dialog (also ``ctx.notes["open_delivery"]``, for other panels)."""
        self.detail.open(delivery_id, opener)

    def _announce(self, text: str) -> None:
        self.announcer.textContent = text

    def _typed(self, event) -> None:
        self._later("search", SEARCH_DELAY, self._search_now)

    def _search_now(self) -> None:
        query = str(self.search.value)
        if query != self.filters.query:
            self.set_filters(self.filters.with_(query=query))

    def _clicked(self, event) -> None:
        button = event.target.closest("button")
        if not button or not self.root.contains(button):  # JS null arrives as the falsy jsnull, not None
            return
        action = button.getAttribute("data-action")
        f = self.filters
        if action == "show-more":
            self.limit += self.page
            self._window_dirty = True
            self._flush()
        elif action == "open-details":
            row_node = button.closest("[data-testid=delivery-row]")
            if row_node:
                self.open_detail(str(row_node.getAttribute("data-id")), button)
        elif action == "status-chip":
            value = str(button.getAttribute("data-status") or "")
            self.set_filters(f.with_(status="" if value == f.status and value else value))
        elif action == "sort":
            key = str(button.getAttribute("data-sort"))
            self.set_filters(f.with_(sort=key, descending=(not f.descending) if key == f.sort else False))
        elif action == "clear-filters":
            self.set_filters(Filters(sort=f.sort, descending=f.descending))
            self.search.focus()
        elif action in ("dismiss-error", "retry-command"):
            row_node = button.closest("[data-testid=delivery-row]")
            if not row_node:
                return
            row = self.rows.get(str(row_node.getAttribute("data-id")))
            if row is None:
                return
            command_id = str(button.getAttribute("data-command") or "")
            row.local_note = ""
            result = None
            if command_id and action == "dismiss-error":
                self.ctx.run(lambda client: client.dismiss(command_id))
            elif command_id:
                result = self.ctx.run(lambda client: client.retry(command_id))
            self._after_command(row, result)
            self._flush()
            if action == "dismiss-error":
                node = self.ops.node(row.id)
                if node:
                    node.cells[C_PICK_STATUS].firstChild.focus()

    def _changed(self, event) -> None:
        target = event.target
        if target.isSameNode(self.search):
            self._search_now()
            return
        if target.tagName != "SELECT":
            return
        key = target.getAttribute("data-filter")
        if key:
            value = str(target.value)
            if key == "sort":
                self.set_filters(self.filters.with_(sort=value.lstrip("-"), descending=value.startswith("-")))
            else:
                self.set_filters(self.filters.with_(**{key: value}))
            return
        action = target.getAttribute("data-action")
        row_node = target.closest("[data-testid=delivery-row]")
        if action not in ("set-status", "assign") or not row_node:
            return
        delivery_id = str(row_node.getAttribute("data-id"))
        value = str(target.value)
        if action == "set-status":
            result = self.ctx.run(lambda client: client.set_status(delivery_id, value))
        else:
            result = self.ctx.run(lambda client: client.assign(delivery_id, value or None))
        row = self.rows.get(delivery_id)
        if row is not None:
            row.local_note = ""
            self._after_command(row, result)

    def _after_command(self, row: Row, result) -> None:
        """Draw the optimistic state at once (not a frame later), or the reason nothing was done."""
        message = getattr(result, "message", "") if result is not None else ""
        row.local_note = message
        delivery = self.client.delivery(row.id)
        if delivery is None:
            return
        # Re-read the effective state: the change shows now, not on the next frame.
        self._upsert(row.id, self._clock(), live=False)
        self._draw_state(row)
        if message:
            # The select shows what the user picked: put it back to the real value.
            row.last.pop("status", None)
            row.last.pop("staff", None)
            self._draw(row, delivery, self._clock())
        self._flush()

    def _fill_select(self, event) -> None:
        target = event.target
        if target.tagName != "SELECT" or target.getAttribute("data-filled") == "true":
            return
        action = target.getAttribute("data-action") or ""
        current = str(target.value)
        if action == "set-status":
            options = list(STATUS_LABELS.items())
        elif action == "assign":
            options = [("", "Unassigned")] + [
                (member.id, f"{member.name} ({member.id}, {str(member.status).replace('_', ' ')})")
                for member in sorted(self.client.staff(), key=lambda m: (m.name.casefold(), m.id))
            ]
        elif target.getAttribute("data-filter") == "assignee":
            options = [("", "Anyone"), (UNASSIGNED, "Unassigned")] + [
                (staff_choice(member.id), f"{member.name} ({member.id})")
                for member in sorted(self.client.staff(), key=lambda m: (m.name.casefold(), m.id))
            ]
            if current and current not in {value for value, _ in options}:
                options.append((current, self._assignee_choice_label(current)))
        else:
            return
        _fill(target, options, current)
        target.setAttribute("data-filled", "true")


# --- helpers --------------------------------------------------------------------------------


def _select(key: str, options) -> object:
    select = el("select", {"data-filter": key, "data-testid": f"filter-{key}" if key != "sort" else "sort-by"})
    for value, label in options:
        select.appendChild(el("option", {"value": value}, text=label))
    return select


def _name_and_id(ops: RowOps, row_id: str, index: int, raw, name, none_text: str = "") -> None:
    """A cell showing ``Name (ID)``: the name, the id beside it in a quieter style; ``none_text`` for null."""
    ops.attr(row_id, at(index), "data-value", "" if raw is None else raw)
    if raw is None:
        main, sub = none_text, ""
    elif name is None:
        main, sub = raw, ""
    else:
        main, sub = name, f" ({raw})"
    ops.text(row_id, at(index, FIRST), main)
    ops.text(row_id, at(index, LAST), sub)
    ops.class_name(row_id, at(index), "none" if raw is None else "")
    ops.attr(row_id, at(index), "title", main + sub)


def _show_current(select, value: str, label: str) -> None:
    """Show ``value`` in a filter's select: pick it among filled options, else hold just that one option.

    (A row's select does the same in ``static/js/rows.mjs``.)"""
    if select.getAttribute("data-filled") == "true":
        select.value = value
        if str(select.value) == value:
            return
        while select.firstChild:
            select.removeChild(select.firstChild)
        select.appendChild(el("option"))
        select.removeAttribute("data-filled")
    option = select.firstChild
    option.value = value
    option.textContent = label
    select.value = value


def _fill(select, options, current: str) -> None:
    fragment = document.createDocumentFragment()
    for value, label in options:
        fragment.appendChild(el("option", {"value": value, "selected": value == current}, text=label))
    while select.firstChild:
        select.removeChild(select.firstChild)
    select.appendChild(fragment)
    select.value = current


__all__ = ["DeliveriesPanel", "Row", "row_prototype", "PREFS_KEY"]
