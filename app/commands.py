"""Optimistic commands: the change shows at once, is confirmed by the server, or rolls back with a reason.

    >>> cmds = Commands(id_factory=lambda: "k1")
    >>> cmds.set_online(True)
    >>> cmds.set_status("D-1", "picked_up")
    Accepted(command_id='k1')
    >>> [a for a in cmds.actions() if isinstance(a, Request)][0].headers
    {'Idempotency-Key': 'k1'}
    >>> cmds.row_status("D-1").pending
    True

Three commands (PROTOCOL.md 2): set a delivery's status, assign it (PATCH
/deliveries/{id}), send a message (POST /communications). The store keeps
only confirmed state; a command lays an *overlay* over it (``effective``)
from the moment it is made until the confirmed state holds the change.

Rules:

1. Each command has an ``Idempotency-Key`` (its id, from ``id_factory``),
   reused by every retry of it, so the server applies it at most once.
2. Commands leave in the order they were made, one request at a time, and
   only while online (connected and in sync); until then they wait in a FIFO
   queue of at most ``max_queue``. A full queue refuses the new command
   (``Refused``) and keeps the old ones: losing an old change silently would
   be worse than saying no to a new one.
3. A command is confirmed by whichever comes first: the REST answer, or the
   socket event that carries the same change (the same field values for the
   same delivery; the same recipient, body and delivery for a message). Then
   the row is no longer pending. After a REST answer with a ``seq`` the
   overlay stays until the store has applied that seq (``settle``), so the
   row never flickers back to the old value in between; an answer with no
   ``seq`` (a backend without seq) is handed to the store (``Confirmed``).
4. A refusal rolls the overlay back and leaves a ``Rollback`` on the row
   (``row_status(...).error``; for messages ``compose_status()``) until it is
   dismissed or a new command is made on that row: 409 conflict, 422 invalid,
   404 not found, 401 (and ``LoggedOut``: the token is dead), 5xx, a network
   error, a timeout (the owner times requests out and reports
   ``http_failed(id, TIMEOUT)``). 5xx, network errors and timeouts are
   ``retryable``: ``retry(command_id)`` sends the same key again.
5. Outputs are drained from ``actions()``: ``Request`` (to send),
   ``Touched`` (rows to redraw), ``Confirmed`` (server state to store),
   ``LoggedOut``. Nothing here does I/O or reads a clock except ``now_iso``
   (the time shown on a message being sent).
"""

from __future__ import annotations

import json
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any, Callable, Optional, Union
from urllib.parse import quote

from pydantic import ValidationError

from app.models import (
    MAX_BODY_CHARS,
    MAX_ID_CHARS,
    Communication,
    CommunicationResult,
    Delivery,
    DeliveryStatus,
    DeliveryUpdate,
    Event,
    NewCommunication,
    PatchResult,
    sent_fields,
)
from app.store import Changes, Store

MAX_QUEUE = 50
#: ``http_failed(request_id, TIMEOUT)`` means the owner gave up waiting.
TIMEOUT = "timeout"


def new_key() -> str:
    return uuid.uuid4().hex


class Kind(StrEnum):
    SET_STATUS = "set_status"
    ASSIGN = "assign"
    SEND_MESSAGE = "send_message"


class Phase(StrEnum):
    QUEUED = "queued"  # waiting to be sent (offline, or behind another)
    SENT = "sent"  # request under way
    CONFIRMED = "confirmed"  # the server said yes; overlay kept until the store has the seq
    FAILED = "failed"  # rolled back; kept only while retryable and its error is shown


class Reason(StrEnum):
    """Why a command was rolled back (``Rollback.reason``)."""

    CONFLICT = "conflict"  # 409
    INVALID = "invalid"  # 422
    NOT_FOUND = "not_found"  # 404
    UNAUTHORIZED = "unauthorized"  # 401
    SERVER_ERROR = "server_error"  # 5xx
    REJECTED = "rejected"  # any other status
    NETWORK = "network"  # no answer: the request failed
    TIMEOUT = "timeout"  # no answer in time


