"""The deliveries panel: the table on the page, kept in step with a ``DeliveryTable``, and its inputs.

What is shown, in which order, and how many, is ``app.delivery_table``'s;
drawing a row is ``rows.py``'s; the controls above it are ``toolbar.py``'s.
This module schedules (chunks, the background catch-up, the clock tick)
and turns the page's events into filters and commands (``CLICKS``,
``CHANGES``). See the package docstring for what a row shows and why it is
fast.
"""

from __future__ import annotations

import asyncio
import time

from app.delivery_table import DeliveryTable
from app.filters import UNASSIGNED, Filters
from app.selection import DELIVERY, Selection
from app.store import Changes
from app.web import localtime
from app.web.chunks import Chunked
from app.web.dom import el
from app.web.localtime import Every
from app.web.panels.base import Panel
from app.web.panels.deliveries.rows import (C_ID, C_PICK_STATUS, CONTROL_CELLS, DrawnRow, RowPainter,
                                            row_prototype)
from app.web.panels.deliveries.assign import AssignBox
from app.web.panels.deliveries.toolbar import Toolbar
from app.web.panels.delivery_detail import DeliveryDetail, staff_label
from app.web.row_ops import ROW, RowOps

PREFS_KEY = "deliveries"
#: A background turn (building queued rows, catching up parked ones) stops once it has run this long,
#: so frames go on between turns however slow a row is (fixed counts of 500 rows were long tasks) ...
TURN_SECONDS = 0.008
TURN_STEP = 20  # ... looking at the clock every this many rows (each turn does at least one step)
COUNT_STEP = 500  # a new filter's count matches this many deliveries between looks at the clock
SORT_STEP = 250  # a new sort's build does this many keys, sorted pairs or merged pairs between looks
TICK_SECONDS = 20
FLASH_CAP = 60  # rows highlighted at once; a burst beyond that is not highlighted (static/js/rows.mjs)
SEARCH_DELAY = 0.15
CATCH_UP_SECONDS = 0.25  # parked rows brought up to date this often (``_catch_up``)
CATCH_UP_BUSY = 25  # ... at most this many at a time while live changes keep coming
#: The columns after the id: (field, heading, sort key or None); ``pick-*`` hold a row's select.
COLUMNS = (
    ("status", "Status", "status"), ("pick-status", "Change status", None),
    ("customer", "Customer", None), ("address", "Address", None), ("zoneId", "Zone", None),
    ("assignedTo", "Assignee", None), ("pick-assignee", "Change assignee", None),
    ("priority", "Priority", "priority"), ("eta", "ETA", "eta"),
)
#: ``button[data-action]`` clicked in the panel -> the method that handles it (with the button).
CLICKS = {
    "show-more": "_show_more", "open-details": "_open_details", "status-chip": "_status_chip",
    "sort": "_sort_by", "clear-filters": "_clear_filters", "dismiss-error": "_dismiss_error",
    "retry-command": "_retry_command",
}
#: Keys that move a closed ``<select>`` to another option (``_status_key``).
STEP_KEYS = frozenset({"ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown"})
#: A row's ``select[data-action]`` changed -> the client command it runs (delivery id, the value picked).
#: (The assign combobox picks through ``AssignBox``: ``_assign``.)
CHANGES = {
    "set-status": lambda client, delivery_id, value: client.set_status(delivery_id, value),
}


