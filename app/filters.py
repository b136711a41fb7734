"""What the deliveries table shows and in which order: filters, search, sort, counts. Pure, no browser.

    >>> from app.models import Delivery
    >>> d = Delivery(id="D-7", status="in_transit", customer="Ada Brooks", address="12 Mill Lane",
    ...              zoneId="Z-1", assignedTo="S-03", priority="urgent",
    ...              eta="2026-11-26T14:00:00Z", updatedAt="2026-11-26T13:00:00Z")
    >>> f = facts(d)
    >>> matches(f, Filters(query="mill ada"), now_ts=0), matches(f, Filters(status="delivered"), now_ts=0)
    (True, False)
    >>> order_key(f, Filters())[-1]
    'D-7'

The deliveries panel keeps one ``Facts`` per delivery (computed once per
change, never per keystroke), asks ``matches`` whether its row is shown, and
keeps its rows in ``app.sorted_ids.SortedIds`` order so that a live change moves one row,
not the table. ``Filters`` is also what survives a re-login (``ctx.prefs``).

Rules:

1. Filters combine with AND. ``status`` is ``""`` (any), ``"open"`` (not
   delivered, failed or cancelled), ``"late"`` (open and ETA passed) or one
   status. ``zone`` and ``priority`` are ``""`` or a value. ``assignee`` is
   ``""`` (anyone), ``"none"`` (unassigned) or ``"staff:<id>"`` (the prefix
   keeps any staff id, even one spelled "none", apart from the choices).
2. Search: every word of ``query`` (case-insensitive, accents kept) must
   occur in the id, the customer or the address.
3. Sort keys: ``eta`` puts open deliveries first, by ETA (no ETA last), the
   closed ones after them; ``priority`` is urgent, high, normal, then ETA;
   ``status`` follows the lifecycle (pending ... in_transit, delivered,
   failed, cancelled), then priority and ETA. ``descending`` reverses the
   main key only; ties are broken by ETA and then by the id in natural order
   (D-2 before D-10; the raw id last), so every key is unique and the order
   is total.
4. ``Filters.from_prefs`` accepts anything (a dict from an older version, a
   junk value) and falls back to the defaults field by field.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import Iterable, NamedTuple, Optional

from app.eta import is_late, timestamp
from app.models import DeliveryStatus, Priority, is_open

STATUS_ORDER = {status.value: rank for rank, status in enumerate(DeliveryStatus)}
PRIORITY_RANK = {Priority.URGENT.value: 0, Priority.HIGH.value: 1, Priority.NORMAL.value: 2}
SORTS = ("eta", "priority", "status")
STATUS_CHOICES = ("", "open", "late", *STATUS_ORDER)
UNASSIGNED = "none"
STAFF_PREFIX = "staff:"
_NO_ETA = float("inf")
_DIGITS = re.compile(r"(\d+)")


@dataclass(frozen=True)
class Filters:
    """The table's view: filters, search text and sort. Stored in ``ctx.prefs`` as ``as_prefs()``."""

    status: str = ""
    zone: str = ""
    assignee: str = ""
    priority: str = ""
    query: str = ""
    sort: str = "eta"
    descending: bool = False

    @classmethod
    def from_prefs(cls, prefs) -> "Filters":
        if not isinstance(prefs, dict):
            return cls()
        default = cls()
        values = {}
        for item in fields(cls):
            value = prefs.get(item.name, getattr(default, item.name))
            if not isinstance(value, type(getattr(default, item.name))):
                value = getattr(default, item.name)
            values[item.name] = value
        if values["status"] not in STATUS_CHOICES:
            values["status"] = ""
        if values["priority"] not in ("", *PRIORITY_RANK):
            values["priority"] = ""
        if values["sort"] not in SORTS:
            values["sort"] = "eta"
        return cls(**values)

    def as_prefs(self) -> dict:
        return asdict(self)

    def with_(self, **changes) -> "Filters":
        return Filters.from_prefs({**self.as_prefs(), **changes})

    @property
    def active(self) -> bool:
        """True when some filter or search hides rows (the sort does not count)."""
        return bool(self.status or self.zone or self.assignee or self.priority or self.query.strip())

    def terms(self) -> tuple[str, ...]:
        """The search words, casefolded: each must occur in a row (rule 2)."""
        return tuple(self.query.casefold().split())