_RETRYABLE = frozenset({Reason.SERVER_ERROR, Reason.NETWORK, Reason.TIMEOUT})
_BY_STATUS = {401: Reason.UNAUTHORIZED, 404: Reason.NOT_FOUND, 409: Reason.CONFLICT, 422: Reason.INVALID}
_TEXT = {
    Reason.CONFLICT: "The server refused the change: the delivery changed meanwhile (for example it is already closed).",
    Reason.INVALID: "The server refused the change as invalid.",
    Reason.NOT_FOUND: "The server does not know this delivery any more.",
    Reason.UNAUTHORIZED: "Your session has expired: log in again.",
    Reason.SERVER_ERROR: "The server failed to make the change; retrying is safe.",
    Reason.REJECTED: "The server refused the change.",
    Reason.NETWORK: "Not confirmed: the request failed on the network; retrying is safe.",
    Reason.TIMEOUT: "No answer in time: the change may or may not have been made; retrying is safe.",
}


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
class Rollback:
    """Why a command was undone: plain text for the UI (never markup), and whether ``retry`` may help."""

    command_id: str
    kind: Kind
    delivery_id: Optional[str]
    reason: Reason
    message: str
    status: Optional[int]
    retryable: bool


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
    """A 401: the token is no longer valid."""


Output = Union[Request, Touched, Confirmed, LoggedOut]


@dataclass(eq=False)
class Command:
    id: str  # also the Idempotency-Key
    kind: Kind
    delivery_id: Optional[str]  # the row (None for a message not about a delivery)
    fields: dict  # the overlay: {"status": ...} / {"assignedTo": ...}; a message's {"to", "body", "deliveryId"}
    sent_at: str = ""  # messages: shown while pending
    phase: Phase = Phase.QUEUED
    attempts: int = 0
    seq: Optional[int] = None  # from the REST answer
    communication: Optional[Communication] = None  # messages: the server's copy, from the REST answer
    request_ids: set = field(default_factory=set)

    @property
    def row(self) -> str:
        """The row a rollback is shown on: the delivery id, or COMPOSE for a message."""
        return COMPOSE if self.kind is Kind.SEND_MESSAGE else self.delivery_id

    @property
    def communication_id(self) -> Optional[str]:
        return self.communication.id if self.communication is not None else None


#: The row key of the message form (not a valid id: ids are non-empty).
COMPOSE = ""


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _valid_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_CHARS


