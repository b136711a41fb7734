"""The staff panel: ``[data-testid=staff-list]`` with one ``[data-testid=staff-row]`` per person.

A row shows name, status (a coloured pill *and* its words), role, zone (its
name beside its id), the delivery the person is on now and when they were
last seen. The name opens the person's detail view (``StaffDetail``, also
``ctx.notes["open_staff"]`` for the map's dots). Above the list: the counts
per status, which are also the status filter (toggle buttons), and a zone
filter; both are kept in ``ctx.prefs`` so they survive a re-login.

The first snapshot draws the first ``FIRST_ROWS`` people in name order at
once and the rest in chunks of ``CHUNK_ROWS`` right after, so a roster of
hundreds does not hold back the dashboard's first paint (500 rows took
~0.45 s of the start).

Updates touch only what changed: ``changes.staff`` redraws those rows;
``changes.carriers`` names the people whose current delivery may have moved
(the client keeps one ``OpenWork`` index, ``app.roster``, read here through
``client.work``), so an event never scans every delivery; ``changes.zones``
redraws the rows in those zones (a renamed zone). Rows are sorted by name,
so a status change never moves a row, and every row has one fixed height.

Hooks (PROTOCOL.md 6): row ``data-status``; ``[data-field]`` name, status,
role, zoneId, plus currentDelivery and lastSeenAt, each with ``data-value``.
Filters: ``[data-testid=staff-status-filter] button[data-status]`` (with
``data-count`` and ``aria-pressed``) and ``select[data-testid=staff-zone-filter]``.
"""

from __future__ import annotations

from app.models import StaffStatus
from app.roster import ANY, NO_ZONE, by_name, staff_visible, status_counts, to_append
from app.selection import STAFF as SELECTED_STAFF
from app.selection import Selection
from app.store import Changes
from app.timefmt import clock, relative
from app.web.chunks import Chunked
from app.web.dom import clear, el, set_field
from app.web.localtime import Every, now, offset_minutes
from app.web.panels.base import Panel
from app.web.panels.staff_detail import StaffDetail
from app.web.runtime import js_object
from app.wording import current_work, name_and_id, words

FIELDS = ("name", "status", "role", "zoneId", "currentDelivery", "lastSeenAt")
STATUSES = tuple(status.value for status in StaffStatus)
REFRESH_SECONDS = 30
FIRST_ROWS = 60
CHUNK_ROWS = 100


class StaffRow:
    """One person's row and its cells; ``last`` caches what is on screen so a redraw writes only changes."""

    __slots__ = ("node", "cells", "last")

    def __init__(self, staff_id: str, linked: bool):
        work = ("button", {"type": "button", "class": "staff-work link-chip", "data-field": "currentDelivery",
                           "data-action": "open-delivery"}) if linked else \
            ("span", {"class": "staff-work", "data-field": "currentDelivery"})
        c = self.cells = {
            "name": el("button", {"type": "button", "class": "staff-name", "data-field": "name",
                                  "data-action": "open-staff", "aria-haspopup": "dialog"}),
            "status": el("span", {"class": "pill", "data-field": "status"}),
            "role": el("span", {"class": "staff-role", "data-field": "role"}),
            "zoneId": el("span", {"class": "staff-zone", "data-field": "zoneId"}),
            "currentDelivery": el(*work),
            "lastSeenAt": el("time", {"class": "staff-seen", "data-field": "lastSeenAt"}),
        }
        self.node = el(
            "li", {"data-testid": "staff-row", "data-id": staff_id, "class": "staff-row"},
            el("div", {"class": "staff-who"}, c["name"], c["status"]),
            c["lastSeenAt"],
            el("div", {"class": "staff-meta"}, c["role"], el("span", {"class": "sep", "aria-hidden": "true"}, text="·"),
               c["zoneId"]),
            c["currentDelivery"],
        )
        self.last: dict = {}


