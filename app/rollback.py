"""Why a command was undone, in plain words, and the one decoder every REST answer's text goes through.

    >>> rollback_for("k1", Kind.SET_STATUS, "D-1", 409, server_says('{"detail": "already delivered"}')).message
    'The server refused the change: already delivered'
    >>> read_json("[" * 10_000) is INVALID_JSON   # never raises, however deep or broken
    True

A REST answer is untrusted input like a frame (PROTOCOL.md 4): ``read_json``
never raises (pydantic-core's parser has a depth limit where ``json.loads``
raises ``RecursionError`` on a 10,000-deep body), and reads at most
``MAX_ANSWER_CHARS``. Texts are for ``textContent``, never markup.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Optional

import pydantic_core

#: Longer answers are not parsed for the server's words (a refusal's detail is short).
MAX_ANSWER_CHARS = 64 * 1024
#: What ``read_json`` returns for text that is not JSON (None is a valid JSON value).
INVALID_JSON = object()


class Kind(StrEnum):
    SET_STATUS = "set_status"
    ASSIGN = "assign"
    SEND_MESSAGE = "send_message"


class Reason(StrEnum):
    """Why a command was rolled back (``Rollback.reason``)."""

    CONFLICT = "conflict"  # 409
    INVALID = "invalid"  # 422
    NOT_FOUND = "not_found"  # 404
    UNAUTHORIZED = "unauthorized"  # 401 (the command waits for the next sign-in: never shown as failed)
    SERVER_ERROR = "server_error"  # 5xx
    REJECTED = "rejected"  # any other status
    NETWORK = "network"  # no answer: the request failed
    TIMEOUT = "timeout"  # no answer in time
    EXPIRED = "expired"  # older than the server keeps idempotency keys: sending it could apply it twice


RETRYABLE = frozenset({Reason.SERVER_ERROR, Reason.NETWORK, Reason.TIMEOUT})
BY_STATUS = {401: Reason.UNAUTHORIZED, 404: Reason.NOT_FOUND, 409: Reason.CONFLICT, 422: Reason.INVALID}
TEXT = {
    Reason.CONFLICT: "The server refused the change: the delivery changed meanwhile (for example it is already closed).",
    Reason.INVALID: "The server refused the change as invalid.",
    Reason.NOT_FOUND: "The server does not know this delivery any more.",
    Reason.UNAUTHORIZED: "Your session has expired: sign in again.",
    Reason.SERVER_ERROR: "The server failed to make the change; retrying is safe.",
    Reason.REJECTED: "The server refused the change.",
    Reason.NETWORK: "Not confirmed: the request failed on the network; retrying is safe.",
    Reason.TIMEOUT: "No answer in time: the change may or may not have been made; retrying is safe.",
    Reason.EXPIRED: "Not sent: it waited more than 24 hours, so the server may not recognise it any more.",
}

#: With the server's own words, a refusal (409, 422) says only that, and them: "the delivery changed
#: meanwhile" beside "a delivery assigned needs someone assigned" sent the coordinator looking for a
#: change nobody made.
SAYS_WHY = frozenset({Reason.CONFLICT, Reason.INVALID})


@dataclass(frozen=True)
class Rollback:
    """Why a command was undone: plain text for the UI (never markup), and whether ``retry`` may help."""

    command_id: str
    kind: Kind
    delivery_id: Optional[str]
    reason: Reason
    message: str
    status: Optional[int]
    retryable: bool


def reason_for(status: int) -> Reason:
    return BY_STATUS.get(status) or (Reason.SERVER_ERROR if status >= 500 else Reason.REJECTED)


def rollback_for(
    command_id: str, kind: Kind, delivery_id: Optional[str], status: Optional[int], detail: str,
    reason: Optional[Reason] = None,
) -> Rollback:
    """The rollback for an answer ``status`` (None: no answer; then ``reason`` says which) with ``detail``."""
    if reason is None:
        reason = reason_for(status) if status is not None else Reason.NETWORK
    if detail and status is not None and reason in SAYS_WHY:
        message = f"The server refused the change: {detail}"
        return Rollback(command_id, kind, delivery_id, reason, message, status, reason in RETRYABLE)
    message = TEXT[reason]
    if status is not None and reason in (Reason.SERVER_ERROR, Reason.REJECTED):
        message += f" (HTTP {status})"
    if detail:
        message += f" Server: {detail}" if status is not None else f" ({detail})"
    return Rollback(command_id, kind, delivery_id, reason, message, status, reason in RETRYABLE)


def read_json(text: Any) -> Any:
    """The JSON value of an answer's text, or ``INVALID_JSON``: never raises (depth, size, junk)."""
    if not isinstance(text, str) or len(text) > MAX_ANSWER_CHARS:
        return INVALID_JSON
    try:
        return pydantic_core.from_json(text)
    except (ValueError, RecursionError, MemoryError):
        return INVALID_JSON


#: Plain-text bodies up to this long are quoted as the server's words; longer ones are not words.
MAX_PLAIN_WORDS = 200


def server_says(body_text: str) -> str:
    """The server's own words about a refusal, as plain text (at most 200 characters).

    Only words are quoted: a JSON object's ``detail``/``message``/``error``, or a
    short plain-text body. Any other JSON (a list, a number, ten thousand
    brackets) or a long page of text says nothing a coordinator can read.
    """
    text = body_text if isinstance(body_text, str) else ""
    data = read_json(text)
    if data is INVALID_JSON:
        stripped = text.strip()
        if len(stripped) > MAX_PLAIN_WORDS or stripped[:1] in ("[", "{", "<"):
            return ""
    elif isinstance(data, str):
        text = data
    elif not isinstance(data, dict):
        return ""
    else:
        text = ""
        for key in ("detail", "message", "error"):
            value = data.get(key)
            if isinstance(value, str):
                text = value
                break
            if value is not None:
                text = json.dumps(value)[:400]  # parsed within the depth limit: dumps cannot recurse too far
                break
    return " ".join(text[:400].split())[:200]