class Commands:
    """The optimistic command queue; see the rules above."""

    def __init__(
        self,
        *,
        id_factory: Callable[[], str] = new_key,
        max_queue: int = MAX_QUEUE,
        sender: str = "me",
        now_iso: Callable[[], str] = _now_iso,
    ) -> None:
        self._new_id = id_factory
        self.max_queue = max_queue
        self.sender = sender
        self._now_iso = now_iso
        self._live: dict[str, Command] = {}  # QUEUED, SENT, CONFIRMED, in the order made
        self._queue: deque[Command] = deque()  # QUEUED, in order
        self._in_flight: Optional[Command] = None
        self._by_request: dict[str, Command] = {}
        self._errors: dict[str, Rollback] = {}  # row -> last rollback
        self._failed: dict[str, Command] = {}  # retryable, while its error is shown
        self._online = False
        self._outputs: list[Output] = []
        self._request_count = 0

    # --- making commands ---------------------------------------------------------

    def set_status(self, delivery_id: str, status: str) -> Union[Accepted, Refused]:
        if not _valid_id(delivery_id):
            return Refused("invalid", "Not a delivery id.")
        try:
            value = DeliveryStatus(status)
        except ValueError:
            return Refused("invalid", f"Not a delivery status: {str(status)[:40]!r}.")
        return self._make(Kind.SET_STATUS, delivery_id, {"status": value})

    def assign(self, delivery_id: str, staff_id: Optional[str]) -> Union[Accepted, Refused]:
        """Assign the delivery to ``staff_id``, or unassign it with None."""
        if not _valid_id(delivery_id) or not (staff_id is None or _valid_id(staff_id)):
            return Refused("invalid", "Not a delivery or staff id.")
        return self._make(Kind.ASSIGN, delivery_id, {"assignedTo": staff_id})

    def send_message(self, to: str, body: str, delivery_id: Optional[str] = None) -> Union[Accepted, Refused]:
        if not _valid_id(to) or not (delivery_id is None or _valid_id(delivery_id)):
            return Refused("invalid", "Not a valid recipient or delivery id.")
        if not isinstance(body, str) or not body.strip():
            return Refused("invalid", "The message is empty.")
        if len(body) > MAX_BODY_CHARS:
            return Refused("invalid", f"The message is longer than {MAX_BODY_CHARS} characters.")
        fields = {"to": to, "body": body, "deliveryId": delivery_id}
        return self._make(Kind.SEND_MESSAGE, delivery_id, fields, sent_at=self._now_iso())

    def _make(self, kind: Kind, delivery_id: Optional[str], fields: dict, sent_at: str = "") -> Union[Accepted, Refused]:
        if len(self._queue) >= self.max_queue:
            return Refused(
                "queue_full",
                f"{len(self._queue)} changes are already waiting for the connection; "
                "this one was not made. Try again once they are sent.",
            )
        command = Command(self._new_id(), kind, delivery_id, fields, sent_at=sent_at)
        self._clear_row(command.row)
        self._enqueue(command)
        return Accepted(command.id)

    def _enqueue(self, command: Command) -> None:
        command.phase = Phase.QUEUED
        self._live[command.id] = command
        self._queue.append(command)
        self._touch(command)
        self._pump()

    def retry(self, command_id: str) -> Union[Accepted, Refused]:
        """Send a rolled-back command again, with the same Idempotency-Key."""
        command = self._failed.get(command_id)
        if command is None:
            return Refused("not_retryable", "There is nothing to retry for this change.")
        if len(self._queue) >= self.max_queue:
            return Refused("queue_full", "Too many changes are waiting for the connection.")
        del self._failed[command_id]
        self._clear_row(command.row)
        self._enqueue(command)
        return Accepted(command.id)

    def dismiss(self, command_id: str) -> None:
        """The user read the rollback: forget it (and the chance to retry it)."""
        for row, error in list(self._errors.items()):
            if error.command_id == command_id:
                self._clear_row(row)

    def _clear_row(self, row: str) -> None:
        error = self._errors.pop(row, None)
        if error is not None:
            self._failed.pop(error.command_id, None)
            self._touch_row(row, error.command_id)

    # --- sending -----------------------------------------------------------------

    def set_online(self, online: bool) -> None:
        """Connected and in sync (send the queue), or not (hold it)."""
        self._online = online
        self._pump()

    def _pump(self) -> None:
        if not self._online or self._in_flight is not None or not self._queue:
            return
        command = self._queue.popleft()
        command.phase = Phase.SENT
        command.attempts += 1
        self._request_count += 1
        request_id = f"cmd-{self._request_count}"
        command.request_ids.add(request_id)
        self._by_request[request_id] = command
        self._in_flight = command
        headers = {"Idempotency-Key": command.id}
        if command.kind is Kind.SEND_MESSAGE:
            body = {k: v for k, v in command.fields.items() if v is not None}
            self._emit(Request(request_id, "POST", "/communications", body, headers))
        else:
            body = {k: (v.value if isinstance(v, StrEnum) else v) for k, v in command.fields.items()}
            path = f"/deliveries/{quote(command.delivery_id, safe='')}"
            self._emit(Request(request_id, "PATCH", path, body, headers))
        self._touch(command)

    def owns(self, request_id: str) -> bool:
        return request_id in self._by_request

    # --- answers -----------------------------------------------------------------

    def http_answered(self, request_id: str, status: int, body_text: str) -> None:
        command = self._by_request.pop(request_id, None)
        if command is None:
            return
        if command.phase is not Phase.SENT or request_id not in command.request_ids:
            return  # confirmed by its event already, or a late answer to an attempt that was given up
        if 200 <= status < 300:
            self._succeeded(command, body_text)
        else:
            reason = _BY_STATUS.get(status) or (Reason.SERVER_ERROR if status >= 500 else Reason.REJECTED)
            if reason is Reason.UNAUTHORIZED:
                self._emit(LoggedOut())
            self._fail(command, reason, status, _server_says(body_text))
        self._release(command)

    def http_failed(self, request_id: str, error: str) -> None:
        """No answer: a network error, or ``TIMEOUT`` when the owner stopped waiting."""
        command = self._by_request.pop(request_id, None)
        if command is None or command.phase is not Phase.SENT:
            return
        reason = Reason.TIMEOUT if error == TIMEOUT else Reason.NETWORK
        self._fail(command, reason, None, "" if error == TIMEOUT else str(error)[:200])
        self._release(command)

    def _succeeded(self, command: Command, body_text: str) -> None:
        model = CommunicationResult if command.kind is Kind.SEND_MESSAGE else PatchResult
        try:
            result = model.model_validate_json(body_text)
        except (ValidationError, ValueError):
            result = None  # the server said yes; its event will bring the state
        if result is None:
            self._done(command)
            return
        if command.kind is Kind.SEND_MESSAGE:
            command.communication = result.communication
            if result.seq is None:
                self._emit(Confirmed(communication=result.communication))
                self._done(command)
                return
        elif result.seq is None:
            self._emit(Confirmed(delivery=result.delivery))
            self._done(command)
            return
        command.seq = result.seq
        command.phase = Phase.CONFIRMED
        self._touch(command)

    def _fail(self, command: Command, reason: Reason, status: Optional[int], detail: str) -> None:
        message = _TEXT[reason]
        if status is not None and reason in (Reason.SERVER_ERROR, Reason.REJECTED):
            message += f" (HTTP {status})"
        if detail:
            message += f" Server: {detail}" if status is not None else f" ({detail})"
        retryable = reason in _RETRYABLE
        error = Rollback(command.id, command.kind, command.delivery_id, reason, message, status, retryable)
        self._clear_row(command.row)
        self._errors[command.row] = error
        if retryable:
            self._failed[command.id] = command
        command.phase = Phase.FAILED
        self._live.pop(command.id, None)
        self._touch(command)

    def _done(self, command: Command) -> None:
        self._live.pop(command.id, None)
        self._touch(command)

    def _release(self, command: Command) -> None:
        if self._in_flight is command:
            self._in_flight = None
        for request_id in command.request_ids:
            self._by_request.pop(request_id, None)
        self._pump()

    # --- confirmation by the store ---------------------------------------------------

    def event_applied(self, event: Event) -> None:
        """An event the store applied: it confirms the first sent command carrying the same change."""
        for command in list(self._live.values()):
            if command.phase is Phase.SENT and _carries(event, command):
                self._done(command)
                self._release(command)
                return

    def settle(self, store: Store) -> None:
        """After the store changed: drop the overlays it now holds (rule 3)."""
        last = store.last_seq
        for command in list(self._live.values()):
            if command.phase is not Phase.CONFIRMED:
                continue
            if (last is not None and last >= command.seq) or (
                command.communication_id is not None and store.communication(command.communication_id) is not None
            ):
                self._done(command)

    # --- views -------------------------------------------------------------------

    def effective(self, delivery: Delivery) -> Delivery:
        """``delivery`` (confirmed) with the overlays of its unconfirmed commands, oldest first."""
        if not self._live:
            return delivery
        update: dict[str, Any] = {}
        for command in self._live.values():
            if command.delivery_id == delivery.id and command.kind is not Kind.SEND_MESSAGE:
                update.update(command.fields)
        return delivery.model_copy(update=update) if update else delivery

    def has_overlay(self, delivery_id: str) -> bool:
        return any(c.delivery_id == delivery_id and c.kind is not Kind.SEND_MESSAGE for c in self._live.values())

    def row_status(self, delivery_id: str) -> RowStatus:
        pending = any(
            c.delivery_id == delivery_id and c.kind is not Kind.SEND_MESSAGE and c.phase is not Phase.CONFIRMED
            for c in self._live.values()
        )
        return RowStatus(pending, self._errors.get(delivery_id))

    def compose_status(self) -> RowStatus:
        pending = any(c.kind is Kind.SEND_MESSAGE and c.phase is not Phase.CONFIRMED for c in self._live.values())
        return RowStatus(pending, self._errors.get(COMPOSE))

    def messages(self) -> list[tuple[Communication, bool]]:
        """Messages being sent, newest first, each with ``pending`` (False once the server said yes).

        Until the server answers, a message is listed as ``pending-<key>`` from ``sender``; once it
        answered, as the server's copy (its id, sender and time) until the store holds it.
        """
        out = []
        for command in reversed(list(self._live.values())):
            if command.kind is not Kind.SEND_MESSAGE:
                continue
            communication = command.communication
            if communication is None:
                f = command.fields
                communication = Communication.model_construct(
                    id=f"pending-{command.id}", from_=self.sender, to=f["to"], body=f["body"],
                    sentAt=command.sent_at, deliveryId=f["deliveryId"],
                )
            out.append((communication, command.phase is not Phase.CONFIRMED))
        return out

    @property
    def queued(self) -> int:
        return len(self._queue)

    @property
    def unconfirmed(self) -> int:
        return sum(1 for c in self._live.values() if c.phase is not Phase.CONFIRMED)

    def actions(self) -> list[Output]:
        out, self._outputs = self._outputs, []
        return out

    # --- helpers -------------------------------------------------------------------

    def _emit(self, output: Output) -> None:
        self._outputs.append(output)

    def _touch(self, command: Command) -> None:
        if command.kind is Kind.SEND_MESSAGE:
            ids = {f"pending-{command.id}"}
            if command.communication_id:
                ids.add(command.communication_id)
            self._emit(Touched(Changes(communications=frozenset(ids))))
        else:
            self._emit(Touched(Changes(deliveries=frozenset({command.delivery_id}))))

    def _touch_row(self, row: str, command_id: str) -> None:
        if row == COMPOSE:
            self._emit(Touched(Changes(communications=frozenset({f"pending-{command_id}"}))))
        else:
            self._emit(Touched(Changes(deliveries=frozenset({row}))))


def _carries(event: Event, command: Command) -> bool:
    """Does ``event`` carry exactly the change ``command`` asked for?"""
    if command.kind is Kind.SEND_MESSAGE:
        if not isinstance(event, NewCommunication):
            return False
        c, f = event.communication, command.fields
        return (c.to, c.body, c.deliveryId) == (f["to"], f["body"], f["deliveryId"])
    if not isinstance(event, DeliveryUpdate) or event.deliveryId != command.delivery_id:
        return False
    sent = sent_fields(event.changes)
    return all(name in sent and sent[name] == value for name, value in command.fields.items())


def _server_says(body_text: str) -> str:
    """The server's own words about a refusal, as plain text (at most 200 characters)."""
    text = body_text or ""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("detail", "message", "error"):
            value = data.get(key)
            if isinstance(value, str):
                text = value
                break
            if value is not None:
                text = json.dumps(value)
                break
    return " ".join(text.split())[:200]