class StaffPanel(Panel):
    name = "staff"
    topics = ("staff", "deliveries", "zones")

    def build(self) -> None:
        self.rows: dict[str, StaffRow] = {}
        self.filters = self.ctx.prefs.setdefault("staff", {"status": ANY, "zone": ANY})
        self._offset = offset_minutes()
        self._zone_options: list = []
        self._placed: list[str] | None = None
        self._queue: list[str] = []  # people whose rows are still to be drawn, in name order
        self._chunks = Chunked(self._build_chunk, lambda: bool(self._queue))

        self.shown = el("span", {"class": "head-note", "data-testid": "staff-shown"})
        self.zone_filter = el("select", {"data-testid": "staff-zone-filter", "id": "staff-zone-filter",
                                         "class": "compact"})
        self._open_delivery = self.ctx.notes.get("open_delivery")  # the deliveries panel's detail view
        self.status_buttons: dict[str, object] = {}
        group = el("div", {"class": "chips", "role": "group", "data-testid": "staff-status-filter",
                           "aria-label": "Show only one status (counts per status)"})
        for status in STATUSES:
            button = el("button", {"type": "button", "class": "chip", "data-status": status,
                                   "aria-pressed": "false"})
            self.status_buttons[status] = button
            group.appendChild(button)
        head = el(
            "div", {"class": "panel-head"},
            el("h2", {"id": "staff-title"}, text="Staff"), self.shown,
            el("div", {"class": "head-tools"},
               el("label", {"class": "sr-only", "for": "staff-zone-filter"}, text="Zone"), self.zone_filter),
            group,
        )
        self.list = el("ul", {"data-testid": "staff-list", "class": "staff-list", "aria-labelledby": "staff-title"})
        self.empty = el("p", {"class": "empty", "hidden": True}, text="Nobody matches these filters.")
        self.detail = StaffDetail(self.ctx, self.listen, lambda: (now(), offset_minutes()))
        self.root.appendChild(head)
        self.root.appendChild(el("div", {"class": "panel-body"}, self.list, self.empty))
        self.root.appendChild(self.detail.node)
        self.ctx.notes["open_staff"] = self.open_detail
        self.listen(group, "click", self._status_clicked)
        self.listen(self.list, "click", self._list_clicked)
        self.listen(self.zone_filter, "change", self._zone_changed)
        self.listen(head, "keydown", self._keydown)  # not on root: the section outlives this mount
        self._ticker = Every(REFRESH_SECONDS, self._refresh_times)
        self.selection: Selection = self.ctx.notes.setdefault("selection", Selection())
        self._stop_selection = self.selection.subscribe(self._selection_changed)

    def teardown(self) -> None:
        self._ticker.cancel()
        self._chunks.cancel()
        self._stop_selection()
        self.detail.teardown()
        if self.ctx.notes.get("open_staff") == self.open_detail:
            del self.ctx.notes["open_staff"]

    def open_detail(self, staff_id: str, opener=None) -> None:
        """Open the person's detail view (also ``ctx.notes["open_staff"]``, for the map); it selects them."""
        self.selection.select(SELECTED_STAFF, staff_id)
        self.detail.open(staff_id, opener)

    def _selection_changed(self, old, new) -> None:
        """A selected person's row carries ``data-selected="true"`` and is scrolled into view (a map dot
        was activated, or the row was clicked)."""
        if old is not None and old[0] == SELECTED_STAFF and old[1] in self.rows:
            self.rows[old[1]].node.removeAttribute("data-selected")
        if new is not None and new[0] == SELECTED_STAFF and new[1] in self.rows:
            node = self.rows[new[1]].node
            node.setAttribute("data-selected", "true")
            if hasattr(node, "scrollIntoView"):
                node.scrollIntoView(js_object({"block": "nearest"}))

    # --- rendering ---------------------------------------------------------------------

    def update(self, changes: Changes) -> None:
        if changes.reset:
            self._reset()
            return
        redraw = set(changes.staff | changes.carriers)
        client = self.client
        if changes.zones:
            self._fill_zone_filter()
            redraw |= {sid for sid, row in self.rows.items() if row.last.get("zoneId", (None,))[0] in changes.zones}
        added = False
        for staff_id in redraw:
            member = client.staff_member(staff_id)
            row = self.rows.get(staff_id)
            if member is None:
                if row is not None:
                    row.node.remove()
                    del self.rows[staff_id]
            elif row is None:
                self.rows[staff_id] = self._draw(StaffRow(staff_id, self._linked), member)
                added = True
            else:
                self._draw(row, member)
        if added:
            self._order()
        if changes.staff:
            self._summarise()

    def _reset(self) -> None:
        client = self.client
        members = sorted(client.staff(), key=by_name)
        keep = {member.id for member in members}
        for staff_id in [i for i in self.rows if i not in keep]:
            self.rows.pop(staff_id).node.remove()
        self._queue = []
        for number, member in enumerate(members):
            row = self.rows.get(member.id)
            if row is None and number >= FIRST_ROWS:
                self._queue.append(member.id)
                continue
            if row is None:
                row = self.rows[member.id] = StaffRow(member.id, self._linked)
            self._draw(row, member)
        self._order()
        self._fill_zone_filter()
        self._summarise()
        self._chunks.kick()

    def _build_chunk(self) -> None:
        batch, self._queue = self._queue[:CHUNK_ROWS], self._queue[CHUNK_ROWS:]
        for staff_id in batch:
            member = self.client.staff_member(staff_id)
            if member is not None and staff_id not in self.rows:  # a live change may have drawn it already
                self.rows[staff_id] = self._draw(StaffRow(staff_id, self._linked), member)
        self._order()

    def _order(self) -> None:
        """Put the rows in name order (appending an attached node moves it; unchanged order costs
        nothing, and rows that only add to the end are the only ones appended)."""
        members = sorted((self.client.staff_member(i) for i in self.rows), key=by_name)
        wanted = [member.id for member in members]
        if wanted != self._placed:
            for staff_id in to_append(self._placed or [], wanted):
                self.list.appendChild(self.rows[staff_id].node)
            self._placed = wanted

    def _draw(self, row: StaffRow, member) -> StaffRow:
        client, last = self.client, row.last
        zone = client.zone(member.zoneId) if member.zoneId else None
        carried = client.work.carried_count(member.id)
        current_id = client.work.current(member.id)
        current = client.delivery(current_id) if current_id else None
        values = {
            "name": (member.name, None),
            "status": (str(member.status), words(member.status)),
            "role": (str(member.role), words(member.role)),
            "zoneId": (member.zoneId, name_and_id(member.zoneId, zone.name if zone else None) if member.zoneId else "No zone"),
            "currentDelivery": (current.id if current else None,
                                current_work(current.id if current else None,
                                             str(current.status) if current else None, carried - 1)),
            "lastSeenAt": (member.lastSeenAt, relative(member.lastSeenAt, now())),
        }
        for name, shown in values.items():
            if last.get(name) != shown:
                set_field(row.cells[name], *shown)
                last[name] = shown
                if name == "name":  # a name cut short by the row's width reads whole on hover
                    row.cells["name"].setAttribute("title", f"{member.name}: open their details")
        if last.get("_status") != values["status"][0]:
            row.node.setAttribute("data-status", values["status"][0])
            last["_status"] = values["status"][0]
        if last.get("_seen") != member.lastSeenAt:
            seen = row.cells["lastSeenAt"]
            seen.setAttribute("datetime", member.lastSeenAt)
            seen.setAttribute("title", f"Last seen {clock(member.lastSeenAt, now(), self._offset)}")
            last["_seen"] = member.lastSeenAt
        idle = current is None
        if last.get("_idle") != idle:
            cell = row.cells["currentDelivery"]
            cell.classList.toggle("idle", idle)
            if self._linked:
                cell.disabled = idle
                if idle:
                    cell.removeAttribute("title")
                else:
                    cell.setAttribute("title", "Open this delivery")
            last["_idle"] = idle
        visible = staff_visible(member, self.filters["status"], self.filters["zone"])
        if last.get("_visible") != visible:
            row.node.hidden = not visible
            last["_visible"] = visible
        return row

    def _summarise(self) -> None:
        """Counts per status (within the zone filter), which button is pressed, how many rows show."""
        staff = self.client.staff()
        counts = status_counts(staff, self.filters["zone"])
        for status, button in self.status_buttons.items():
            label = f"{words(status)} {counts.get(status, 0)}"
            if button.textContent != label:
                button.textContent = label
                button.setAttribute("data-count", str(counts.get(status, 0)))
            pressed = "true" if self.filters["status"] == status else "false"
            if button.getAttribute("aria-pressed") != pressed:
                button.setAttribute("aria-pressed", pressed)
        shown = sum(1 for m in staff if staff_visible(m, self.filters["status"], self.filters["zone"]))
        text = f"{shown} of {len(staff)}" if shown != len(staff) else f"{len(staff)}"
        if self.shown.textContent != text:
            self.shown.textContent = text
            self.shown.setAttribute("data-value", str(shown))
        self.empty.hidden = shown > 0 or not staff

    def _fill_zone_filter(self) -> None:
        options = [(ANY, "All zones")] + [(z.id, name_and_id(z.id, z.name)) for z in self.client.zones()]
        if any(m.zoneId is None for m in self.client.staff()):
            options.append((NO_ZONE, "No zone"))
        if options == self._zone_options:
            return
        self._zone_options = options
        current = self.filters["zone"]
        if current not in {value for value, _ in options}:
            current = self.filters["zone"] = ANY
        clear(self.zone_filter)
        for value, label in options:
            self.zone_filter.appendChild(el("option", {"value": value, "selected": value == current}, text=label))
        self.zone_filter.value = current

    def _refresh_times(self) -> None:
        moment = now()
        for staff_id, row in self.rows.items():
            member = self.client.staff_member(staff_id)
            if member is None:
                continue
            shown = (member.lastSeenAt, relative(member.lastSeenAt, moment))
            if row.last.get("lastSeenAt") != shown:
                set_field(row.cells["lastSeenAt"], *shown)
                row.last["lastSeenAt"] = shown
        if self.detail.showing:  # its "(2 min ago)" too, for someone who stands still
            self.detail.redraw(messages=False)

    @property
    def _linked(self) -> bool:
        return callable(self._open_delivery)

    def _list_clicked(self, event) -> None:
        name = event.target.closest("button[data-action=open-staff]")
        if name:
            row = name.closest("[data-testid=staff-row]")
            if row:
                self.open_detail(str(row.getAttribute("data-id")), name)
            return
        button = event.target.closest("button[data-action=open-delivery]")
        if not button:
            row = event.target.closest("[data-testid=staff-row]")
            if row:  # a click on the person selects them (their dot on the map is highlighted)
                self.selection.select(SELECTED_STAFF, str(row.getAttribute("data-id")))
            return
        if self._linked:
            delivery_id = str(button.getAttribute("data-value") or "")
            if delivery_id:
                self._open_delivery(delivery_id, button)

    # --- filters ------------------------------------------------------------------------

    def _status_clicked(self, event) -> None:
        button = event.target.closest("button[data-status]")
        if not button:  # JS null arrives as the falsy jsnull, not None
            return
        status = str(button.getAttribute("data-status"))
        self._set_filter("status", ANY if self.filters["status"] == status else status)

    def _zone_changed(self, event) -> None:
        self._set_filter("zone", str(self.zone_filter.value))

    def _keydown(self, event) -> None:
        """Escape in the filters clears them."""
        if event.key == "Escape":
            if self.filters["status"] != ANY or self.filters["zone"] != ANY:
                self.filters["zone"] = ANY
                self.zone_filter.value = ANY
                self._set_filter("status", ANY)

    def put_away(self) -> None:
        self.detail.close()

    def fresh_view(self) -> None:
        self.filters["zone"] = ANY
        self.zone_filter.value = ANY
        self._set_filter("status", ANY)

    def _set_filter(self, name: str, value: str) -> None:
        self.filters[name] = value
        for staff_id, row in self.rows.items():
            member = self.client.staff_member(staff_id)
            if member is not None:
                visible = staff_visible(member, self.filters["status"], self.filters["zone"])
                if row.last.get("_visible") != visible:
                    row.node.hidden = not visible
                    row.last["_visible"] = visible
        self._summarise()
