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
   reused by every retry of it, after a reload and after a new sign-in of the
   same user, so the server applies it at most once. A command older than
   ``MAX_AGE_MS`` (24 h, the server's idempotency window) is never sent: it
   fails as ``EXPIRED``.
2. Commands leave in the order they were made, one request at a time, and
   only while online (connected, in sync, signed in); until then they wait in
   a FIFO queue of at most ``max_queue``. A full queue refuses the new command
   (``Refused``) and keeps the old ones: losing an old change silently would
   be worse than saying no to a new one.
3. A command is confirmed by its own REST answer, or by an event whose
   ``cause.idempotencyKey`` is its key (``event_applied``), never by someone
   else's identical change. Only a version-1 backend (no epoch, no causes:
   ``new_stream(None)`` and no event with a cause seen) falls back to the
   old rule: the first sent command whose change the event carries. After a
   REST answer with a ``seq`` the overlay stays until the store has applied
   that seq of that epoch, or a snapshot of a newer epoch is in (``settle``),
   so the row never flickers back; an answer with no ``seq`` (a backend
   without seq) is handed to the store (``Confirmed``).
4. A refusal rolls the overlay back and leaves a ``Rollback``: every failed
   command keeps its own (``failed()``, the outbox) until it is retried or
   discarded; the row (or, for messages, the form) shows the last one until
   dismissed or a new command is made there. 409 conflict, 422 invalid, 404
   not found, 5xx, a network error, a timeout (the owner times requests out
   and reports ``http_failed(id, TIMEOUT)``). 5xx, network errors and
   timeouts are ``retryable``: ``retry(command_id)`` sends the same key again.
5. A 401 is not a failure of the command: it goes back to the head of the
   queue and waits for the next sign-in (``LoggedOut``). ``suspend()`` does the
   same for a request under way when the session ends by other means.
6. ``set_aside()`` hands over (and forgets) every unconfirmed command, for
   another user's sign-in; ``adopt()`` takes back a stored one (a reload, a
   return). ``discard()`` drops a failed or waiting one for good.
7. Outputs are drained from ``actions()``: ``Request`` (to send),
   ``Touched`` (rows to redraw), ``Confirmed`` (server state to store),
   ``LoggedOut``. ``version`` changes whenever the outbox does. Nothing here
   does I/O; the clock is injected.
