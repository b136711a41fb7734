"""The assign control: an ARIA 1.2 combobox in each row, with one shared listbox of staff.

Each row has ``input[data-action=assign][role=combobox]`` (its ``data-value``
is the current assignee's id, empty for nobody). Focusing it opens the
listbox (``ul[role=listbox]``, moved into that row's cell) with one
``li[role=option][data-value=<staff id>]`` per person, "Unassigned" first,
then the nearest available people (``app.nearest``: from the delivery's
pickup, or its drop-off once picked up), each with status, distance
(``data-distance``, metres, when known) and zone; typing filters by name, id
or zone (``app.assign_choices``); ArrowDown and
ArrowUp move the active option (``aria-activedescendant``), Enter or a click
picks it, Escape closes. Nothing needs focusing or filling before it works,
and 500 staff are 500 options in one list, not 500 in every row.

Open work per person is counted once per opening of the list (one pass over
the open deliveries' assignees, ``open_work``), not per keystroke; a
keystroke ranks and filters the staff only.
"""

from __future__ import annotations

from typing import Callable, Iterable, Optional

from app.assign_choices import assign_choices
from app.models import is_open
from app.nearest import open_counts, target
from app.web.dom import clear, el

LISTBOX_ID = "assign-options"


def is_assign_input(node) -> bool:
    return bool(node) and node.tagName == "INPUT" and node.getAttribute("data-action") == "assign"


class AssignBox:
    """The shared listbox and the keyboard; ``pick(delivery_id, staff_id or None)`` runs the command."""

    def __init__(self, listen, root, client, zone_names: Callable[[], dict],
                 pick: Callable[[str, Optional[str]], None],
                 open_work: Optional[Callable[[], Iterable[Optional[str]]]] = None):
        """``open_work()``: the assignees of the open deliveries (None for nobody), e.g. from the
        table's facts; by default read from ``client.deliveries()``."""
        self.client = client
        self._zone_names = zone_names
        self._pick = pick
        self._open_work = open_work or (lambda: (d.assignedTo for d in client.deliveries() if is_open(d.status)))
        self._point = None  # the delivery's target (app.nearest.target) while the list is open
        self._counts: dict[str, int] = {}
        self.input = None  # the row's input the list is open for
        self.values: list[str] = []
        self.active = -1
        self.listbox = el("ul", {"role": "listbox", "id": LISTBOX_ID, "class": "assign-options",
                                 "data-testid": "assign-options", "aria-label": "Assign to", "hidden": True})
        listen(root, "focusin", self._focused)
        listen(root, "input", self._typed)
        listen(root, "keydown", self._key)
        listen(root, "focusout", self._left)
        listen(self.listbox, "mousedown", lambda event: event.preventDefault())  # keep the input's focus
        listen(self.listbox, "click", self._clicked)

    # --- events ----------------------------------------------------------------------------------

    def _focused(self, event) -> None:
        if is_assign_input(event.target):
            self.open(event.target)

    def _typed(self, event) -> None:
        if is_assign_input(event.target):
            if self.input is None or not self.input.isSameNode(event.target):
                self.open(event.target)
            else:
                self._fill(str(event.target.value))

    def _key(self, event) -> None:
        if not is_assign_input(event.target):
            return
        if self.input is None:
            self.open(event.target)
        key = event.key
        if key in ("ArrowDown", "ArrowUp"):
            event.preventDefault()
            if self.values:
                step = 1 if key == "ArrowDown" else -1
                self._activate((self.active + step) % len(self.values) if self.active >= 0 else
                               (0 if step > 0 else len(self.values) - 1))
        elif key == "Enter":
            event.preventDefault()
            if 0 <= self.active < len(self.values):
                self._choose(self.values[self.active])
        elif key == "Escape":
            event.preventDefault()
            self.close()

    def _left(self, event) -> None:
        if is_assign_input(event.target):
            self.close()

    def _clicked(self, event) -> None:
        option = event.target.closest("[role=option]")
        if option:
            self._choose(str(option.getAttribute("data-value") or ""))

    # --- the list -----------------------------------------------------------------------------------

    def open(self, node) -> None:
        if self.input is not None and not self.input.isSameNode(node):
            self.close()
        self.input = node
        row = node.closest("[data-testid=delivery-row]")
        if row:
            row.setAttribute("data-choosing", "")  # out of content-visibility, which would clip the list
        self._rank_for(self.client.delivery(str(row.getAttribute("data-id"))) if row else None)
        node.setAttribute("aria-expanded", "true")
        node.parentNode.appendChild(self.listbox)
        self.listbox.hidden = False
        self._fill(str(node.value))

    def close(self) -> None:
        node, self.input = self.input, None
        self.listbox.hidden = True
        self.active = -1
        if node is not None:
            row = node.closest("[data-testid=delivery-row]")
            if row:
                row.removeAttribute("data-choosing")
            node.setAttribute("aria-expanded", "false")
            node.removeAttribute("aria-activedescendant")
            node.value = ""

    def _rank_for(self, delivery) -> None:
        """Where candidates must go, and everyone's open work but this delivery's (its assignee keeps it)."""
        self._point = target(delivery) if delivery is not None else None
        self._counts = open_counts(self._open_work())
        holder = delivery.assignedTo if delivery is not None and is_open(delivery.status) else None
        if holder and self._counts.get(holder):
            self._counts[holder] -= 1

    def _fill(self, query: str) -> None:
        choices = assign_choices(self.client.staff(), self._zone_names(), query, point=self._point,
                                 counts=self._counts)
        current = str(self.input.getAttribute("data-value") or "") if self.input is not None else ""
        clear(self.listbox)
        self.values = [choice.value for choice in choices]
        for number, choice in enumerate(choices):
            self.listbox.appendChild(el(
                "li", {"role": "option", "id": f"{LISTBOX_ID}-{number}", "data-value": choice.value,
                       "aria-selected": "false", "class": "current" if choice.value == current else None,
                       "data-distance": None if choice.metres is None else str(round(choice.metres))},
                el("span", {"class": "main"}, text=choice.label), el("span", {"class": "sub"}, text=choice.detail)))
        self.active = -1
        if self.input is not None:
            self.input.removeAttribute("aria-activedescendant")
        if query.strip() and self.values:
            self._activate(0)

    def _activate(self, index: int) -> None:
        options = self.listbox.children
        if 0 <= self.active < len(options):
            options[self.active].setAttribute("aria-selected", "false")
        self.active = index
        options[index].setAttribute("aria-selected", "true")
        if self.input is not None:
            self.input.setAttribute("aria-activedescendant", options[index].getAttribute("id"))

    def _choose(self, value: str) -> None:
        node = self.input
        row = node.closest("[data-testid=delivery-row]") if node is not None else None
        self.close()
        if row:
            self._pick(str(row.getAttribute("data-id")), value or None)
