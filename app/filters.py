"""What the deliveries table shows and in which order: filters, search, sort, counts. Pure, no browser.

    >>> from app.models import Delivery
    >>> d = Delivery(id="D-7", status="in_transit", customer="Ada Brooks", address="12 Mill Lane",
    ...              zoneId="Z-1", assignedTo="S-03", priority="urgent",
    ...              eta="2026-11-26T14:00:00Z", updatedAt="2026-11-26T13:00:00Z")
    >>> f = facts(d)
    >>> matches(f, Filters(query="mill ada"), now_ts=0), matches(f, Filters(status="delivered"), now_ts=0)
    (True, False)
    >>> order = SortedIds()
    >>> order.place("D-7", sort_key(f, Filters()))
    >>> order.first(10, lambda delivery_id: True)
    ['D-7']

The deliveries panel keeps one ``Facts`` per delivery (computed once per
change, never per keystroke), asks ``matches`` whether its row is shown, and
keeps its rows in ``SortedIds`` order so that a live change moves one row,
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
from bisect import bisect_left
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import Callable, Iterable, NamedTuple, Optional

from app.eta import is_late, is_open, timestamp
from app.models import DeliveryStatus, Priority

STATUS_ORDER = {status.value: rank for rank, status in enumerate(DeliveryStatus)}
PRIORITY_RANK = {Priority.URGENT.value: 0, Priority.HIGH.value: 1, Priority.NORMAL.value: 2}
SORTS = ("eta", "priority", "status")
STATUS_CHOICES = ("", "open", "late", *STATUS_ORDER)
STATUS_LABELS = {status: status.replace("_", " ").capitalize() for status in STATUS_ORDER}
PRIORITY_LABELS = {priority: priority.capitalize() for priority in PRIORITY_RANK}
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

    def words(self) -> tuple[str, ...]:
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


def matches(item: Facts, filters: Filters, now_ts: float, words: Optional[tuple[str, ...]] = None) -> bool:
    """Rules 1 and 2. Pass ``words`` (``filters.words()``) when calling it for many rows."""
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
    for word in filters.words() if words is None else words:
        if word not in item.haystack:
            return False
    return True


@lru_cache(maxsize=65536)  # one entry per id: sort_key runs on every update
def natural(text: str) -> tuple:
    """``D-2`` before ``D-10``: text and number parts alternate, so any two keys compare."""
    parts = _DIGITS.split(text)
    return tuple(int(part) if index % 2 else part for index, part in enumerate(parts))


def sort_key(item: Facts, filters: Filters) -> tuple:
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


class SortedIds:
    """Ids kept in key order: the deliveries table takes its window from here (``first``).

    ``place(id, key)`` inserts or moves ``id``. Keys must be unique
    (``sort_key`` ends in the id).

    The ids live in buckets of at most ``2 * LOAD`` (the idea of
    ``sortedcontainers``): a move is two bisects and two short list edits.
    In one flat list of 10,000, each move shifted the whole list twice.
    """

    LOAD = 256

    def __init__(self) -> None:
        self._keys: list[list[tuple]] = []  # sorted buckets of keys; never an empty bucket
        self._ids: list[list[str]] = []  # the ids, bucket for bucket
        self._maxes: list[tuple] = []  # the last key of each bucket
        self._key_of: dict[str, tuple] = {}

    def __len__(self) -> int:
        return len(self._key_of)

    def __contains__(self, item_id: str) -> bool:
        return item_id in self._key_of

    def ids(self) -> list[str]:
        return [item_id for bucket in self._ids for item_id in bucket]

    def first(self, count: int, accept: Callable[[str], bool]) -> list[str]:
        """The first ``count`` ids, in key order, that ``accept``: a list's window on show."""
        out: list[str] = []
        if count <= 0:
            return out
        for bucket in self._ids:
            for item_id in bucket:
                if accept(item_id):
                    out.append(item_id)
                    if len(out) >= count:
                        return out
        return out

    def key(self, item_id: str) -> Optional[tuple]:
        return self._key_of.get(item_id)

    def place(self, item_id: str, key: tuple) -> None:
        old = self._key_of.get(item_id)
        if old == key:
            return
        if old is not None:
            self.remove(item_id)
        self._insert(item_id, key)

    def remove(self, item_id: str) -> None:
        key = self._key_of.pop(item_id, None)
        if key is None:
            return
        b = bisect_left(self._maxes, key)
        keys, ids = self._keys[b], self._ids[b]
        i = bisect_left(keys, key)
        del keys[i]
        del ids[i]
        if not keys:
            del self._keys[b], self._ids[b], self._maxes[b]
        elif i == len(keys):
            self._maxes[b] = keys[-1]

    def reset(self, items: Iterable[tuple[str, tuple]]) -> list[str]:
        """Replace everything at once (a new sort): the ids in their new order."""
        pairs = sorted(items, key=lambda pair: pair[1])
        step = self.LOAD
        self._keys = [[key for _, key in pairs[i:i + step]] for i in range(0, len(pairs), step)]
        self._ids = [[item_id for item_id, _ in pairs[i:i + step]] for i in range(0, len(pairs), step)]
        self._maxes = [bucket[-1] for bucket in self._keys]
        self._key_of = dict(pairs)
        return self.ids()

    def _insert(self, item_id: str, key: tuple) -> None:
        self._key_of[item_id] = key
        if not self._maxes:
            self._keys.append([key])
            self._ids.append([item_id])
            self._maxes.append(key)
            return
        b = min(bisect_left(self._maxes, key), len(self._maxes) - 1)
        keys, ids = self._keys[b], self._ids[b]
        i = bisect_left(keys, key)
        keys.insert(i, key)
        ids.insert(i, item_id)
        if i == len(keys) - 1:
            self._maxes[b] = key
        if len(keys) > 2 * self.LOAD:  # split in two halves
            half = self.LOAD
            self._keys[b:b + 1] = [keys[:half], keys[half:]]
            self._ids[b:b + 1] = [ids[:half], ids[half:]]
            self._maxes[b:b + 1] = [keys[half - 1], keys[-1]]