class DeliveriesPanel(Panel):
    name = "deliveries"
    topics = ("deliveries", "staff", "zones")
    #: Seconds, for a background turn's budget (``_in_turns``); a test sets a fake on the instance.
    _timer = staticmethod(time.perf_counter)

    # --- building -------------------------------------------------------------------------

    def build(self) -> None:
        self.table = DeliveryTable(Filters.from_prefs(self.ctx.prefs.get(PREFS_KEY)), page=self.ctx.page_rows,
                                   clock=lambda: localtime.now().timestamp())
        self.rows: dict[str, DrawnRow] = {}
        self._handles: dict[str, asyncio.Handle] = {}
        self._day = None
        self._last_live = 0.0
        self._drawn_window = None
        self._caught_up_drawn = None
        self._more_drawn = ""
        self._counting_filter = False  # a new filter's count is under way: announced when it ends
        self._turn_deadline = 0.0  # when the last ``_in_turns`` turn's time is spent
        self.toolbar = Toolbar(self.root, self._assignee_choice_label)
        self.search = self.toolbar.search
        self._build_table()
        self.ops = RowOps(self.tbody, self.parked, row_prototype(), id_cell=C_ID,
                          control_cells=CONTROL_CELLS, flash_cap=FLASH_CAP)
        self.painter = RowPainter(self.ops, self.client, self._announce)
        self.detail = DeliveryDetail(self.ctx, self.listen, self._clock)
        self.announcer = el("div", {"class": "sr-only", "aria-live": "polite", "data-testid": "deliveries-announce"})
        self.root.appendChild(self.announcer)
        self.root.appendChild(self.detail.node)
        self.ctx.notes["open_delivery"] = self.open_detail
        self.ctx.notes["delivery_matches"] = self._matches  # the map's pins pass the same filters
        self.selection: Selection = self.ctx.notes.setdefault("selection", Selection())
        self._stop_selection = self.selection.subscribe(self._selection_changed)
        self.assign = AssignBox(self.listen, self.root, self.client, lambda: self.painter.zone_names, self._assign,
                                open_work=lambda: (f.assignee for f in self.table.facts.values() if f.open))
        for event in ("focusin", "pointerdown", "keydown"):
            self.listen(self.root, event, self._fill_select)
        self.listen(self.root, "keydown", self._status_key)
        self.listen(self.root, "change", self._changed)
        self.listen(self.root, "click", self._clicked)
        self.listen(self.search, "input", self._typed)
        self.listen(self.toolbar.form, "submit", lambda event: event.preventDefault())
        self._sync_controls()
        self.chunks = Chunked(self._build_chunk, self.table.has_ahead)
        self.counting = Chunked(self._count_chunk, lambda: self.table.counting or self.table.sorting)
        self._ticker = Every(TICK_SECONDS, self._tick)

    @property
    def filters(self) -> Filters:
        return self.table.filters

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
                       el("button", {"type": "button", "data-action": "show-more"},
                          text=f"Show {self.table.page} more"))
        self.root.appendChild(el("div", {"class": "panel-body deliveries-body"}, table, self.more, self.empty))

    def teardown(self) -> None:
        if "search" in self._handles:  # typed but not applied yet: keep it for the next login
            self.ctx.prefs[PREFS_KEY] = self.filters.with_(query=str(self.search.value)).as_prefs()
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
        self.chunks.cancel()
        self.counting.cancel()
        self._ticker.cancel()
        self.detail.teardown()
        self.ops.close()
        if self.ctx.notes.get("open_delivery") == self.open_detail:
            del self.ctx.notes["open_delivery"]
        if self.ctx.notes.get("delivery_matches") == self._matches:
            del self.ctx.notes["delivery_matches"]
        self._stop_selection()

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
        client, painter = self.client, self.painter
        painter.zone_names = {zone.id: zone.name for zone in client.zones()}
        painter.staff_names = {member.id: member.name for member in client.staff()}
        self._fill_zone_filter()
        for delivery_id in self.table.reset(client.deliveries()).gone:
            self._drop_row(delivery_id)
        for delivery_id, row in self.rows.items():
            painter.forget_names(row)
            if self.table.is_shown(delivery_id):  # the others wait, marked, to be caught up
                self._draw(row, client.delivery(delivery_id), now)
        # The window's rows are built by ``_flush`` (next), the next page's in the background.

    def _in_turns(self, step, limit: int | None = None, size: int = TURN_STEP, seconds: float = TURN_SECONDS) -> int:
        """Call ``step(n)`` (it does up to ``n`` rows, returns how many it did) until it has run
        ``seconds``, done ``limit`` rows, or has nothing left to do; the rows done."""
        deadline = self._turn_deadline = self._timer() + seconds
        done = 0
        while limit is None or done < limit:
            did = step(size if limit is None else min(size, limit - done))
            done += did
            if not did or self._timer() >= deadline:
                break
        return done

    def _build_chunk(self) -> None:
        """Build the rows that can come into the window next (the table's next page) for one
        turn's budget (``_in_turns``); the next turn comes after a frame. Rows beyond that
        are built only when a change of window, filter or sort needs them."""
        now = self._clock()

        def build(n: int) -> int:
            ids = self.table.take_ahead(n)
            self._build(ids, now)
            return len(ids)

        self._in_turns(build)
        self._show_counts()
        self._flush()

    def _build(self, ids, now) -> None:
        """Make rows (parked) and draw them."""
        for delivery_id in ids:
            delivery = self.client.delivery(delivery_id)
            if delivery_id in self.rows or delivery is None:
                continue
            row = self.rows[delivery_id] = DrawnRow(delivery_id)
            self.painter.new(row)
            self._draw(row, delivery, now)
            if self.selection.of(DELIVERY) == delivery_id:  # selected (on the map) before its row was built
                self.ops.attr(delivery_id, ROW, "data-selected", "true")

    def _upsert(self, delivery_id: str, now, live: bool) -> None:
        delivery = self.client.delivery(delivery_id)
        result = self.table.upsert(delivery_id, delivery, live, now[0].timestamp())
        row = self.rows.get(delivery_id)
        if delivery is None:
            if row is not None:
                self._drop_row(delivery_id)
            return
        if row is None:
            if result.new:
                self._build([delivery_id], now)
                if live:
                    self.ops.flash(delivery_id)
            return  # else queued: its chunk builds it from the latest state
        if self.table.is_shown(delivery_id) and self._draw(row, delivery, now) and live:
            self.ops.flash(delivery_id)

    def _drop_row(self, delivery_id: str) -> None:
        """A delivery gone from the board: its row, if one was ever built (most of a big board's never are)."""
        if self.rows.pop(delivery_id, None) is not None:
            self.painter.remove(delivery_id)

    def _draw(self, row: DrawnRow, delivery, now) -> bool:
        """Draw a row up to date (it no longer waits); True if a shown value changed."""
        self.table.drawn(row.id)
        return self.painter.draw(row, delivery, now)

    def _names_changed(self, kind: str, ids) -> None:
        """A staff member's or zone's *name* changed (rare; statuses change often and cost nothing here)."""
        if kind == "staff":
            names, lookup = self.painter.staff_names, self.client.staff_member
        else:
            names, lookup = self.painter.zone_names, self.client.zone
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
        for delivery_id, item in self.table.facts.items():
            row = self.rows.get(delivery_id)
            if row is not None and getattr(item, field) in renamed:
                self.painter.forget_names(row, zone=kind == "zones", staff=kind == "staff")
                self._draw(row, self.client.delivery(delivery_id), now)

    def _tick(self) -> None:
        """The clock moved: the shown rows' relative ETAs and late flags, and the late count.

        Parked rows are brought up to the clock when they are shown again
        (``_flush``), so a tick costs the window, not every delivery.
        """
        now = self._clock()
        day = (now[0].timestamp() + now[1] * 60) // 86400  # the local day: "14:05" may now need a date
        if self._day is not None and day != self._day:
            for delivery_id in self.painter.timed:
                self.painter.forget_eta(self.rows[delivery_id])
            self.table.mark_waiting(self.painter.timed)
        self._day = day
        self.painter.ticks += 1
        self.table.tick()
        self._clock_rows(self._drawn_window or (), now)
        self._show_counts()
        self._flush()

    def _clock_rows(self, ids, now) -> None:
        """Relative ETAs and late flags of these rows (shown ones) by the clock ``now``."""
        now_ts = now[0].timestamp()
        timed, rows, ticks = self.painter.timed, self.rows, self.painter.ticks
        for delivery_id in ids:
            if delivery_id in timed and rows[delivery_id].clocked != ticks and not self.painter.tick(
                    rows[delivery_id], now_ts):
                delivery = self.client.delivery(delivery_id)
                if delivery is not None:
                    self._draw(rows[delivery_id], delivery, now)

    # --- the window and the background ------------------------------------------------------------

    def _flush(self) -> None:
        """Send the queued row edits, with the window: the first ``limit`` matching rows in order.

        Only these are laid out and drawn at once; the rest stay parked. A
        queued row the window needs is built now, and a parked row that
        comes into the window is drawn first.
        """
        table = self.table
        window = table.window()
        if window is not self._drawn_window:
            now = self._clock()
            self._build(table.unbuilt(window), now)
            waiting = table.waiting
            for delivery_id in window:
                if delivery_id in waiting:
                    self._catch(delivery_id, table.drawn(delivery_id), now)
            before = set(self._drawn_window or ())  # a row parked since the last tick may read "in 12 min" still:
            self._clock_rows([i for i in window if i not in before], now)
            self._drawn_window = window
            self.ops.window(window)
        matched = table.counts()["shown"]
        if matched is None:  # a new filter's count goes on: more if the next page has any
            more = bool(table.next_page())
            text = f"Showing the first {len(window)} (counting the rest)." if more else ""
        else:
            more = len(window) < matched
            text = f"Showing the first {len(window)} of {matched}." if more else ""
        if text != self._more_drawn:
            self._more_drawn = text
            self.more_text.textContent = text
            self.more.hidden = not more
        self.ops.flush()
        caught_up = not table.waiting
        if caught_up != self._caught_up_drawn:  # tools and the benchmark wait on it
            self._caught_up_drawn = caught_up
            self.parked.setAttribute("data-caught-up", "true" if caught_up else "false")
        if not caught_up and "catch_up" not in self._handles:
            self._later("catch_up", CATCH_UP_SECONDS, self._catch_up)
        self.chunks.kick()  # the next page past the window (it may have moved), built in the background

    def _catch(self, delivery_id: str, live: bool, now) -> None:
        """Draw a parked row that waited; it flashes (if shown) when a live change was among what waited."""
        row, delivery = self.rows.get(delivery_id), self.client.delivery(delivery_id)
        if row is not None and delivery is not None and self.painter.draw(row, delivery, now) and live:
            self.ops.flash(delivery_id)

    def _catch_up(self) -> None:
        """Bring parked rows up to date, oldest first: a few at a time while live changes keep
        coming (drawing each parked row on every change was a third of the Python time at
        1,000 events/s), then turn after turn soon after the changes pause; every turn
        within ``TURN_SECONDS`` (``_in_turns``), so frames go on between them."""
        idle = time.monotonic() - self._last_live >= CATCH_UP_SECONDS
        now = self._clock()

        def catch(n: int) -> int:
            taken = self.table.take_waiting(n)
            for delivery_id, live in taken:
                self._catch(delivery_id, live, now)
            return len(taken)

        self._in_turns(catch, None if idle else CATCH_UP_BUSY)
        self._flush()  # schedules the next turn, CATCH_UP_SECONDS on, while rows wait
        if self.table.waiting and idle:
            self._later("catch_up", 0, self._catch_up)  # replaces it: no live change to leave room for

    # --- counts, filters and sort ---------------------------------------------------------------

    def put_away(self) -> None:
        self.detail.close()

    def fresh_view(self) -> None:
        old = self._handles.pop("search", None)  # typed by the first user, not applied yet
        if old is not None:
            old.cancel()
        self.set_filters(Filters())
        self.selection.clear()  # the one selection, shared with the staff list and the map

    def _show_counts(self) -> None:
        self.toolbar.show_counts(self.table.counts(), self.empty)

    def set_filters(self, new: Filters) -> None:
        """Apply a new view: filters and sort pick the window (``_flush``); kept in ``ctx.prefs``.

        A new filter's window is shown at once (the table walks its order only
        until the window is full); the count of every match goes on in turns
        (``_count_chunk``), and what waits for it (the announcement, the map's
        pins) is done when it ends."""
        started = self._timer()
        changed = self.table.set_filters(new)
        self.ctx.prefs[PREFS_KEY] = new.as_prefs()
        self._sync_controls()
        if changed.matched or changed.sorted:
            self._counting_filter = self._counting_filter or changed.matched
            self.counting.cancel()
            # A small board's count and sort end in this turn; a big one's go on in the turn's time left.
            self._count_chunk(max(0.0, TURN_SECONDS - (self._timer() - started)))
        else:
            self._show_counts()
            self._flush()

    def _count_chunk(self, seconds: float = TURN_SECONDS) -> None:
        """One turn (``TURN_SECONDS``) of a new filter's count, then of a new sort's build. When the
        count ends, it is shown, announced, and the map's pins follow the filter; when the sort is
        built, the window takes the new order. Else the next turn comes after a frame.
        (``seconds``: the turn's time left; each part does at least one step.)"""
        table = self.table
        spent = self._in_turns(table.count_some, size=COUNT_STEP, seconds=seconds)
        if not table.counting and table.sorting and (not spent or self._timer() < self._turn_deadline):
            self._in_turns(table.sort_some, size=SORT_STEP, seconds=max(0.0, self._turn_deadline - self._timer()))
        self.tbody.setAttribute("aria-busy", "true" if table.sorting else "false")
        if table.counting or table.sorting:
            self.counting.kick()
        if table.counting or not self._counting_filter:
            self._show_counts()
            self._flush()  # the window grows with what is counted (taken again only if it may have changed)
            return
        self._counting_filter = False
        counts = table.counts()
        self._announce(f"{counts['shown']} of {counts['all']} deliveries shown")
        refilter = self.ctx.notes.get("pins_refilter")
        if callable(refilter):
            refilter()
        self._show_counts()
        self._flush()

    def _sync_controls(self) -> None:
        self.toolbar.sync(self.filters, self.sort_heads)

    def _assignee_choice_label(self, value: str) -> str:
        if not value:
            return "Anyone"
        if value == UNASSIGNED:
            return "Unassigned"
        return staff_label(self.client, value[len("staff:"):])

    def _fill_zone_filter(self) -> None:
        self.toolbar.fill_zones(self.client.zones(), self.filters.zone)

    # --- user input -----------------------------------------------------------------------------

    def open_detail(self, delivery_id: str, opener=None) -> None:
        """Open the detail dialog (also ``ctx.notes["open_delivery"]``, for other panels); it selects the row."""
        self.selection.select(DELIVERY, delivery_id)
        self.detail.open(delivery_id, opener)

    def _matches(self, delivery_id: str) -> bool:
        return self.table.is_match(delivery_id)

    def _selection_changed(self, old, new) -> None:
        """The selected row carries ``data-selected="true"`` (the map highlights its pin and driver)."""
        for chosen, value in ((old, None), (new, "true")):
            if chosen is not None and chosen[0] == DELIVERY and chosen[1] in self.rows:
                self.ops.attr(chosen[1], ROW, "data-selected", value)
        self._flush()

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
            row_node = event.target.closest("[data-testid=delivery-row]")
            if row_node and not event.target.closest("select, input"):  # a click on the row selects it
                self.selection.select(DELIVERY, str(row_node.getAttribute("data-id")))
            return
        handler = CLICKS.get(str(button.getAttribute("data-action") or ""))
        if handler is not None:
            getattr(self, handler)(button)

    def _show_more(self, button) -> None:
        self.table.show_more()
        self._flush()

    def _open_details(self, button) -> None:
        row_node = button.closest("[data-testid=delivery-row]")
        if row_node:
            self.open_detail(str(row_node.getAttribute("data-id")), button)

    def _status_chip(self, button) -> None:
        f, value = self.filters, str(button.getAttribute("data-status") or "")
        self.set_filters(f.with_(status="" if value == f.status and value else value))

    def _sort_by(self, button) -> None:
        f, key = self.filters, str(button.getAttribute("data-sort"))
        self.set_filters(f.with_(sort=key, descending=(not f.descending) if key == f.sort else False))

    def _clear_filters(self, button) -> None:
        self.set_filters(Filters(sort=self.filters.sort, descending=self.filters.descending))
        self.search.focus()

    def _dismiss_error(self, button) -> None:
        row = self._row_of(button)
        if row is not None:
            command_id = str(button.getAttribute("data-command") or "")
            if command_id:
                self.ctx.run(lambda client: client.dismiss(command_id))
            self._after_command(row, None)
            node = self.ops.node(row.id)
            if node:
                node.cells[C_PICK_STATUS].firstChild.focus()

    def _retry_command(self, button) -> None:
        row = self._row_of(button)
        if row is not None:
            command_id = str(button.getAttribute("data-command") or "")
            result = self.ctx.run(lambda client: client.retry(command_id)) if command_id else None
            self._after_command(row, result)

    def _row_of(self, node):
        row_node = node.closest("[data-testid=delivery-row]")
        return self.rows.get(str(row_node.getAttribute("data-id"))) if row_node else None

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
        command = CHANGES.get(str(target.getAttribute("data-action") or ""))
        row_node = target.closest("[data-testid=delivery-row]")
        if command is None or not row_node:
            return
        delivery_id, value = str(row_node.getAttribute("data-id")), str(target.value)
        result = self.ctx.run(lambda client: command(client, delivery_id, value))
        row = self.rows.get(delivery_id)
        if row is not None:
            self._after_command(row, result)

    def _assign(self, delivery_id: str, staff_id) -> None:
        """The assign combobox picked someone (or nobody)."""
        result = self.ctx.run(lambda client: client.assign(delivery_id, staff_id))
        row = self.rows.get(delivery_id)
        if row is not None:
            self._after_command(row, result)

    def _after_command(self, row: DrawnRow, result) -> None:
        """Draw the optimistic state at once (not a frame later), or the reason nothing was done."""
        row.local_note = getattr(result, "message", "") if result is not None else ""
        delivery = self.client.delivery(row.id)
        if delivery is not None:
            now = self._clock()
            self._upsert(row.id, now, live=False)  # the change shows now, not on the next frame
            self.painter.draw_state(row)
            if row.local_note:  # the select shows what the user picked: put it back to the real value
                self.painter.forget_values(row)
                self._draw(row, delivery, now)
        self._flush()

    def _status_key(self, event) -> None:
        """A row's status list opens on the keys that would change it while closed.

        In Chromium on Linux and Windows an arrow key (or Home, End, a letter) on a closed
        ``<select>`` changes its value at once: one ``change``, so one command sent to the
        server, per key press. A keyboard user going through the statuses sent three. Now
        those keys open the list, where the arrows move and Enter (or a click) picks one.
        """
        target = event.target
        if target.tagName != "SELECT" or target.getAttribute("data-action") != "set-status":
            return
        if event.ctrlKey or event.metaKey or event.altKey:
            return
        key = str(event.key)
        if key in STEP_KEYS or (len(key) == 1 and key != " "):
            event.preventDefault()
            try:
                target.showPicker()
            except Exception:  # no picker to show (a browser without showPicker): the key just does nothing
                pass

    def _fill_select(self, event) -> None:
        """The assignee filter gets its every choice when the user first reaches it.

        (A row's status select holds every status from the start, and its assign
        control is a combobox with one shared list: ``assign.py``.)"""
        target = event.target
        if target.tagName == "SELECT" and target.getAttribute("data-filter") == "assignee":
            self.toolbar.fill_assignees(self.client.staff())
