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

0. What matches, the counts, the order and the window are a pure
   ``DeliveryTable`` (``app/delivery_table.py``), tested under CPython.
1. Python decides what each row shows (``rows.py``); the page is written through
   ``RowOps`` (``app/web/row_ops.py``, ``static/js/rows.mjs``): edits are
   queued and applied in one call per flush, and Python holds no proxy per
   row (a Pyodide call per cell was far slower: bench/README.md, "Figures
   behind the code").
2. Only a window is in the document: the first ``page`` (``?pageRows=``,
   100) matching rows in sort order, in ``[data-testid=delivery-list]``;
   "Show more" ([data-testid=delivery-more]) adds a page. The other rows are
   parked outside the document, with their form controls set aside. A
   parked row is drawn when it comes into the window, and in the background
   (``panel._catch_up``: a few every quarter second while live changes keep
   coming, turn after turn once they pause; ``data-caught-up`` on the parked
   ``<tbody>`` says when none waits). Drawing every row on every change, or
   keeping every row in the page (layout, and Chrome's autofill walking
   every row), cost more than all else at dispatch scale: the figures are in
   bench/README.md, "Figures behind the code".
3. A reset (snapshot) builds rows in chunks: the first ``FIRST_CHUNK`` (those
   that pass the filters first) at once, the rest in the following event-loop
   turns. Every background turn (building, catching up) stops after
   ``TURN_SECONDS`` of work, so frames go on between turns.
4. An update touches only the rows named in ``changes.deliveries`` (and,
   rarely, the rows of a staff member or zone whose *name* changed), and
   within a row only the cells whose value changed.
5. Filters, search and sort never rebuild: they change the set of matching
   ids (``app.filters.matches`` over cached ``Facts``) or the ``SortedIds``
   order in the ``DeliveryTable``, and ``_flush`` moves the window; the page
   moves only the rows whose place changed.
6. Shown rows are CSS grid rows (``deliveries.css``; ARIA roles keep the
   table semantics) with ``content-visibility: auto``: table layout re-laid
   out the whole table for one changed cell.
7. A clock tick (every ``TICK_SECONDS``, ``localtime.Every``) rewrites only the relative ETA
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

from app.web.panels.deliveries.panel import PREFS_KEY, DeliveriesPanel
from app.web.panels.deliveries.rows import DrawnRow, row_prototype

__all__ = ["DeliveriesPanel", "DrawnRow", "row_prototype", "PREFS_KEY"]
