"""The durable outbox: a user's unconfirmed commands as stored entries, read back strictly, and what to show.

    >>> from app.command import Command
    >>> from app.rollback import Kind
    >>> command = Command("k1", Kind.SET_STATUS, "D-1", {"status": "picked_up"}, "2026-11-26T10:00:00Z", 0)
    >>> entry = entry_of(command, None, "waiting")
    >>> restored = restore([entry, {"v": 1, "kind": "teleport"}], now_ms=1000)
    >>> [c.id for c, _ in restored.commands], restored.invalid
    (['k1'], 1)
    >>> summary(command)
    'D-1: status to picked up'

PROTOCOL.md 2: unsent and unconfirmed commands survive a reload or a crashed
tab, per user, for at most 24 hours, and are sent again with their original
keys. The client emits ``SaveOutbox(user_id, entries)`` (the shell writes the
entries under ``storage_key(user_id)``; an empty tuple means delete) and takes
the stored entries back as ``outbox_entries``.

Rules:

1. An entry is a JSON-ready dict (``entry_of``), version ``ENTRY_VERSION``.
2. Storage is untrusted input: ``restore`` validates every entry strictly
   (a wrong type, an unknown kind or status, an over-long text, a key reused);
   a bad entry is dropped and counted (``Restored.invalid``), never raised.
   An entry made more than ``MAX_AGE_MS`` ago (24 h, the server's idempotency
   window) is dropped and counted (``Restored.expired``); so is any entry
   beyond ``MAX_ENTRIES``.
3. A restored entry that was "waiting" or "sending" waits again (a request
   of the closed page may or may not have reached the server: the same key
   makes the second one harmless); a "failed" one keeps its rollback text.
4. ``Published`` decides when to emit: ``SaveOutbox`` at most once per user
   per drain, when that user's entries changed; ``ShowOutbox(count, failed)``
   when what the outbox shows changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter

from app.command import MAX_AGE_MS, Command
from app.models import MAX_BODY_CHARS, MAX_KEY_CHARS, DeliveryStatus, Id, Lax, Text, Timestamp
from app.rollback import Kind, Reason, Rollback
from app.session import expires_ms
from app.wording import words

ENTRY_VERSION = 1
#: Stored entries read back at most (a queue holds 50; failed ones wait beside them).
MAX_ENTRIES = 500
STORAGE_PREFIX = "dc.outbox."
#: Characters of a message's body shown in its summary.
SUMMARY_CHARS = 60


def storage_key(user_id: str) -> str:
    """Where the shell keeps this user's entries (IndexedDB through ``pyscript.storage``)."""
    return STORAGE_PREFIX + user_id


# --- what the client emits and shows (re-exported by app.client) --------------------------


@dataclass(frozen=True)
class SaveOutbox:
    """Write ``entries`` (JSON-ready dicts) as this user's outbox; an empty tuple means delete."""

    user_id: str
    entries: tuple


@dataclass(frozen=True)
class ShowOutbox:
    """The outbox changed: ``count`` not confirmed (``data-count``), ``failed`` waiting for the user."""

    count: int
    failed: int


@dataclass(frozen=True)
class OutboxItem:
    """One line of the outbox panel; every text is plain (textContent)."""

    command_id: str
    kind: str  # set_status, assign, send_message
    delivery_id: Optional[str]
    summary: str
    state: str  # waiting, sending, failed
    error: Optional[str]
    retryable: bool
    made_at: str


# --- the stored form -----------------------------------------------------------------------

Key = Annotated[str, StringConstraints(min_length=1, max_length=MAX_KEY_CHARS)]