class Facts(NamedTuple):
    """What filtering, sorting and counting need from one delivery (a NamedTuple: built for
    every delivery of a snapshot and on every update, it is half the cost of a frozen dataclass)."""

    id: str
    status: str
    zone: str
    assignee: Optional[str]
    priority: str
    eta_ts: Optional[float]
    open: bool
    haystack: str  # id, customer, address, casefolded: what search looks in


def facts(delivery) -> Facts:
    status = str(delivery.status)
    return Facts(
        id=delivery.id, status=status, zone=delivery.zoneId, assignee=delivery.assignedTo,
        priority=str(delivery.priority), eta_ts=timestamp(delivery.eta), open=is_open(status),
        haystack=f"{delivery.id}\n{delivery.customer}\n{delivery.address}".casefold(),
    )


def staff_choice(staff_id: str) -> str:
    """The ``assignee`` filter value for one staff member."""
    return STAFF_PREFIX + staff_id


def matches(item: Facts, filters: Filters, now_ts: float, terms: Optional[tuple[str, ...]] = None) -> bool:
    """Rules 1 and 2. Pass ``terms`` (``filters.terms()``) when calling it for many rows."""
    status = filters.status
    if status:
        if status == "open":
            if not item.open:
                return False
        elif status == "late":
            if not is_late(item.eta_ts, item.open, now_ts):
                return False
        elif item.status != status:
            return False
    if filters.zone and item.zone != filters.zone:
        return False
    if filters.priority and item.priority != filters.priority:
        return False
    assignee = filters.assignee
    if assignee:
        if assignee == UNASSIGNED:
            if item.assignee is not None:
                return False
        elif assignee.startswith(STAFF_PREFIX):
            if item.assignee != assignee[len(STAFF_PREFIX):]:
                return False
    for word in filters.terms() if terms is None else terms:
        if word not in item.haystack:
            return False
    return True


@lru_cache(maxsize=65536)  # one entry per id: order_key runs on every update
def natural(text: str) -> tuple:
    """``D-2`` before ``D-10``: text and number parts alternate, so any two keys compare."""
    parts = _DIGITS.split(text)
    return tuple(int(part) if index % 2 else part for index, part in enumerate(parts))


def order_key(item: Facts, filters: Filters) -> tuple:
    """Rule 3: a unique, totally ordered key for ``SortedIds``."""
    sign = -1 if filters.descending else 1
    eta = _NO_ETA if item.eta_ts is None else item.eta_ts
    priority = PRIORITY_RANK.get(item.priority, 9)
    if filters.sort == "priority":
        head = (sign * priority, not item.open)
    elif filters.sort == "status":
        head = (sign * STATUS_ORDER.get(item.status, 99), priority)
    else:  # eta: open first in either direction, then by time
        head = (not item.open, item.eta_ts is None, sign * eta if item.eta_ts is not None else 0)
    return (*head, eta, natural(item.id), item.id)


def count(items: Iterable[Facts], now_ts: float) -> dict[str, int]:
    """Per status, plus ``all``, ``open`` and ``late``: the chips above the table."""
    counts = {"all": 0, "open": 0, "late": 0, **{status: 0 for status in STATUS_ORDER}}
    for item in items:
        counts["all"] += 1
        counts[item.status] = counts.get(item.status, 0) + 1
        if item.open:
            counts["open"] += 1
            if is_late(item.eta_ts, True, now_ts):
                counts["late"] += 1
    return counts
