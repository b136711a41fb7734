"""Fault injection: the state the server consults, and the /_control/ routes that set it.

    curl -X POST localhost:8000/_control/drop -H 'X-DC-Control: 1' -d '{"code": null}'   # cut every socket

Mounted only with ``--faults`` (otherwise every /_control/ path is a 404),
never authenticated: for tests on the loopback interface only. Every call
needs the header ``X-DC-Control: 1`` (else 403; security.py), which no web
page can send cross-site without a preflight the stub never grants. Each POST
takes a JSON object and answers one; see ``router`` below for the shapes.
The ``Faults`` object exists either way, inert, so the socket and REST code
need no branches.

Tests call these routes through ``server_stub.testing.control`` (in-process)
or ``tests/e2e/harness.Stub.control`` (a real server), never by hand.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator, model_validator

from app.models import (
    MAX_KEY_CHARS, DeliveryUpdate, Id, NewCommunication, StaffLocationUpdate, StaffStatusUpdate, ZoneUpdate,
)

from .commands import execute, fingerprint
from .hub import ABORT
from .pacing import paced
from .rest import patch_run
from .world import Refused, first_error

EMITTABLE = TypeAdapter(DeliveryUpdate | StaffStatusUpdate | ZoneUpdate | NewCommunication | StaffLocationUpdate)
#: Close codes a server may put in a close frame (RFC 6455 7.4; 1004-1006 and 1015 are reserved).
SENDABLE = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}


@dataclass(frozen=True)
class CommandFailure:
    """The answer a failing command gets instead of its own; ``applied``: made anyway
    (the change happened, its answer was lost on the way back)."""

    status: int
    body: bytes
    media_type: str
    applied: bool

    def response(self) -> Response:
        return Response(self.body, self.status, media_type=self.media_type)


class Faults:
    def __init__(self) -> None:
        self.refuse_until = 0.0  # time.monotonic()
        self.silenced = False
        self.snapshot_delay_ms = 0
        self.command_failures = 0
        self.command_failure: CommandFailure | None = None

    def refusing(self) -> bool:
        return time.monotonic() < self.refuse_until

    def next_command_failure(self) -> CommandFailure | None:
        """The failure this command answers with, if the ``fail_commands`` fault has one left."""
        if self.command_failures <= 0 or self.command_failure is None:
            return None
        self.command_failures -= 1
        return self.command_failure


def nested_json(depth: int) -> bytes:
    """``[[[...]]]``, ``depth`` levels deep: valid JSON that a recursive parser chokes on, built flat."""
    return b"[" * depth + b"]" * depth


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Drop(Body):
    code: int | None = None

    @field_validator("code")
    @classmethod
    def _sendable(cls, code: int | None) -> int | None:
        if code is not None and code not in SENDABLE and not 3000 <= code <= 4999:
            raise ValueError("a close code a server may send: 1000-1003, 1007-1014 or 3000-4999")
        return code


class Refuse(Body):
    seconds: float = Field(ge=0, le=3600)


class Silence(Body):
    on: bool


class Raw(Body):
    frame: str


class Emit(Body):
    event: dict
    broadcast: bool = True


class Rate(Body):
    eventsPerSecond: float = Field(ge=0, le=100_000)


class SnapshotDelay(Body):
    ms: int = Field(ge=0, le=600_000)


class Stream(Body):
    rate: float = Field(gt=0, le=100_000)
    seconds: float = Field(gt=0, le=3600)


class Revoke(Body):
    #: Only this user's tokens and sockets; absent: everyone's.
    userId: Id | None = None


class TokenTtl(Body):
    seconds: float = Field(gt=0, le=366 * 86_400)


class Restart(Drop):
    #: How the sockets of the old history end: 1012 (service restart) unless given; null aborts.
    code: int | None = 1012


class FailCommands(Body):
    """The next ``count`` PATCH/POST command answers: ``status`` with one body, either
    ``body`` (any JSON), ``nestedDepth`` (``[[[...]]]``) or ``text`` (text/plain)."""

    count: int = Field(ge=0, le=1_000_000)
    status: int = Field(ge=400, le=599)
    body: Any = None
    nestedDepth: int | None = Field(default=None, ge=1, le=1_000_000)
    text: str | None = Field(default=None, max_length=1_000_000)
    applied: bool = False

    @model_validator(mode="after")
    def _one_body(self):
        if len({"body", "nestedDepth", "text"} & self.model_fields_set) > 1:
            raise ValueError("give at most one of body, nestedDepth and text")
        return self

    def failure(self) -> CommandFailure:
        if self.nestedDepth is not None:
            return CommandFailure(self.status, nested_json(self.nestedDepth), "application/json", self.applied)
        if self.text is not None:
            return CommandFailure(self.status, self.text.encode(), "text/plain; charset=utf-8", self.applied)
        body = self.body if "body" in self.model_fields_set else {"detail": f"injected failure ({self.status})"}
        return CommandFailure(self.status, json.dumps(body).encode(), "application/json", self.applied)


class ApplyAs(Body):
    """A PATCH made by another user (``userId``, any id) with that user's key."""

    userId: Id
    idempotencyKey: str = Field(min_length=1, max_length=MAX_KEY_CHARS)
    deliveryId: Id
    patch: dict


