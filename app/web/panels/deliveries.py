"""The deliveries panel: ``[data-testid=delivery-list]`` with one row per delivery.

Rows are keyed by id and updated in place: a ``Changes`` names the ids to
redraw, and only those rows are touched. A reset (a snapshot) builds rows in
chunks, the first screenful at once and the rest over the next frames, so a
10,000-delivery snapshot never blocks the page.

Actions (PROTOCOL.md 6): each row has ``select[data-action=set-status]`` and
``select[data-action=assign]``. Their options are filled when the select is
first focused or pressed (500 staff x 10,000 rows would be five million
``<option>`` elements); the change goes through the client's optimistic
commands, and a refusal shows its reason in the row.
"""

from __future__ import annotations

from app.models import DeliveryStatus
from app.store import Changes
from app.web.dom import el, set_field
from app.web.panels.base import Panel
from app.web.runtime import js

FIELDS = ("status", "customer", "address", "zoneId", "assignedTo", "priority", "eta")
HEADINGS = ("Status", "Customer", "Address", "Zone", "Assignee", "Priority", "ETA")
FIRST_CHUNK = 120
CHUNK = 600
STATUS_LABELS = {status.value: status.value.replace("_", " ").capitalize() for status in DeliveryStatus}


class Row:
    """One delivery row and its cells, cached so an update costs only the changed cells."""

    __slots__ = ("node", "cells", "status_select", "assign_select", "note", "last")

    def __init__(self, delivery_id: str):
        self.cells = {name: el("td", {"data-field": name}) for name in FIELDS}
        self.status_select = el("select", {"data-action": "set-status", "aria-label": f"Status of {delivery_id}"})
        self.assign_select = el("select", {"data-action": "assign", "aria-label": f"Assignee of {delivery_id}"})
        self.note = el("span", {"class": "row-note", "role": "status"})
        actions = el("td", {"class": "row-actions"}, self.status_select, self.assign_select, self.note)
        self.node = el("tr", {"data-testid": "delivery-row", "data-id": delivery_id},
                       el("th", {"scope": "row", "class": "row-id"}, text=delivery_id),
                       *self.cells.values(), actions)
        self.last: dict = {}


