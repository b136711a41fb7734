"""What goes on the wire for the protocol version the stub speaks: PROTOCOL.md v2, or v1.

    >>> from app.models import Welcome
    >>> Dialect(1).frame(Welcome(seq=3, epoch="e1", resumed=False))
    '{"type":"welcome","seq":3,"resumed":false}'

Version 2 is the contract. Version 1 (``--protocol 1``) lets tests check that
the app still works against a backend that predates it: no ``epoch``, no
``cause``, none of the map's fields (``pickup``, ``dropoff``, ``location``,
``area``) and no ``staff_location_update`` events, no session refresh (404), no re-auth on an open socket (4400) and
no closing of a socket when its token expires. One object answers "what does
this version send", so ws.py, rest.py and the journal carry no version checks
of their own beyond asking it.
"""

from __future__ import annotations

import json

from pydantic import BaseModel

from app.models import Cause

from .journal import wire_dict

#: Keys a version-1 backend never sends (its schema had no such fields).
V2_ONLY = frozenset({"epoch", "cause", "pickup", "dropoff", "location", "area"})
#: Event types a version-1 backend never sends: the world records none of them (no seq is spent).
V2_ONLY_EVENTS = frozenset({"staff_location_update"})
VERSIONS = (1, 2)


def without_v2(data):
    """``data`` (JSON-ready dicts and lists) with every ``V2_ONLY`` key removed, in place.
    Iterative: a deep value cannot exhaust the stack."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key in V2_ONLY & item.keys():
                del item[key]
            stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, (dict, list)))
    return data


class Dialect:
    def __init__(self, version: int = 2) -> None:
        if version not in VERSIONS:
            raise ValueError(f"protocol must be one of {VERSIONS}, got {version}")
        self.version = version
        self.v2 = version >= 2

    def sends(self, event_type: str) -> bool:
        """Whether this version has the event type at all (version 1 has no ``staff_location_update``)."""
        return self.v2 or event_type not in V2_ONLY_EVENTS

    def frame(self, message: BaseModel) -> str:
        """One WebSocket frame's text (events, welcome, pong, reauthed)."""
        return json.dumps(self.data(message), separators=(",", ":"), ensure_ascii=False)

    def data(self, message: BaseModel) -> dict:
        """A REST answer's or a frame's JSON-ready dict."""
        data = wire_dict(message)
        return data if self.v2 else without_v2(data)

    def cause(self, key: str | None, user_id: str) -> Cause | None:
        """The ``cause`` a command's event carries: none without a key, none in version 1."""
        return Cause(idempotencyKey=key, userId=user_id) if self.v2 and key is not None else None