router = APIRouter(prefix="/_control")


def stub_of(request: Request):
    return request.app.state.stub


@router.post("/drop")
async def drop(body: Drop, request: Request) -> dict:
    """null: cut every socket with no close frame; an int: close every socket with it."""
    return {"sockets": stub_of(request).hub.end_all(ABORT if body.code is None else body.code, "dropped")}


@router.post("/refuse")
async def refuse(body: Refuse, request: Request) -> dict:
    """Answer new WebSocket handshakes with HTTP 403 for ``seconds``."""
    stub_of(request).faults.refuse_until = time.monotonic() + body.seconds
    return {"refusingFor": body.seconds}


@router.post("/silence")
async def silence(body: Silence, request: Request) -> dict:
    """While on, sockets send nothing (no pong, no event); events still enter the journal."""
    stub_of(request).faults.silenced = body.on
    return {"silenced": body.on}


@router.post("/raw")
async def raw(body: Raw, request: Request) -> dict:
    return {"sockets": stub_of(request).hub.send_raw(body.frame)}


@router.post("/emit")
async def emit(body: Emit, request: Request) -> dict:
    """Apply one event (its seq, if any, is replaced by the next); ``broadcast: false``
    keeps it from live sockets (a seq gap for them) but not from replay or snapshot."""
    event_dict = {k: v for k, v in body.event.items() if k != "seq"}
    try:
        event = EMITTABLE.validate_python(event_dict)
    except ValidationError as exc:
        raise HTTPException(422, f"not an event: {first_error(exc)}") from None
    try:
        recorded = stub_of(request).world.apply_event(event, publish=body.broadcast)
    except Refused as exc:
        raise HTTPException(exc.status, exc.detail) from None
    return {"seq": recorded.seq, "broadcast": body.broadcast}


@router.post("/revoke")
async def revoke(request: Request, body: Revoke | None = None) -> dict:
    """Forget every token (or one user's): REST answers 401, their open sockets close with 4401."""
    stub = stub_of(request)
    if body is not None and body.userId is not None:
        tokens = stub.tokens.revoke_user(body.userId)
        return {"userId": body.userId, "tokens": tokens,
                "sockets": stub.hub.end_user(body.userId, 4401, "token revoked")}
    stub.tokens.revoke_all()
    return {"sockets": stub.hub.end_all(4401, "token revoked")}


@router.post("/token_ttl")
async def token_ttl(body: TokenTtl, request: Request) -> dict:
    """The lifetime of tokens issued from now on (login, refresh); issued ones keep theirs."""
    stub_of(request).tokens.ttl = body.seconds
    return {"seconds": body.seconds}


@router.post("/fail_commands")
async def fail_commands(body: FailCommands, request: Request) -> dict:
    """The next ``count`` command answers (PATCH /deliveries, POST /communications, any
    outcome) are this failure; ``applied: true`` makes the change first. 0 ends it."""
    faults = stub_of(request).faults
    faults.command_failures, faults.command_failure = body.count, body.failure()
    return {"count": body.count, "status": body.status, "applied": body.applied}


@router.post("/apply_as")
async def apply_as(body: ApplyAs, request: Request) -> dict:
    """Exactly what ``PATCH /api/deliveries/{deliveryId}`` by ``userId`` with ``Idempotency-Key:
    idempotencyKey`` would do (the same remembered answers; its event's cause names that
    user and key): "another user's identical change" for a test."""
    stub = stub_of(request)
    raw = json.dumps(body.patch).encode()
    path = f"/api/deliveries/{body.deliveryId}"
    status, answer, replayed = execute(stub, body.userId, body.idempotencyKey, fingerprint("PATCH", path, raw),
                                       lambda cause: patch_run(stub, body.deliveryId, raw, cause))
    return {"status": status, "answer": json.loads(answer), "replayed": replayed}


