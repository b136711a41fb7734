"""Fault injection: the state the server consults, and the /_control/ routes that set it.

    curl -X POST localhost:8000/_control/drop -H 'X-DC-Control: 1' -d '{"code": null}'   # cut every socket

Mounted only with ``--faults`` (otherwise every /_control/ path is a 404),
never authenticated: for tests on the loopback interface only. Every call
needs the header ``X-DC-Control: 1`` (else 403; security.py), which no web
page can send cross-site without a preflight the stub never grants. Each POST
takes a JSON object and answers one; see ``router`` below for the shapes.
The ``Faults`` object exists either way, inert, so the socket and REST code
need no branches.
"""

from __future__ import annotations

import asyncio
import time

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from app.models import DeliveryUpdate, NewCommunication, StaffStatusUpdate, ZoneUpdate

from .hub import ABORT
from .pacing import paced
from .world import Refused, first_error

EMITTABLE = TypeAdapter(DeliveryUpdate | StaffStatusUpdate | ZoneUpdate | NewCommunication)
#: Close codes a server may put in a close frame (RFC 6455 7.4; 1004-1006 and 1015 are reserved).
SENDABLE = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}


class Faults:
    def __init__(self) -> None:
        self.refuse_until = 0.0  # time.monotonic()
        self.silenced = False
        self.snapshot_delay_ms = 0

    def refusing(self) -> bool:
        return time.monotonic() < self.refuse_until


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


class Nothing(Body):
    pass


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
async def revoke(request: Request, body: Nothing | None = None) -> dict:
    """Forget every token: REST answers 401, open sockets close with 4401."""
    stub = stub_of(request)
    stub.tokens.revoke_all()
    return {"sockets": stub.hub.end_all(4401, "token revoked")}


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
    return stub.stats.as_dict(stub.world.seq)


@router.post("/reset_stats")
async def reset_stats(request: Request) -> dict:
    """Zero the totals; maxOpenSockets restarts from the sockets open now."""
    stub = stub_of(request)
    stub.stats.reset()
    return stub.stats.as_dict(stub.world.seq)
