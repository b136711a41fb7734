"""Who a delivery can be given to, filtered as the user types: the assign combobox's options. Pure, no browser.

    >>> from app.models import Staff
    >>> people = [Staff(id="S-2", name="Ben Ode", role="driver", status="available", zoneId="Z-1",
    ...                 lastSeenAt="2026-11-26T10:00:00Z"),
    ...           Staff(id="S-1", name="Ada Lin", role="courier", status="on_break", lastSeenAt="2026-11-26T10:00:00Z")]
    >>> [c.value for c in assign_choices(people, {"Z-1": "Harbour"}, "")]
    ['', 'S-1', 'S-2']
    >>> [(c.label, c.detail) for c in assign_choices(people, {"Z-1": "Harbour"}, "harb")]
    [('Ben Ode (S-2)', 'Available · Harbour (Z-1)')]

Rules: every word of the query (case-insensitive) must occur in the
person's name, id or zone (its id or name). "Unassigned" (value ``""``)
comes first when the query is empty or matches it. People are listed by name
(``roster.by_name``); each option says the person's status and zone ("Available · Harbour (Z-1)").
"""

from __future__ import annotations

from typing import Iterable, NamedTuple

from app.roster import by_name
from app.wording import name_and_id, words

UNASSIGNED_LABEL = "Unassigned"


class Choice(NamedTuple):
    value: str  # a staff id, or "" for nobody
    label: str  # "Name (ID)"
    detail: str  # "Available · Harbour (Z-1)"


def assign_choices(staff: Iterable, zone_names: dict, query: str) -> list[Choice]:
    terms = query.casefold().split()
    out = []
    if all(term in UNASSIGNED_LABEL.casefold() for term in terms):
        out.append(Choice("", UNASSIGNED_LABEL, "Nobody"))
    for member in sorted(staff, key=by_name):
        zone = zone_names.get(member.zoneId, "") if member.zoneId else ""
        haystack = f"{member.name}\n{member.id}\n{member.zoneId or ''}\n{zone}".casefold()
        if all(term in haystack for term in terms):
            where = name_and_id(member.zoneId, zone) if member.zoneId else "No zone"
            out.append(Choice(member.id, name_and_id(member.id, member.name), f"{words(member.status)} · {where}"))
    return out
