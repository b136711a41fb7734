"""The /api routes of PROTOCOL.md 2, built on the shared models in app/models.py.

    POST /api/login                  {"username","password"}      200 LoginResult | 401 | 429 (limits.py)
    GET  /api/snapshot                                            200 Snapshot
    GET  /api/deliveries/{id}                                     200 Delivery | 404
    PATCH /api/deliveries/{id}       DeliveryPatch                200 PatchResult | 404 | 409 | 422
    POST /api/communications         CommunicationDraft           201 CommunicationResult | 422

Every answer but login needs ``Authorization: Bearer <token>`` (else 401).
Bodies are parsed here, not by FastAPI, so that every error is the same
``{"detail": "<one readable sentence>"}``. The two commands honour
``Idempotency-Key`` (idempotency.py): a retry gets the first answer, byte
for byte, and changes nothing.
"""

from __future__ import annotations

import asyncio
import json

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from app.models import CommunicationDraft, CommunicationResult, DeliveryPatch, LoginRequest, PatchResult, User

from .idempotency import KeyReused
from .limits import retry_after
from .world import Refused, first_error

router = APIRouter(prefix="/api")
MAX_KEY_CHARS = 200


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


@router.get("/snapshot")
async def snapshot(request: Request, user: User = Depends(current_user)) -> Response:
    """Taken first, then (under a snapshot_delay fault) held back: events recorded
    during the delay are newer than the snapshot's seq, as in a slow real load."""
    stub = stub_of(request)
    body = stub.world.snapshot().model_dump_json(by_alias=True)
    if stub.faults.snapshot_delay_ms:
        await asyncio.sleep(stub.faults.snapshot_delay_ms / 1000)
    return Response(body, media_type="application/json")


@router.get("/deliveries/{delivery_id}")
async def delivery(delivery_id: str, request: Request, user: User = Depends(current_user)) -> Response:
    found = stub_of(request).world.deliveries.get(delivery_id)
    if found is None:
        return JSONResponse({"detail": f"no delivery {delivery_id}"}, 404)
    return JSONResponse(found.wire())


@router.patch("/deliveries/{delivery_id}")
async def patch_delivery(delivery_id: str, request: Request, user: User = Depends(current_user)) -> Response:
    world = stub_of(request).world

    def run(raw: bytes) -> tuple[int, dict]:
        events = world.apply_patch(delivery_id, parse_body(raw, DeliveryPatch))
        return 200, PatchResult(delivery=world.deliveries[delivery_id], seq=events[0].seq).wire()

    return await command(request, user, run)


@router.post("/communications")
async def post_communication(request: Request, user: User = Depends(current_user)) -> Response:
    world = stub_of(request).world

    def run(raw: bytes) -> tuple[int, dict]:
        event = world.add_communication(user.id, parse_body(raw, CommunicationDraft))[0]
        return 201, CommunicationResult(communication=event.communication, seq=event.seq).wire()

    return await command(request, user, run)


async def command(request: Request, user: User, run) -> Response:
    """Run a state-changing call once per (user, Idempotency-Key). The lookup, the
    change and the remembering happen with no ``await`` between them, so two
    concurrent retries cannot both change the world."""
    raw = await request.body()
    key = request.headers.get("idempotency-key")
    if key is not None and not 1 <= len(key) <= MAX_KEY_CHARS:
        return JSONResponse({"detail": f"Idempotency-Key must be 1 to {MAX_KEY_CHARS} characters"}, 422)
    answers = stub_of(request).answers
    fingerprint = f"{request.method} {request.url.path} {_canonical(raw)}"
    if key is not None:
        try:
            hit = answers.lookup((user.id, key), fingerprint)
        except KeyReused:
            return JSONResponse({"detail": "this Idempotency-Key was used for a different request"}, 422)
        if hit is not None:
            return JSONResponse(hit[1], hit[0], headers={"Idempotent-Replayed": "true"})
    try:
        status, body = run(raw)
    except Refused as exc:
        status, body = exc.status, {"detail": exc.detail}
    if key is not None:
        answers.remember((user.id, key), fingerprint, status, body)
    return JSONResponse(body, status)


def _canonical(raw: bytes) -> str:
    try:
        return json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return raw.decode("utf-8", "replace")
