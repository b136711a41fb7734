"""WebSocket text frames in and out: one place that turns untrusted text into typed messages.

    >>> decode('{"type": "pong", "t": 5}')
    Pong(type='pong', t=5.0)
    >>> decode('{"type": "route_update", "seq": 9}')
    Unknown(type='route_update')
    >>> decode('<script>').reason
    'not_json'

Rules (PROTOCOL.md 4, "Invalid input"):

1. ``decode`` never raises: whatever the server (or a proxy, or an attacker)
   sends, the caller gets a ``Message``, an ``Unknown`` or a ``Rejected``.
2. A frame over ``MAX_FRAME_BYTES`` (measured in UTF-8 bytes, as the wire
   measures it) is rejected before any parsing, so a huge frame costs nothing.
3. Parsing and validation are one pass of pydantic-core over the text
   (``TypeAdapter.validate_json``): no ``json.loads`` then validate.
4. A well-formed object whose ``type`` is a string we do not know is
   ``Unknown``: a newer server may send new event kinds, and an old client
   must ignore them, not count them as errors.
5. Everything else that is wrong (not JSON, not an object, nested deeper
   than the parser allows, a missing or mistyped field, a value of the wrong
   JSON type such as ``"7"`` for a number or ``"yes"`` for a boolean, NaN or
   Infinity, a seq of 2**53 or more, a lat outside [-90, 90], an unknown
   enum value, an id over 64 characters, a text over 1000 (a body over
   2000), a text that is not valid Unicode) is ``Rejected``
   with a short ``reason`` code, a one-line ``detail`` and a ``preview`` of
   the first 120 characters, for the diagnostics panel. Text stays data: the
   preview is never markup, and no field is ever unescaped or interpreted.

``encode_auth`` and ``encode_ping`` build the two frames the client sends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional, Union

from pydantic import TypeAdapter, ValidationError

from app.models import (
    MAX_FRAME_BYTES,
    MAX_ID_CHARS,
    DeliveryUpdate,
    NewCommunication,
    Pong,
    Reauthed,
    ServerMessage,
    StaffLocationUpdate,
    StaffStatusUpdate,
    Welcome,
    ZoneUpdate,
)

#: Characters of the offending frame kept for the diagnostics panel.
PREVIEW_CHARS = 120

#: What ``decode`` returns for a frame it understood.
Message = Union[
    DeliveryUpdate, StaffStatusUpdate, ZoneUpdate, NewCommunication, StaffLocationUpdate, Welcome, Reauthed, Pong,
]

# Built once at import: building a validator is the slow part, using it is fast.
_validate = TypeAdapter(ServerMessage).validate_json


@dataclass(frozen=True)
class Unknown:
    """A well-formed frame of a ``type`` this client does not know: ignore it and count it."""

    type: str


@dataclass(frozen=True)
class Rejected:
    """A frame that was dropped. ``reason`` is one of ``REASONS``; show it, never render it as HTML."""

    reason: str
    detail: str
    preview: str


#: The ``Rejected.reason`` codes.
TOO_LARGE = "too_large"  # over MAX_FRAME_BYTES, not parsed at all
NOT_JSON = "not_json"  # not JSON text (or not valid Unicode)
INVALID = "invalid"  # JSON, but not a message of the schema
REASONS = (TOO_LARGE, NOT_JSON, INVALID)


def decode(text: str) -> Union[Message, Unknown, Rejected]:
    """Turn one received text frame into a message; see the rules at the top of this file."""
    try:
        return _decode(text)
    except Exception as exc:  # rule 1: a bug or a surprise here must not stop the app
        return Rejected(INVALID, f"unexpected {type(exc).__name__}", _preview(text))


def _decode(text: str) -> Union[Message, Unknown, Rejected]:
    if not isinstance(text, str):
        return Rejected(INVALID, f"expected a text frame, got {type(text).__name__}", "")
    # One UTF-8 character is at most 4 bytes: only measure when it can matter.
    if len(text) * 4 > MAX_FRAME_BYTES:
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > MAX_FRAME_BYTES:
            return Rejected(TOO_LARGE, f"{size} bytes, over the {MAX_FRAME_BYTES} byte limit", _preview(text))
    try:
        return _validate(text)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
    first = errors[0] if errors else {"type": "", "loc": (), "msg": "invalid"}
    kind = first["type"]
    if kind in ("json_invalid", "string_unicode"):
        return Rejected(NOT_JSON, _clean(first["msg"]), _preview(text))
    if kind == "union_tag_invalid":
        # pydantic stringifies the tag (5 and null become '5' and 'None'): look at the real one.
        tag = json.loads(text).get("type")
        if isinstance(tag, str) and 0 < len(tag) <= MAX_ID_CHARS:
            return Unknown(tag)
        return Rejected(INVALID, "type: not a known message type", _preview(text))
    if kind == "union_tag_not_found":
        return Rejected(INVALID, "type: missing", _preview(text))
    # loc starts with the union tag ('delivery_update', 'changes', 'status'): keep it, it helps.
    where = ".".join(str(part) for part in first["loc"])
    detail = f"{where}: {first['msg']}" if where else first["msg"]
    if len(errors) > 1:
        detail += f" (+{len(errors) - 1} more)"
    return Rejected(INVALID, _clean(detail), _preview(text))


def _clean(text: str) -> str:
    """One printable line of at most 200 characters, safe to log and to put in a data attribute."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return " ".join(text.split())[:200]


def _preview(text: object) -> str:
    if not isinstance(text, str):
        return ""
    return text[:PREVIEW_CHARS].encode("utf-8", "replace").decode("utf-8")


def encode_auth(token: str, resume_from: Optional[int], epoch: Optional[str] = None) -> str:
    """The first frame on every socket (PROTOCOL.md 3.1): ``resume_from``, the last applied seq, and
    ``epoch``, the history it belongs to (each None when there is none)."""
    frame = {"type": "auth", "token": token, "resumeFrom": resume_from, "epoch": epoch}
    return json.dumps(frame, separators=(",", ":"))


def encode_ping(t: float) -> str:
    """A heartbeat (PROTOCOL.md 3.4); the server echoes ``t`` in a pong, which gives the round trip."""
    return json.dumps({"type": "ping", "t": t}, separators=(",", ":"))
