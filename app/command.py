"""One command and what the queue says about it: its key, its change, its phase, the queue's outputs.

    >>> Command("k1", Kind.ASSIGN, "D-1", {"assignedTo": "S-7"}).row
    'D-1'

Data only; the rules live in ``app.commands`` (the queue), the words of a
rollback in ``app.rollback``, the stored form in ``app.outbox``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum
from typing import Optional, Union

from app.models import Communication, Delivery
from app.rollback import Kind, Rollback
from app.store import Changes

MAX_QUEUE = 50
#: The server keeps idempotency keys at least 24 hours (PROTOCOL.md 2): an older command is never sent.
MAX_AGE_MS = 24 * 3600 * 1000
#: ``http_failed(request_id, TIMEOUT)`` means the owner gave up waiting.
TIMEOUT = "timeout"


def new_key() -> str:
    return uuid.uuid4().hex


class Phase(StrEnum):
    QUEUED = "queued"  # waiting to be sent (offline, signed out, or behind another)
    SENT = "sent"  # request under way
    CONFIRMED = "confirmed"  # the server said yes; overlay kept until the store has the seq
    FAILED = "failed"  # rolled back; kept (with its Rollback) until retried or discarded


# --- results and outputs --------------------------------------------------------


@dataclass(frozen=True)
class Accepted:
    command_id: str


@dataclass(frozen=True)
class Refused:
    """The command was not taken; nothing changed. ``reason``: invalid, queue_full, not_retryable, unknown."""

    reason: str
    message: str


@dataclass(frozen=True)
class RowStatus:
    """What a row shows besides its data: ``pending`` (``data-pending``), and the last rollback."""

    pending: bool = False
    error: Optional[Rollback] = None


@dataclass(frozen=True)
class Request:
    """An HTTP request to make; ``path`` is relative to the API base, ``body`` is JSON-ready."""

    request_id: str
    method: str
    path: str
    body: dict
    headers: dict


@dataclass(frozen=True)
class Touched:
    """Rows whose effective state or status changed."""

    changes: Changes


@dataclass(frozen=True)
class Confirmed:
    """Server state from a REST answer with no seq: put it in the store."""

    delivery: Optional[Delivery] = None
    communication: Optional[Communication] = None


@dataclass(frozen=True)
class LoggedOut:
    """A 401: the token is no longer valid (the command waits for the next sign-in)."""


Output = Union[Request, Touched, Confirmed, LoggedOut]


@dataclass(eq=False)
class Command:
    id: str  # also the Idempotency-Key
    kind: Kind
    delivery_id: Optional[str]  # the row (None for a message not about a delivery)
    fields: dict  # the overlay: {"status": ...} / {"assignedTo": ...}; a message's {"to", "body", "deliveryId"}
    made_at: str = ""  # ISO text: the outbox shows it; messages show it while pending
    made_ms: float = 0.0  # wall-clock ms of made_at: the 24 h limit
    phase: Phase = Phase.QUEUED
    attempts: int = 0
    seq: Optional[int] = None  # from the REST answer
    epoch: Optional[str] = None  # the stream that seq belongs to
    communication: Optional[Communication] = None  # messages: the server's copy, from the REST answer
    request_ids: set = field(default_factory=set)

    @property
    def row(self) -> str:
        """The row a rollback is shown on: the delivery id, or COMPOSE for a message."""
        return COMPOSE if self.kind is Kind.SEND_MESSAGE else self.delivery_id

    @property
    def communication_id(self) -> Optional[str]:
        return self.communication.id if self.communication is not None else None

    @property
    def sent_at(self) -> str:
        return self.made_at


#: The row key of the message form (not a valid id: ids are non-empty).
COMPOSE = ""


def iso_of(ms: float) -> str:
    moment = datetime.fromtimestamp(ms / 1000, timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")
