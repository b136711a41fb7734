"""Who a delivery can be given to, filtered as the user types: the assign combobox's options. Pure, no browser.

    >>> from app.models import Staff
    >>> def person(i, name, status, zone=None, at=None):
    ...     where = None if at is None else {"lat": at[0], "lon": at[1], "at": "2026-11-26T10:00:00Z"}
    ...     return Staff.model_validate({"id": f"S-{i}", "name": name, "role": "driver", "status": status,
    ...         "zoneId": zone, "lastSeenAt": "2026-11-26T10:00:00Z", "location": where})
    >>> people = [person(2, "Ben Ode", "available", "Z-1", at=(52.53, 13.40)), person(1, "Ada Lin", "on_break"),
    ...           person(3, "Cy Pan", "available", "Z-1", at=(52.521, 13.40))]
    >>> [c.value for c in assign_choices(people, {"Z-1": "Harbour"}, "", point=(52.52, 13.40))]
    ['', 'S-3', 'S-2', 'S-1']
    >>> [(c.label, c.detail) for c in assign_choices(people, {"Z-1": "Harbour"}, "ben harb", point=(52.52, 13.40))]
    [('Ben Ode (S-2)', 'Available · 1.1 km · Harbour (Z-1)')]
    >>> [(c.label, c.detail) for c in assign_choices(people, {}, "ada")]
    [('Ada Lin (S-1)', 'On break · No zone')]

Rules: every word of the query (case-insensitive) must occur in the
person's name, id or zone (its id or name). "Unassigned" (value ``""``)
comes first when the query is empty or matches it. People come in
``app.nearest``'s order for the delivery's target ``point`` (available
first, nearest first, least open work; without a point or a location, by
name); each option says the person's status, distance when known, and zone
("Available · 1.2 km · Harbour (Z-1)").
"""

from __future__ import annotations

from typing import Iterable, Mapping, NamedTuple, Optional

from app.nearest import LatLon, distance_text, nearest_order
from app.wording import name_and_id, words

UNASSIGNED_LABEL = "Unassigned"


class Choice(NamedTuple):
    value: str  # a staff id, or "" for nobody
    label: str  # "Name (ID)"
    detail: str  # "Available · 1.2 km · Harbour (Z-1)"
    metres: Optional[float] = None  # to the delivery's target, when both have a point


def assign_choices(staff: Iterable, zone_names: dict, query: str, *, point: Optional[LatLon] = None,
                   counts: Optional[Mapping[str, int]] = None) -> list[Choice]:
    """The options for ``query``; ``point`` is ``app.nearest.target(delivery)``, ``counts`` the
    open deliveries per person (``app.nearest.open_counts``). Only the matches are ranked."""
    terms = query.casefold().split()
    out = []
    if all(term in UNASSIGNED_LABEL.casefold() for term in terms):
        out.append(Choice("", UNASSIGNED_LABEL, "Nobody"))
    matching = []
    for member in staff:
        if terms:
            zone = zone_names.get(member.zoneId, "") if member.zoneId else ""
            haystack = f"{member.name}\n{member.id}\n{member.zoneId or ''}\n{zone}".casefold()
            if not all(term in haystack for term in terms):
                continue
        matching.append(member)
    for candidate in nearest_order(matching, point, counts or {}):
        member = candidate.member
        where = name_and_id(member.zoneId, zone_names.get(member.zoneId, "")) if member.zoneId else "No zone"
        parts = [words(member.status), distance_text(candidate.metres), where]
        out.append(Choice(member.id, name_and_id(member.id, member.name), " · ".join(p for p in parts if p),
                          candidate.metres))
    return out
