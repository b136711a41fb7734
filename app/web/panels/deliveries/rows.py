"""Drawing delivery rows: what each row shows, written through ``RowOps``, only where it changed.

Python keeps no proxy per row: edits are queued on the panel's ``RowOps``
and applied in one call per flush (``static/js/rows.mjs``). Pyodide gets
slower at making proxies the more are alive, and one call per cell was far
slower to build (bench/README.md, "Figures behind the code"). ``DrawnRow`` is what
was last written in one row, so a redraw writes only what differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from app.eta import countdown, eta_text, timestamp
from app.models import is_open
from app.web.dom import el
from app.web.row_ops import FIRST, LAST, ROW, RowOps, at, inside
from app.web.runtime import document
from app.wording import PRIORITY_LABELS, STATUS_LABELS, name_and_id

#: The cells of a row, by index in ``tr.cells``.
C_ID, C_STATUS, C_PICK_STATUS, C_CUSTOMER, C_ADDRESS, C_ZONE, C_ASSIGNEE, C_PICK_ASSIGNEE, C_PRIORITY, C_ETA = range(10)
CONTROL_CELLS = (C_ID, C_PICK_STATUS, C_PICK_ASSIGNEE)

#: The refusal box under the status select, and its text, Retry and Dismiss (``RowPainter._write_note``).
BOX = inside(C_PICK_STATUS, LAST)
BOX_TEXT, BOX_RETRY, BOX_DISMISS = (inside(C_PICK_STATUS, LAST, index) for index in range(3))

#: Not drawn yet (None is a value some fields show).
UNDRAWN = object()


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
        cell({"class": "pick pick-status"},  # every status, always (PROTOCOL v2 6): a select that needs no focus
             el("select", {"data-action": "set-status", "data-filled": "true"},
                *(el("option", {"value": value}, text=label) for value, label in STATUS_LABELS.items())),
             el("div", {"class": "row-error", "data-testid": "row-error", "hidden": True},
                el("span", {"class": "row-error-text"}),
                el("button", {"type": "button", "data-action": "retry-command"}, text="Retry"),
                el("button", {"type": "button", "data-action": "dismiss-error"}, text="Dismiss"))),
        cell({"data-field": "customer"}),
        cell({"data-field": "address"}),
        cell({"data-field": "zoneId"}, el("span", {"class": "main"}), el("span", {"class": "sub"})),
        cell({"data-field": "assignedTo"}, el("span", {"class": "main"}), el("span", {"class": "sub"})),
        cell({"class": "pick pick-assignee"},  # an ARIA 1.2 combobox; its listbox is assign.py's, shared
             el("input", {"type": "text", "data-action": "assign", "role": "combobox", "aria-expanded": "false",
                          "aria-autocomplete": "list", "aria-controls": "assign-options", "autocomplete": "off",
                          "spellcheck": "false", "data-value": ""})),
        cell({"data-field": "priority"}, el("span", {"class": "badge"})),
        cell({"data-field": "eta"}, el("span", {"class": "eta-time"}), document.createTextNode(" "),
             el("span", {"class": "eta-rel"})),
    )


@dataclass(slots=True)
class DrawnRow:
    """What was last written in one delivery's row (``UNDRAWN`` until first written)."""

    id: str
    status: object = UNDRAWN
    customer: object = UNDRAWN
    address: object = UNDRAWN
    zone: object = UNDRAWN  # (zone id, its name)
    staff: object = UNDRAWN  # (staff id, their name)
    priority: object = UNDRAWN
    eta: object = UNDRAWN  # (the ETA text, open)
    relative: object = UNDRAWN  # "in 12 min"
    late: object = UNDRAWN
    pending: bool = False
    note: Optional[tuple] = None  # (command id, message, retryable): the row-error box
    eta_ts: Optional[float] = None  # the ETA as a timestamp, for the clock tick
    clocked: int = -1  # the clock tick (``RowPainter.ticks``) its relative ETA was last written at
    local_note: str = ""  # a command refused before it was made (Refused), shown like a rollback


