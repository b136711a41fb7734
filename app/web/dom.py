"""Build DOM elements from Python, safely.

Received text only ever reaches the page through ``textContent`` and
``setAttribute``: nothing in the app parses received text as HTML.

    row = el("tr", {"data-testid": "delivery-row", "data-id": "D-1"},
             el("td", {"data-field": "status", "data-value": "pending"}, text="Pending"))
"""

from __future__ import annotations

from app.web.runtime import document


def el(tag: str, attrs: dict | None = None, *children, text: str | None = None):
    node = document.createElement(tag)
    if attrs:
        for name, value in attrs.items():
            if value is None or value is False:
                continue
            node.setAttribute(name, "" if value is True else str(value))
    if text is not None:
        node.textContent = text
    for child in children:
        if child is not None:
            node.appendChild(child)
    return node


def set_field(cell, value, label: str | None = None) -> None:
    """A ``[data-field]`` cell: ``data-value`` is the raw value (empty for null), text is for people."""
    raw = "" if value is None else str(value)
    if cell.getAttribute("data-value") != raw:
        cell.setAttribute("data-value", raw)
    shown = label if label is not None else raw
    if cell.textContent != shown:
        cell.textContent = shown


def clear(node) -> None:
    while node.firstChild:
        node.removeChild(node.firstChild)


def by_id(element_id: str):
    return document.getElementById(element_id)