class DeliveriesPanel(Panel):
    name = "deliveries"
    topics = ("deliveries", "staff")

    def build(self) -> None:
        self.rows: dict[str, Row] = {}
        self._build_queue: list[str] = []
        self._chunk_scheduled = False
        head = el("div", {"class": "panel-head"},
                  el("h2", {"id": "deliveries-title"}, text="Deliveries"),
                  el("span", {"class": "counts", "id": "delivery-count"}))
        header_row = el("tr", None, el("th", {"scope": "col"}, text="ID"),
                        *(el("th", {"scope": "col"}, text=h) for h in HEADINGS),
                        el("th", {"scope": "col"}, text="Change"))
        self.tbody = el("tbody", {"data-testid": "delivery-list"})
        table = el("table", {"class": "deliveries", "aria-labelledby": "deliveries-title"},
                   el("thead", None, header_row), self.tbody)
        self.root.appendChild(head)
        self.root.appendChild(el("div", {"class": "panel-body"}, table))
        self._count = self.root.querySelector("#delivery-count")
        self._chunk_callback = self._owner.proxy(self._build_chunk)
        for event in ("focusin", "pointerdown", "keydown"):
            self.listen(self.tbody, event, self._fill_select)
        self.listen(self.tbody, "change", self._changed)

    # --- rendering ----------------------------------------------------------------------

    def update(self, changes: Changes) -> None:
        client = self.client
        if changes.reset:
            self._reset()
        else:
            for delivery_id in changes.deliveries:
                row = self.rows.get(delivery_id)
                delivery = client.delivery(delivery_id)
                if delivery is None:
                    if row is not None:
                        row.node.remove()
                        del self.rows[delivery_id]
                elif row is None:
                    self._add(delivery_id)
                else:
                    self._draw(row, delivery)
            if changes.staff:
                self._redraw_assignees(changes.staff)
        self._count.textContent = f"{len(self.rows)} shown"

    def _reset(self) -> None:
        wanted = [delivery.id for delivery in self.client.deliveries()]
        keep = set(wanted)
        for delivery_id in [i for i in self.rows if i not in keep]:
            self.rows.pop(delivery_id).node.remove()
        for delivery_id in self.rows:
            self._draw(self.rows[delivery_id], self.client.delivery(delivery_id))
        missing = [i for i in wanted if i not in self.rows]
        self._build_queue = missing[FIRST_CHUNK:]
        for delivery_id in missing[:FIRST_CHUNK]:
            self._add(delivery_id)
        self._schedule_chunk()

    def _schedule_chunk(self) -> None:
        if self._build_queue and not self._chunk_scheduled:
            self._chunk_scheduled = True
            js.dcBridge.nextFrame(self._chunk_callback)

    def _build_chunk(self, *args) -> None:
        self._chunk_scheduled = False
        batch, self._build_queue = self._build_queue[:CHUNK], self._build_queue[CHUNK:]
        fragment = js.document.createDocumentFragment()
        for delivery_id in batch:
            if delivery_id not in self.rows and self.client.delivery(delivery_id) is not None:
                self._add(delivery_id, fragment)
        self.tbody.appendChild(fragment)
        self._count.textContent = f"{len(self.rows)} shown"
        self._schedule_chunk()

    def _add(self, delivery_id: str, parent=None) -> None:
        row = Row(delivery_id)
        self.rows[delivery_id] = row
        self._draw(row, self.client.delivery(delivery_id))
        (parent or self.tbody).appendChild(row.node)

    def _draw(self, row: Row, delivery) -> None:
        status = self.client.row_status(delivery.id)
        last = row.last
        values = {
            "status": str(delivery.status),
            "customer": delivery.customer,
            "address": delivery.address,
            "zoneId": delivery.zoneId,
            "assignedTo": delivery.assignedTo,
            "priority": str(delivery.priority),
            "eta": delivery.eta,
        }
        for name, value in values.items():
            if last.get(name, "\0") != value:
                set_field(row.cells[name], value, self._label(name, value))
                last[name] = value
        if last.get("_status") != values["status"]:
            row.node.setAttribute("data-status", values["status"])
            _current_only(row.status_select, values["status"], STATUS_LABELS.get(values["status"], values["status"]))
            last["_status"] = values["status"]
        if last.get("_assignee") != delivery.assignedTo:
            _current_only(row.assign_select, delivery.assignedTo or "", self._staff_label(delivery.assignedTo))
            last["_assignee"] = delivery.assignedTo
        pending = "true" if status.pending else None
        if last.get("_pending") != pending:
            if pending:
                row.node.setAttribute("data-pending", "true")
            else:
                row.node.removeAttribute("data-pending")
            last["_pending"] = pending
        note = status.error.message if status.error is not None else ""
        if last.get("_note") != note:
            row.note.textContent = note
            row.note.className = "row-note error" if note else "row-note"
            last["_note"] = note

    def _label(self, name: str, value) -> str | None:
        if value is None:
            return "—" if name in ("assignedTo", "eta") else ""
        if name == "status":
            return STATUS_LABELS.get(value, value)
        if name == "assignedTo":
            return self._staff_label(value)
        return None

    def _staff_label(self, staff_id: str | None) -> str:
        if not staff_id:
            return "Unassigned"
        member = self.client.staff_member(staff_id)
        return f"{member.name} ({staff_id})" if member is not None else staff_id

    def _redraw_assignees(self, staff_ids) -> None:
        for row in self.rows.values():
            if row.last.get("assignedTo") in staff_ids:
                row.last.pop("assignedTo", None)
                row.last.pop("_assignee", None)
                delivery = self.client.delivery(row.node.getAttribute("data-id"))
                if delivery is not None:
                    self._draw(row, delivery)

    # --- actions --------------------------------------------------------------------------

    def _fill_select(self, event) -> None:
        target = event.target
        action = target.getAttribute("data-action") if target.tagName == "SELECT" else None
        if action is None or target.getAttribute("data-filled") == "true":
            return
        current = str(target.value)
        if action == "set-status":
            options = [(status, label) for status, label in STATUS_LABELS.items()]
        else:
            options = [("", "Unassigned")] + [
                (member.id, f"{member.name} ({member.id}, {str(member.status).replace('_', ' ')})")
                for member in sorted(self.client.staff(), key=lambda m: m.name)
            ]
        _fill(target, options, current)
        target.setAttribute("data-filled", "true")

    def _changed(self, event) -> None:
        target = event.target
        action = target.getAttribute("data-action") if target.tagName == "SELECT" else None
        row_node = target.closest("[data-testid=delivery-row]")
        if action is None or row_node is None:
            return
        delivery_id = str(row_node.getAttribute("data-id"))
        value = str(target.value)
        if action == "set-status":
            result = self.ctx.run(lambda client: client.set_status(delivery_id, value))
        else:
            result = self.ctx.run(lambda client: client.assign(delivery_id, value or None))
        row = self.rows.get(delivery_id)
        if row is not None:
            row.last.clear()  # redraw fully: the optimistic value and the pending mark
            message = getattr(result, "message", "")
            self._draw(row, self.client.delivery(delivery_id))
            if message:
                row.note.textContent = message
                row.note.className = "row-note error"
                row.last["_note"] = message


def _current_only(select, value: str, label: str) -> None:
    """Reset a select to hold just its current value (cheap); the rest is filled on use."""
    while select.firstChild:
        select.removeChild(select.firstChild)
    select.appendChild(el("option", {"value": value, "selected": True}, text=label))
    select.removeAttribute("data-filled")
    select.value = value


def _fill(select, options, current: str) -> None:
    fragment = js.document.createDocumentFragment()
    for value, label in options:
        fragment.appendChild(el("option", {"value": value, "selected": value == current}, text=label))
    while select.firstChild:
        select.removeChild(select.firstChild)
    select.appendChild(fragment)
    select.value = current
