"""The /api routes of PROTOCOL.md 2, built on the shared models in app/models.py.

    POST /api/login                  {"username","password"}      200 LoginResult | 401 | 429 (limits.py)
    GET  /api/snapshot                                            200 Snapshot
    GET  /api/deliveries/{id}                                     200 Delivery | 404
    PATCH /api/deliveries/{id}       DeliveryPatch                200 PatchResult | 404 | 409 | 422
    POST /api/communications         CommunicationDraft           201 CommunicationResult | 422
    POST /api/session/refresh                                     200 LoginResult | 401  (404 in version 1)

Every answer but login needs ``Authorization: Bearer <token>`` (else 401).
Bodies are parsed here, not by FastAPI, so that every error is the same
``{"detail": "<one readable sentence>"}``. The two commands honour
``Idempotency-Key`` (commands.py): a retry gets the first answer, byte
for byte, and changes nothing; the event a command records carries its
``cause``. Answers are shaped by the protocol version spoken (dialect.py).
"""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from app.models import CommunicationDraft, CommunicationResult, DeliveryPatch, LoginRequest, PatchResult, User

from .commands import execute, fingerprint
from .limits import retry_after
from .world import Refused, first_error

router = APIRouter(prefix="/api")


def stub_of(request: Request):
    return request.app.state.stub


def current_user(request: Request) -> User:
    """The caller behind the bearer token; 401 for a missing, unknown, expired or revoked one."""
    stub = stub_of(request)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    user = stub.tokens.user(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        stub.stats.auth_failures += 1
        raise HTTPException(401, "missing, invalid or expired token: log in again",
                            headers={"WWW-Authenticate": "Bearer"})
    return user


def parse_body(raw: bytes, model: type[BaseModel]):
    try:
        data = json.loads(raw or b"null")
    except ValueError:
        raise Refused(422, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise Refused(422, "the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Refused(422, first_error(exc)) from None


@router.post("/login")
async def login(request: Request) -> Response:
    stub = stub_of(request)
    try:
        credentials = parse_body(await request.body(), LoginRequest)
    except Refused as exc:
        return JSONResponse({"detail": exc.detail}, exc.status)
    address = request.client.host if request.client else ""
    wait = stub.logins.wait(address, credentials.username)  # limits.py: checked before the password
    if wait is not None:
        return JSONResponse({"detail": "too many login attempts: try again later"}, 429,
                            headers={"Retry-After": retry_after(wait)})
    result = stub.tokens.login(credentials.username, credentials.password)
    stub.logins.record(address, credentials.username, ok=result is not None)
    if result is None:
        stub.stats.auth_failures += 1
        return JSONResponse({"detail": "wrong username or password"}, 401)
    return JSONResponse(result.wire())


@router.post("/session/refresh")
async def refresh(request: Request) -> Response:
    """A new token for the caller (PROTOCOL.md 2); the old one stays valid until its
    own expiry. A version-1 backend has no such call: 404, before any auth check."""
    stub = stub_of(request)
    if not stub.dialect.v2:
        return JSONResponse({"detail": "Not Found"}, 404)
    current_user(request)
    _, _, token = request.headers.get("authorization", "").partition(" ")
    result = stub.tokens.refresh(token.strip())
    if result is None:  # expired between the two reads: still the caller's 401
        raise HTTPException(401, "missing, invalid or expired token: log in again",
                            headers={"WWW-Authenticate": "Bearer"})
    return JSONResponse(result.wire())


@router.get("/snapshot")
async def snapshot(request: Request, user: User = Depends(current_user)) -> Response:
    """Taken first, then (under a snapshot_delay fault) held back: events recorded
    during the delay are newer than the snapshot's seq, as in a slow real load."""
    stub = stub_of(request)
    snap = stub.world.snapshot()
    body = snap.model_dump_json(by_alias=True) if stub.dialect.v2 else json.dumps(stub.dialect.data(snap))
    if stub.faults.snapshot_delay_ms:
        await asyncio.sleep(stub.faults.snapshot_delay_ms / 1000)
    return Response(body, media_type="application/json")


@router.get("/deliveries/{delivery_id}")
async def delivery(delivery_id: str, request: Request, user: User = Depends(current_user)) -> Response:
    stub = stub_of(request)
    found = stub.world.deliveries.get(delivery_id)
    if found is None:
        return JSONResponse({"detail": f"no delivery {delivery_id}"}, 404)
    return JSONResponse(stub.dialect.data(found))


@router.patch("/deliveries/{delivery_id}")
async def patch_delivery(delivery_id: str, request: Request, user: User = Depends(current_user)) -> Response:
    return await command(request, user, lambda raw, cause: patch_run(stub_of(request), delivery_id, raw, cause))


def patch_run(stub, delivery_id: str, raw: bytes, cause) -> tuple[int, dict]:
    """The PATCH itself, given its raw body (faults.py runs it for "another user" too)."""
    events = stub.world.apply_patch(delivery_id, parse_body(raw, DeliveryPatch), cause=cause)
    return 200, stub.dialect.data(PatchResult(delivery=stub.world.deliveries[delivery_id], seq=events[0].seq))


@router.post("/communications")
async def post_communication(request: Request, user: User = Depends(current_user)) -> Response:
    world = stub_of(request).world

    def run(raw: bytes, cause) -> tuple[int, dict]:
        event = world.add_communication(user.id, parse_body(raw, CommunicationDraft), cause=cause)[0]
        return 201, CommunicationResult(communication=event.communication, seq=event.seq).wire()

    return await command(request, user, run)


async def command(request: Request, user: User, run) -> Response:
    """Run a state-changing call once per (user, Idempotency-Key) (commands.py). Under a
    ``fail_commands`` fault the answer is that failure instead, before or after the change."""
    stub = stub_of(request)
    raw = await request.body()
    failure = stub.faults.next_command_failure()
    if failure is not None and not failure.applied:
        return failure.response()
    key = request.headers.get("idempotency-key")
    status, body, replayed = execute(stub, user.id, key, fingerprint(request.method, request.url.path, raw),
                                     lambda cause: run(raw, cause))
    if failure is not None:
        return failure.response()
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return Response(body, status, headers=headers, media_type="application/json")