"""

from __future__ import annotations

import time
from collections import deque
from enum import StrEnum
from typing import Any, Callable, Optional, Union
from urllib.parse import quote

from pydantic import ValidationError

from app.command import (
    COMPOSE,
    MAX_AGE_MS,
    MAX_QUEUE,
    TIMEOUT,
    Accepted,
    Command,
    Confirmed,
    LoggedOut,
    Output,
    Phase,
    Refused,
    Request,
    RowStatus,
    Touched,
    iso_of,
    new_key,
)
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
from app.rollback import INVALID_JSON, Kind, Reason, Rollback, read_json, rollback_for, server_says
from app.store import Changes, Store

__all__ = [
    "Commands", "Command", "Kind", "Phase", "Reason", "Rollback", "RowStatus", "Accepted", "Refused",
    "Request", "Touched", "Confirmed", "LoggedOut", "MAX_QUEUE", "MAX_AGE_MS", "TIMEOUT", "COMPOSE", "new_key",
]


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
        wall_clock: Callable[[], float] = lambda: time.time() * 1000,
        now_iso: Optional[Callable[[], str]] = None,
    ) -> None:
        self._new_id = id_factory
        self.max_queue = max_queue
        self.sender = sender
        self._wall_clock = wall_clock
        self._now_iso = now_iso or (lambda: iso_of(wall_clock()))
        self._live: dict[str, Command] = {}  # QUEUED, SENT, CONFIRMED, in the order made
        self._queue: deque[Command] = deque()  # QUEUED, in order
        self._in_flight: Optional[Command] = None
        self._by_request: dict[str, Command] = {}
        self._errors: dict[str, Rollback] = {}  # row -> the rollback it shows
        self._failed: dict[str, tuple[Command, Rollback]] = {}  # every failed command, until retried or discarded
        self._online = False
        self._paused = False  # signed out (rule 5): nothing leaves until resume()
        self._outputs: list[Output] = []
        self._request_count = 0
        #: The stream (epoch) events and seqs belong to; ``by_cause``: confirm only by cause (rule 3).
        self.epoch: Optional[str] = None
        self.by_cause = False
        #: Changes whenever what the outbox shows (or stores) may have changed.
        self.version = 0
        #: 2xx answers whose body was not the answer the protocol promises (for diagnostics).
        self.invalid_answers = 0

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
        return self._make(Kind.SEND_MESSAGE, delivery_id, fields)

    def _make(self, kind: Kind, delivery_id: Optional[str], fields: dict) -> Union[Accepted, Refused]:
        if len(self._queue) >= self.max_queue:
            return Refused(
                "queue_full",
                f"{len(self._queue)} changes are already waiting for the connection; "
                "this one was not made. Try again once they are sent.",
            )
        command = Command(self._new_id(), kind, delivery_id, fields, self._now_iso(), self._wall_clock())
        self._clear_row(command.row)
        self._enqueue(command)
        return Accepted(command.id)

    def _enqueue(self, command: Command, *, first: bool = False) -> None:
        command.phase = Phase.QUEUED
        self._live[command.id] = command
        if first:
            self._queue.appendleft(command)
        else:
            self._queue.append(command)
        self._touch(command)
        self._pump()

    def retry(self, command_id: str) -> Union[Accepted, Refused]:
        """Send a failed command again, with the same Idempotency-Key."""
        entry = self._failed.get(command_id)
        if entry is None or not entry[1].retryable:
            return Refused("not_retryable", "There is nothing to retry for this change.")
        if len(self._queue) >= self.max_queue:
            return Refused("queue_full", "Too many changes are waiting for the connection.")
        command, _ = self._forget_failed(command_id)
        self._enqueue(command)
        return Accepted(command.id)

    def discard(self, command_id: str) -> bool:
        """Drop a failed or waiting command for good (its overlay goes); False if there is none such."""
        if command_id in self._failed:
            command, _ = self._forget_failed(command_id)
            self._touch(command)
            return True
        command = self._live.get(command_id)
        if command is None or command.phase is not Phase.QUEUED:
            return False  # under way or confirmed: it cannot be taken back
        self._queue.remove(command)
        del self._live[command_id]
        self._touch(command)
        return True

    def dismiss(self, command_id: str) -> None:
        """The user read the rollback and closed it: forget it, and the failed command with it."""
        if command_id in self._failed:
            self.discard(command_id)
        for row, error in list(self._errors.items()):
            if error.command_id == command_id:
                self._clear_row(row)

    def _forget_failed(self, command_id: str) -> tuple[Command, Rollback]:
        command, error = self._failed.pop(command_id)
        if self._errors.get(command.row) is error:
            self._clear_row(command.row)
        self.version += 1
        return command, error

    def _clear_row(self, row: str) -> None:
        error = self._errors.pop(row, None)
        if error is not None:
            self._touch_row(row, error.command_id)

    # --- sending -----------------------------------------------------------------

    def set_online(self, online: bool) -> None:
        """Connected, in sync and signed in (send the queue), or not (hold it)."""
        self._online = online
        self._pump()

    def _pump(self) -> None:
        while self._online and not self._paused and self._in_flight is None and self._queue:
            command = self._queue.popleft()
            if self._wall_clock() - command.made_ms > MAX_AGE_MS:
                self._fail(command, rollback_for(command.id, command.kind, command.delivery_id, None, "",
                                                 Reason.EXPIRED))
                continue
            self._send(command)

    def _send(self, command: Command) -> None:
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

    def suspend(self) -> None:
        """The session ended: hold the queue until ``resume``; a request under way goes back to its head."""
        self._paused = True
        command = self._in_flight
        if command is not None:
            self._in_flight = None
            for request_id in command.request_ids:
                self._by_request.pop(request_id, None)
            if command.phase is Phase.SENT:
                self._enqueue(command, first=True)

    def resume(self) -> None:
        """Signed in again: the queue may leave (once online)."""
        self._paused = False
        self._pump()

    # --- answers -----------------------------------------------------------------

    def http_answered(self, request_id: str, status: int, body_text: str) -> None:
        command = self._by_request.pop(request_id, None)
        if command is None:
            return
        if command.phase is not Phase.SENT or request_id not in command.request_ids:
            return  # confirmed by its event already, or a late answer to an attempt that was given up
        if 200 <= status < 300:
            self._succeeded(command, body_text)
        elif status == 401:  # rule 5: not the command's fault
            self._emit(LoggedOut())
            self._paused = True
            self._release(command)
            self._enqueue(command, first=True)
            return
        else:
            detail = server_says(body_text)
            if body_text and read_json(body_text) is INVALID_JSON:
                self.invalid_answers += 1
            self._fail(command, rollback_for(command.id, command.kind, command.delivery_id, status, detail))
        self._release(command)

    def http_failed(self, request_id: str, error: str) -> None:
        """No answer: a network error, or ``TIMEOUT`` when the owner stopped waiting."""
        command = self._by_request.pop(request_id, None)
        if command is None or command.phase is not Phase.SENT:
            return
        reason = Reason.TIMEOUT if error == TIMEOUT else Reason.NETWORK
        detail = "" if error == TIMEOUT else " ".join(str(error).split())[:200]
        self._fail(command, rollback_for(command.id, command.kind, command.delivery_id, None, detail, reason))
        self._release(command)

    def _succeeded(self, command: Command, body_text: str) -> None:
        model = CommunicationResult if command.kind is Kind.SEND_MESSAGE else PatchResult
        try:
            result = model.model_validate_json(body_text or "")
        except (ValidationError, ValueError, RecursionError):
            result = None
        if result is None:  # the server said yes; its event will bring the state
            self.invalid_answers += 1
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
        command.epoch = self.epoch
        command.phase = Phase.CONFIRMED
        self._touch(command)

    def _fail(self, command: Command, error: Rollback) -> None:
        self._clear_row(command.row)
        self._errors[command.row] = error
        self._failed[command.id] = (command, error)
        command.phase = Phase.FAILED
        self._live.pop(command.id, None)
        self._touch(command)

    def _done(self, command: Command) -> None:
        self._live.pop(command.id, None)
        if command.phase is Phase.QUEUED:
            self._queue.remove(command)
        command.phase = Phase.CONFIRMED
        self._touch(command)

    def _release(self, command: Command) -> None:
        if self._in_flight is command:
            self._in_flight = None
        for request_id in command.request_ids:
            self._by_request.pop(request_id, None)
        self._pump()

    # --- confirmation by the store ---------------------------------------------------

    def new_stream(self, epoch: Optional[str]) -> None:
        """A welcome: its epoch (None from a version-1 backend). An epoch means causes confirm (rule 3)."""
        self.epoch = epoch
        if epoch is not None:
            self.by_cause = True

    def event_applied(self, event: Event) -> None:
        """An event the store applied: it confirms the command whose key its cause carries (rule 3)."""
        cause = getattr(event, "cause", None)
        if cause is not None:
            self.by_cause = True
            key = cause.idempotencyKey
            command = self._live.get(key)
            if command is not None and command.phase in (Phase.QUEUED, Phase.SENT):
                in_flight = self._in_flight is command
                self._done(command)  # a queued one was applied before a reload or a sign-in
                if in_flight:
                    self._release(command)
            elif key in self._failed:  # it failed for want of an answer, yet it was made
                command, _ = self._forget_failed(key)
                self._touch(command)
            return
        if self.by_cause:
            return  # someone else's change, however similar
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
            if command.epoch != self.epoch:
                held = not store.loading  # a snapshot of the new stream is in: it holds the change
            else:
                held = last is not None and last >= command.seq
            if held or (
                command.communication_id is not None and store.communication(command.communication_id) is not None
            ):
                self._done(command)

    # --- a change of user, a reload --------------------------------------------------

    def set_aside(self) -> list[tuple[Command, Optional[Rollback]]]:
        """Hand over and forget every unconfirmed and failed command (another user signs in)."""
        taken = self.outbox()
        self._in_flight = None
        self._by_request.clear()
        self._queue.clear()
        for command in list(self._live.values()):
            self._touch(command)
        self._live.clear()
        for command, _ in self._failed.values():
            self._touch(command)
        self._failed.clear()
        for row, error in list(self._errors.items()):
            self._touch_row(row, error.command_id)
        self._errors.clear()
        self.version += 1
        return [(command, error) for command, error, _ in taken]

    def adopt(self, command: Command, error: Optional[Rollback] = None) -> bool:
        """Take back a stored command (a reload, a user's return); False if its key is already here."""
        if command.id in self._live or command.id in self._failed:
            return False
        if error is not None:
            command.phase = Phase.FAILED
            self._failed[command.id] = (command, error)
            self._touch(command)
        else:
            self._enqueue(command)
        return True

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
                    sentAt=command.made_at, deliveryId=f["deliveryId"],
                )
            out.append((communication, command.phase is not Phase.CONFIRMED))
        return out

    def outbox(self) -> list[tuple[Command, Optional[Rollback], str]]:
        """Every command not confirmed, in the order made, failed ones last: (command, rollback, state).

        ``state``: "waiting" (not sent yet), "sending" (sent, no answer yet), "failed" (waits for the user).
        """
        out: list[tuple[Command, Optional[Rollback], str]] = []
        for command in self._live.values():
            if command.phase is Phase.QUEUED:
                out.append((command, None, "waiting"))
            elif command.phase is Phase.SENT:
                out.append((command, None, "sending"))
        out.extend((command, error, "failed") for command, error in self._failed.values())
        return out

    def failed(self) -> list[Rollback]:
        return [error for _, error in self._failed.values()]

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
        self.version += 1
        if command.kind is Kind.SEND_MESSAGE:
            ids = {f"pending-{command.id}"}
            if command.communication_id:
                ids.add(command.communication_id)
            self._emit(Touched(Changes(communications=frozenset(ids))))
        else:
            self._emit(Touched(Changes(deliveries=frozenset({command.delivery_id}))))

    def _touch_row(self, row: str, command_id: str) -> None:
        self.version += 1
        if row == COMPOSE:
            self._emit(Touched(Changes(communications=frozenset({f"pending-{command_id}"}))))
        else:
            self._emit(Touched(Changes(deliveries=frozenset({row}))))


def _carries(event: Event, command: Command) -> bool:
    """Does ``event`` carry exactly the change ``command`` asked for? (version-1 backends only)"""
    if command.kind is Kind.SEND_MESSAGE:
        if not isinstance(event, NewCommunication):
            return False
        c, f = event.communication, command.fields
        return (c.to, c.body, c.deliveryId) == (f["to"], f["body"], f["deliveryId"])
    if not isinstance(event, DeliveryUpdate) or event.deliveryId != command.delivery_id:
        return False
    sent = sent_fields(event.changes)
    return all(name in sent and sent[name] == value for name, value in command.fields.items())