class _Stored(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    v: Literal[1]
    key: Key
    madeAt: Timestamp
    state: Literal["waiting", "sending", "failed"]
    reason: Optional[Annotated[Reason, Lax]] = None
    error: Optional[Text] = None
    httpStatus: Optional[Annotated[int, Field(ge=100, le=599)]] = None
    retryable: bool = False


class _StoredStatus(_Stored):
    kind: Literal["set_status"]
    deliveryId: Id
    status: Annotated[DeliveryStatus, Lax]


class _StoredAssign(_Stored):
    kind: Literal["assign"]
    deliveryId: Id
    assignedTo: Optional[Id]  # required: null means "unassign"


class _StoredMessage(_Stored):
    kind: Literal["send_message"]
    to: Id
    body: Annotated[str, StringConstraints(min_length=1, max_length=MAX_BODY_CHARS)]
    deliveryId: Optional[Id] = None


_ENTRY = TypeAdapter(Annotated[Union[_StoredStatus, _StoredAssign, _StoredMessage], Field(discriminator="kind")])


def entry_of(command: Command, error: Optional[Rollback], state: str) -> dict:
    """The JSON-ready stored form of one outbox command."""
    entry: dict[str, Any] = {"v": ENTRY_VERSION, "key": command.id, "kind": command.kind.value,
                             "madeAt": command.made_at, "state": state}
    fields = command.fields
    if command.kind is Kind.SEND_MESSAGE:
        entry.update(to=fields["to"], body=fields["body"], deliveryId=fields["deliveryId"])
    elif command.kind is Kind.SET_STATUS:
        entry.update(deliveryId=command.delivery_id, status=str(fields["status"]))
    else:
        entry.update(deliveryId=command.delivery_id, assignedTo=fields["assignedTo"])
    if error is not None:
        entry.update(reason=error.reason.value, error=error.message[:1000], httpStatus=error.status,
                     retryable=error.retryable)
    return entry


@dataclass(frozen=True)
class Restored:
    commands: tuple  # (Command, Optional[Rollback]) in the stored order
    invalid: int = 0
    expired: int = 0


def restore(entries: Any, now_ms: float) -> Restored:
    """Read stored entries back (rule 2); never raises."""
    try:
        items = list(entries or ())
    except Exception:  # not a list at all: storage is untrusted
        return Restored((), invalid=1)
    kept: list[tuple[Command, Optional[Rollback]]] = []
    keys: set[str] = set()
    invalid = expired = 0
    for item in items:
        if len(kept) >= MAX_ENTRIES:
            expired += 1
            continue
        try:
            stored = _ENTRY.validate_python(item)
            made_ms = expires_ms(stored.madeAt)
        except Exception:
            invalid += 1
            continue
        if made_ms is None or stored.key in keys or (stored.state == "failed") != (stored.reason is not None):
            invalid += 1
            continue
        if now_ms - made_ms > MAX_AGE_MS:
            expired += 1
            continue
        keys.add(stored.key)
        kept.append(_command_of(stored, made_ms))
    return Restored(tuple(kept), invalid, expired)


def _command_of(stored: _Stored, made_ms: float) -> tuple[Command, Optional[Rollback]]:
    kind = Kind(stored.kind)
    if isinstance(stored, _StoredMessage):
        fields = {"to": stored.to, "body": stored.body, "deliveryId": stored.deliveryId}
    elif isinstance(stored, _StoredStatus):
        fields = {"status": DeliveryStatus(stored.status)}
    else:
        fields = {"assignedTo": stored.assignedTo}
    command = Command(stored.key, kind, stored.deliveryId, fields, stored.madeAt, made_ms)
    error = None
    if stored.state == "failed":
        error = Rollback(stored.key, kind, stored.deliveryId, stored.reason, stored.error or "",
                         stored.httpStatus, stored.retryable)
    return command, error


# --- what to show -------------------------------------------------------------------------


def summary(command: Command) -> str:
    """A line for people: "D-1042: status to picked up", "Message to S-07: <first 60 chars>"."""
    fields = command.fields
    if command.kind is Kind.SEND_MESSAGE:
        body = " ".join(fields["body"].split())
        if len(body) > SUMMARY_CHARS:
            body = body[:SUMMARY_CHARS - 1] + "…"
        return f"Message to {fields['to']}: {body}"
    if command.kind is Kind.SET_STATUS:
        return f"{command.delivery_id}: status to {words(str(fields['status'])).lower()}"
    staff_id = fields["assignedTo"]
    return f"{command.delivery_id}: assign to {staff_id}" if staff_id else f"{command.delivery_id}: unassign"


def item_of(command: Command, error: Optional[Rollback], state: str) -> OutboxItem:
    return OutboxItem(
        command.id, command.kind.value, command.delivery_id, summary(command), state,
        error.message if error is not None else None, bool(error is not None and error.retryable), command.made_at,
    )


def set_aside_notice(count: int, name: str) -> str:
    changes = "1 change" if count == 1 else f"{count} changes"
    was = "was" if count == 1 else "were"
    return f"{changes} made by {name} {was} set aside and will be sent when {name} signs in again."


def dropped_notice(invalid: int, expired: int) -> Optional[str]:
    """What the user is told about stored changes that could not be restored (rule 2)."""
    parts = []
    if expired:
        parts.append(f"{expired} stored change{'s' if expired != 1 else ''} older than 24 hours "
                     f"{'were' if expired != 1 else 'was'} not sent")
    if invalid:
        parts.append(f"{invalid} stored change{'s' if invalid != 1 else ''} could not be read")
    return "; ".join(parts) + "." if parts else None


class Published:
    """Rule 4: remembers what was last saved per user and last shown, so each is emitted only on change."""

    def __init__(self) -> None:
        self._saved: dict[str, tuple] = {}
        self._shown: Optional[tuple] = None

    def save(self, user_id: Optional[str], entries: tuple, *, force: bool = False) -> Optional[SaveOutbox]:
        """The write to make for ``user_id`` (None: no user to keep them for); ``force``: even unchanged."""
        if user_id is None or (self._saved.get(user_id) == entries and not force):
            return None
        self._saved[user_id] = entries
        return SaveOutbox(user_id, entries)

    def show(self, items: list[OutboxItem]) -> Optional[ShowOutbox]:
        shown = tuple(items)
        if shown == self._shown:
            return None
        self._shown = shown
        return ShowOutbox(len(items), sum(1 for item in items if item.state == "failed"))
