"""The deliveries panel's controls above the rows: the count, the status chips, search, filters, sort.

The controls show a ``Filters`` (``sync``) and the counts (``show_counts``);
the panel reads them back in its input handlers. What the page shows is
remembered here, so that a frame of live changes reads nothing from it.
"""

from __future__ import annotations

from app.filters import UNASSIGNED, Filters, staff_choice
from app.roster import by_name
from app.web.dom import el
from app.web.runtime import document
from app.wording import PRIORITY_LABELS, STATUS_LABELS, name_and_id

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
LABELS = {"status": "Status", "zone": "Zone", "assignee": "Assignee", "priority": "Priority", "sort": "Sort"}


class Toolbar:
    """The head (count, chips, "Clear filters") and the filter form, appended to ``root``."""

    def __init__(self, root, assignee_label):
        """``assignee_label(value)``: the words for an ``assignee`` filter value."""
        self._assignee_label = assignee_label
        self._drawn: dict = {}
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
        root.appendChild(el("div", {"class": "panel-head deliveries-head"},
                            el("h2", {"id": "deliveries-title", "tabindex": "-1"}, text="Deliveries"),
                            self.count_text, self.clear_button, chips))
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
        self.form = el(
            "form", {"class": "delivery-filters", "role": "search", "aria-label": "Filter and sort deliveries"},
            el("label", {"class": "filter filter-search"}, el("span", None, text="Search"), self.search),
            *(el("label", {"class": f"filter filter-{key}"}, el("span", None, text=LABELS[key]), select)
              for key, select in self.selects.items()),
        )
        root.appendChild(self.form)

    def sync(self, f: Filters, sort_heads: dict) -> None:
        """Show ``f`` in every control (and the sort mark in the column heads)."""
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
            fill_options(assignee, [(f.assignee, self._assignee_label(f.assignee))], f.assignee)
            assignee.removeAttribute("data-filled")
        self.selects["sort"].value = ("-" if f.descending else "") + f.sort
        for key, th in sort_heads.items():
            if key == f.sort:
                th.setAttribute("aria-sort", "descending" if f.descending else "ascending")
                th.querySelector(".sort-mark").textContent = "↓" if f.descending else "↑"
            else:
                th.removeAttribute("aria-sort")
                th.querySelector(".sort-mark").textContent = ""
        for chip in self.chips.values():
            chip.setAttribute("aria-pressed", "true" if chip.getAttribute("data-status") == f.status else "false")
        self.clear_button.hidden = not f.active

    def show_counts(self, counts: dict, empty_note) -> None:
        """The count ("40 of 300 shown"), each chip's number, and the empty note when nothing matches.

        ``shown`` is ``None`` while a new filter's matches are counted: the count says so
        (and has no ``data-shown``: a test waits on the number, not on the counting)."""
        total, shown = counts["all"], counts["shown"]
        if shown is None:
            text = f"Counting the matches of {total}…"
        else:
            text = f"{total} deliveries" if shown == total else f"{shown} of {total} shown"
        drawn = self._drawn
        if drawn.get("_count") != text:  # remembered here: reading the page costs a call a frame
            drawn["_count"] = text
            self.count_text.textContent = text
            if shown is None:
                self.count_text.removeAttribute("data-shown")
                self.count_text.setAttribute("aria-busy", "true")
            else:
                self.count_text.setAttribute("data-shown", str(shown))
                self.count_text.removeAttribute("aria-busy")
            self.count_text.setAttribute("data-total", str(total))
        for key, chip in self.chips.items():
            value = str(counts.get(key, 0))
            if drawn.get(key) != value:
                drawn[key] = value
                chip.querySelector(".chip-count").textContent = value
                chip.setAttribute("data-count", value)
        empty = bool(total and shown == 0)
        if drawn.get("_empty") != empty:
            drawn["_empty"] = empty
            empty_note.hidden = not empty

    def fill_zones(self, zones, current: str) -> None:
        zones = sorted(zones, key=by_name)
        options = [("", "All zones")] + [(z.id, name_and_id(z.id, z.name)) for z in zones]
        if current and current not in {z.id for z in zones}:
            options.append((current, current))
        fill_options(self.selects["zone"], options, current)

    def fill_assignees(self, staff) -> None:
        """The assignee filter's every choice, when the user first reaches it."""
        select = self.selects["assignee"]
        if select.getAttribute("data-filled") == "true":
            return
        current = str(select.value)
        options = [("", "Anyone"), (UNASSIGNED, "Unassigned")] + [
            (staff_choice(member.id), name_and_id(member.id, member.name)) for member in sorted(staff, key=by_name)
        ]
        if current and current not in {value for value, _ in options}:
            options.append((current, self._assignee_label(current)))
        fill_options(select, options, current)
        select.setAttribute("data-filled", "true")


def _select(key: str, options) -> object:
    select = el("select", {"data-filter": key, "data-testid": f"filter-{key}" if key != "sort" else "sort-by"})
    for value, label in options:
        select.appendChild(el("option", {"value": value}, text=label))
    return select


def fill_options(select, options, current: str) -> None:
    """Replace a select's options (one fragment: one layout) and pick ``current``."""
    fragment = document.createDocumentFragment()
    for value, label in options:
        fragment.appendChild(el("option", {"value": value, "selected": value == current}, text=label))
    while select.firstChild:
        select.removeChild(select.firstChild)
    select.appendChild(fragment)
    select.value = current