class RowPainter:
    """Writes delivery rows through ``ops``; ``timed`` is the rows whose relative ETA moves with the clock."""

    def __init__(self, ops: RowOps, client, announce: Callable[[str], None]):
        self.ops = ops
        self.client = client
        self.announce = announce
        self.zone_names: dict[str, str] = {}
        self.staff_names: dict[str, str] = {}
        self.timed: set[str] = set()
        self.ticks = 0  # clock ticks so far: a row whose ``clocked`` is behind reads an old "in 12 min"

    def new(self, row: DrawnRow) -> None:
        """Make the row (parked); the caller draws it."""
        ops, rid = self.ops, row.id
        ops.new(rid)
        ops.attr(rid, at(C_PICK_STATUS, FIRST), "aria-label", f"Status of {rid}")
        ops.attr(rid, at(C_PICK_ASSIGNEE, FIRST), "aria-label", f"Assignee of {rid}")

    def remove(self, row_id: str) -> None:
        self.timed.discard(row_id)
        self.ops.remove(row_id)

    def draw(self, row: DrawnRow, delivery, now) -> bool:
        """Queue what changed; True when a shown value changed (not just pending or a note)."""
        ops, rid = self.ops, row.id
        changed = False
        status = str(delivery.status)
        if row.status != status:
            label = STATUS_LABELS.get(status, status)
            ops.attr(rid, at(C_STATUS), "data-value", status)
            ops.text(rid, at(C_STATUS, FIRST), label)
            ops.attr(rid, ROW, "data-status", status)
            ops.select(rid, at(C_PICK_STATUS, FIRST), status, label)
            changed = row.status is not UNDRAWN
            row.status = status
        for name, index in (("customer", C_CUSTOMER), ("address", C_ADDRESS)):
            value = getattr(delivery, name)
            drawn = getattr(row, name)
            if drawn != value:
                ops.attr(rid, at(index), "data-value", value)
                ops.attr(rid, at(index), "title", value)  # the whole text, where the cell cuts it short
                ops.text(rid, at(index), value)
                changed = changed or drawn is not UNDRAWN
                setattr(row, name, value)
        zone = (delivery.zoneId, self.zone_names.get(delivery.zoneId))
        if row.zone != zone:
            self._name_and_id(rid, C_ZONE, *zone)
            changed = changed or row.zone is not UNDRAWN
            row.zone = zone
        staff_id = delivery.assignedTo
        staff = (staff_id, self.staff_names.get(staff_id) if staff_id else None)
        if row.staff != staff:
            self._name_and_id(rid, C_ASSIGNEE, *staff, none_text="Unassigned")
            ops.attr(rid, at(C_PICK_ASSIGNEE, FIRST), "data-value", staff_id or "")
            changed = changed or row.staff is not UNDRAWN
            row.staff = staff
        priority = str(delivery.priority)
        if row.priority != priority:
            ops.attr(rid, at(C_PRIORITY), "data-value", priority)
            ops.text(rid, at(C_PRIORITY, FIRST), PRIORITY_LABELS.get(priority, priority))
            changed = changed or row.priority is not UNDRAWN
            row.priority = priority
        open_ = is_open(status)
        if row.eta != (delivery.eta, open_):
            changed = changed or (row.eta is not UNDRAWN and row.eta[0] != delivery.eta)
            self._draw_eta(row, delivery.eta, open_, now)
            row.eta = (delivery.eta, open_)
        self.draw_state(row)
        return changed

    def forget_names(self, row: DrawnRow, zone: bool = True, staff: bool = True) -> None:
        """A name may have changed: the next draw writes these cells again."""
        if zone:
            row.zone = UNDRAWN
        if staff:
            row.staff = UNDRAWN

    def forget_eta(self, row: DrawnRow) -> None:
        """A new local day: "14:05" may now need a date, so the next draw writes the ETA again."""
        row.eta = UNDRAWN

    def forget_values(self, row: DrawnRow) -> None:
        """The page may show something else (a select the user changed): the next draw writes them again."""
        row.status = UNDRAWN
        row.staff = UNDRAWN

    def _draw_eta(self, row: DrawnRow, eta, open_: bool, now) -> None:
        moment, offset = now
        text = eta_text(eta, open_=open_, now=moment, offset_minutes=offset)
        ops, rid = self.ops, row.id
        ops.attr(rid, at(C_ETA), "data-value", "" if eta is None else eta)
        ops.text(rid, at(C_ETA, FIRST), text.time or "—")
        ops.attr(rid, at(C_ETA), "title", text.title or None)
        row.eta_ts = None if not text.title else timestamp(eta)
        if open_ and row.eta_ts is not None:
            self.timed.add(rid)
        else:
            self.timed.discard(rid)
        self.write_relative(row, text.relative, text.late)

    def tick(self, row: DrawnRow, now_ts: float) -> bool:
        """The clock moved: the relative ETA and the late flag. False if the row needs a whole draw."""
        if row.eta is UNDRAWN or row.eta_ts is None:
            return False
        seconds = row.eta_ts - now_ts
        self.write_relative(row, countdown(seconds, True), seconds < 0)  # touches the page only on change
        return True

    def write_relative(self, row: DrawnRow, relative: str, late: bool) -> None:
        ops, rid = self.ops, row.id
        row.clocked = self.ticks
        if row.relative != relative:
            ops.text(rid, at(C_ETA, LAST), relative)
            row.relative = relative
        if row.late != late:
            row.late = late
            ops.class_name(rid, at(C_ETA, LAST), "eta-rel late" if late else "eta-rel")
            ops.attr(rid, ROW, "data-late", "true" if late else None)

    def draw_state(self, row: DrawnRow) -> None:
        status = self.client.row_status(row.id)
        pending = bool(status.pending)
        if row.pending != pending:
            self.ops.attr(row.id, ROW, "data-pending", "true" if pending else None)
            row.pending = pending
        error = status.error
        if error is not None:
            note = (error.command_id, error.message, error.retryable)
        elif row.local_note:
            note = ("", row.local_note, False)
        else:
            note = None
        if row.note != note:
            previous, row.note = row.note, note
            self._write_note(row, note)
            if note is not None and (previous is None or previous[:2] != note[:2]):
                self.announce(f"{row.id}: {note[1]}")

    def _write_note(self, row: DrawnRow, note) -> None:
        """A refusal or a rollback (rare): the box under the status select, through ``RowOps`` like the rest."""
        ops, rid = self.ops, row.id
        if note is None:
            ops.attr(rid, BOX, "hidden", "")
            ops.attr(rid, ROW, "data-error", None)
            return
        command_id, message, retryable = note
        ops.text(rid, BOX_TEXT, message)
        ops.attr(rid, BOX_RETRY, "hidden", None if retryable else "")
        ops.attr(rid, BOX_RETRY, "data-command", command_id)
        ops.attr(rid, BOX_DISMISS, "data-command", command_id)
        ops.attr(rid, BOX_DISMISS, "aria-label", f"Dismiss the message about {rid}")
        ops.attr(rid, BOX, "hidden", None)
        ops.attr(rid, ROW, "data-error", "true")

    def _name_and_id(self, row_id: str, index: int, raw, name, none_text: str = "") -> None:
        """A cell showing ``Name (ID)``: the name, the id beside it in a quieter style; ``none_text`` for null."""
        ops = self.ops
        ops.attr(row_id, at(index), "data-value", "" if raw is None else raw)
        main, sub = (name or raw or none_text), (f" ({raw})" if raw and name else "")  # two spans, two styles
        ops.text(row_id, at(index, FIRST), main)
        ops.text(row_id, at(index, LAST), sub)
        ops.class_name(row_id, at(index), "none" if raw is None else "")
        ops.attr(row_id, at(index), "title", name_and_id(raw, name) or none_text)
