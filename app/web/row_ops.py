"""Row edits queued in Python and applied by ``static/js/rows.mjs`` in one call.

A panel with thousands of rows decides in Python what each row shows, but
writing it cell by cell costs one Pyodide call per attribute or text (about
twenty per delivery row: seconds for 10,000 rows, and most of a frame during
a burst of live updates). Here the edits are queued as small tuples and sent
as one JSON string per ``flush``; the page applies them with
``textContent``/``setAttribute`` only.

    ops = RowOps(tbody, parked_tbody, prototype, id_cell=0)
    ops.new("D-1")                         # made parked (outside the document)
    ops.text("D-1", at(3), "Ada")          # cell 3's text
    ops.attr("D-1", ROW, "data-status", "pending")
    ops.window(["D-1", ...])               # exactly these rows shown, in this order
    ops.flush()                            # one call; also done on the next frame if forgotten

Only the window is in the document; the other rows wait, up to date, in a
``<tbody>`` outside it, so that neither layout nor Chrome's autofill (which
re-reads every form control in the page) pays for 10,000 rows (measured:
``static/js/rows.mjs``).

Python keeps no proxy per row: ``node(id)`` fetches one for the rare direct
access (focus, the error box), flushing first so the page is up to date.
"""

from __future__ import annotations

import json

from app.web.runtime import ProxyOwner, js, to_js

ROW = -1
CELL, FIRST, LAST = 0, 1, 2
#: The row operations, by name: their one definition. ``RowOps`` hands this table to
#: ``static/js/rows.mjs`` when it makes a table, so the page reads the codes from here.
OPS = {"new": "n", "window": "w", "remove": "x", "text": "t", "attr": "a", "class": "c", "select": "s",
       "flash": "f"}
_N, _W, _X, _T, _A, _C, _S, _F = OPS.values()


def at(cell: int, part: int = CELL) -> int:
    """A target inside a row: a cell, or its first or last child."""
    return cell * 4 + part


def inside(cell: int, part: int, *children: int) -> list:
    """A target deeper in a row: from ``at(cell, part)``, the element children by index, in turn."""
    return [cell, part, *children]


class RowOps:
    def __init__(self, body, parked, prototype, *, id_cell: int, control_cells=(), flash_cap: int = 60):
        """``control_cells``: cells whose first child is a form control kept out of the page while parked.

        ``id_cell``'s first child shows the row's id (and must be one of them if it is a control).
        """
        self.table = js.dcRows.rowTable(body, parked, prototype, id_cell, to_js(list(control_cells)), flash_cap,
                                        json.dumps(OPS))
        self.ops: list[tuple] = []
        self._owner = ProxyOwner("row-ops")
        self._later = self._owner.proxy(self._frame)
        self._scheduled = False
        self._closed = False

    # --- queueing -------------------------------------------------------------------------

    def _add(self, op: tuple) -> None:
        self.ops.append(op)
        if not self._scheduled:  # a safety net: every entry point flushes, this catches the one that forgot
            self._scheduled = True
            js.dcBridge.nextFrame(self._later)

    def new(self, row_id: str) -> None:
        self._add((_N, row_id))

    def window(self, row_ids: list[str]) -> None:
        self._add((_W, row_ids))

    def remove(self, row_id: str) -> None:
        self._add((_X, row_id))

    def text(self, row_id: str, target, text: str) -> None:
        self._add((_T, row_id, target, text))

    def attr(self, row_id: str, target, name: str, value: str | None) -> None:
        """``setAttribute``; ``None`` removes the attribute."""
        self._add((_A, row_id, target, name, value))

    def class_name(self, row_id: str, target, value: str) -> None:
        self._add((_C, row_id, target, value))

    def select(self, row_id: str, target: int, value: str, label: str) -> None:
        self._add((_S, row_id, target, value, label))

    def flash(self, row_id: str) -> None:
        self._add((_F, row_id))

    # --- applying ------------------------------------------------------------------------------

    def flush(self) -> None:
        if self.ops and not self._closed:
            ops, self.ops = self.ops, []
            self.table.apply(json.dumps(ops, separators=(",", ":")))

    def node(self, row_id: str):
        """The row's element (or a falsy JS null), after every queued edit."""
        self.flush()
        return self.table.node(row_id)

    def _frame(self, *args) -> None:
        self._scheduled = False
        if self._closed:
            self._owner.destroy()  # close() kept the proxy alive for this last call
            return
        self.flush()

    def close(self) -> None:
        """Drop queued edits and the rows' registry; free the proxy (after a pending frame call)."""
        self._closed = True
        self.ops = []
        self.table.clear()
        if not self._scheduled:
            self._owner.destroy()


__all__ = ["RowOps", "OPS", "ROW", "CELL", "FIRST", "LAST", "at", "inside"]