@router.post("/restart")
async def restart(request: Request, body: Restart | None = None) -> dict:
    """Begin the history again, as a restart without a journal would: a new epoch,
    nothing to resume from, seq from 0 (the world and the tokens are kept), and every
    socket closed (``code``, default 1012), so clients reconnect, see the new epoch and
    load a snapshot."""
    stub = stub_of(request)
    code = 1012 if body is None else body.code
    epoch = stub.world.journal.restart()
    sockets = stub.hub.end_all(ABORT if code is None else code, "server restarted")
    return {"epoch": epoch, "seq": stub.world.seq, "sockets": sockets}


@router.get("/applied")
async def applied(request: Request, userId: str | None = None) -> dict:
    """``{idempotency key: times it changed the world}``, over every user or ``?userId=``'s."""
    return stub_of(request).applied.by_key(userId)


@router.post("/rate")
async def rate(body: Rate, request: Request) -> dict:
    stub_of(request).rate = body.eventsPerSecond
    return {"eventsPerSecond": body.eventsPerSecond}


@router.post("/snapshot_delay")
async def snapshot_delay(body: SnapshotDelay, request: Request) -> dict:
    """Hold every /api/snapshot answer this long (0 ends it); the content is taken first."""
    stub_of(request).faults.snapshot_delay_ms = body.ms
    return {"ms": body.ms}


@router.post("/stream")
async def stream(body: Stream, request: Request) -> dict:
    """ETA updates on random open deliveries at ``rate`` per second for ``seconds``,
    on top of the simulation; a new stream replaces a running one."""
    stub = stub_of(request)
    if stub.stream_task is not None:
        stub.stream_task.cancel()
    stub.stream_task = asyncio.create_task(paced(lambda: body.rate, stub.world.touch, body.seconds))
    return {"rate": body.rate, "seconds": body.seconds}


@router.get("/stats")
async def stats(request: Request) -> dict:
    stub = stub_of(request)
    return stub.stats.as_dict(stub.world.seq) | {"epoch": stub.world.journal.epoch}


@router.post("/reset_stats")
async def reset_stats(request: Request) -> dict:
    """Zero the totals; maxOpenSockets restarts from the sockets open now."""
    stub = stub_of(request)
    stub.stats.reset()
    return stub.stats.as_dict(stub.world.seq)


# --- location bursts (the map's benchmark) ------------------------------------

#: Bounds of a /_control/locations burst: total events per second, and its length in seconds.
MAX_LOCATION_RATE = 5_000
MAX_LOCATION_SECONDS = 600


class Locations(Body):
    model_config = ConfigDict(extra="forbid", strict=True)

    rate: float = Field(ge=0, le=MAX_LOCATION_RATE)
    #: Needed when ``rate`` > 0; ignored when it is 0 (that ends a burst).
    seconds: float = Field(default=0, ge=0, le=MAX_LOCATION_SECONDS)

    @model_validator(mode="after")
    def _how_long(self):
        if self.rate > 0 and self.seconds <= 0:
            raise ValueError(f"seconds: how long the burst lasts, 0 < seconds <= {MAX_LOCATION_SECONDS}")
        return self


@router.post("/locations")
async def locations(body: Locations, request: Request) -> dict:
    """``staff_location_update`` events at ``rate`` per second in all for ``seconds``,
    round-robin over every staff member (tracking.py ``burst``), on top of the
    simulation; a new burst replaces a running one and ``rate: 0`` ends it. Each
    ``location.at`` is its send time to the millisecond. 409 from a version-1 stub."""
    stub = stub_of(request)
    if not stub.world.tracking.enabled:
        raise HTTPException(409, "this stub speaks PROTOCOL.md version 1 (--protocol 1): it has no location events")
    if stub.locations_task is not None:
        stub.locations_task.cancel()
        stub.locations_task = None
    if body.rate > 0:
        stub.locations_task = asyncio.create_task(paced(lambda: body.rate, stub.world.tracking.burst, body.seconds))
    return {"rate": body.rate, "seconds": body.seconds if body.rate > 0 else 0, "staff": len(stub.world.staff)}
# --- read-only state a test can wait on (instead of sleeping) -------------------------------------------


@router.get("/stream")
async def stream_state(request: Request) -> dict:
    """The last ``POST /_control/stream``: ``running`` while it emits; once it has ended,
    ``emitted``, how many events it made (null while running, cancelled or never started)."""
    task = stub_of(request).stream_task
    done = task is not None and task.done() and not task.cancelled() and task.exception() is None
    return {"running": task is not None and not task.done(), "emitted": task.result() if done else None}
