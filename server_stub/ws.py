"""The WebSocket endpoint of PROTOCOL.md 3: auth, welcome, replay, live events, heartbeat.

    {"type":"auth","token":"...","resumeFrom":41,"epoch":"e1"}
        ->  {"type":"welcome","seq":57,"epoch":"e1","resumed":true}, events 42..57, then live ones
    {"type":"auth","token":"<refreshed>"}   (later, on the open socket)
        ->  {"type":"reauthed","expiresAt":"2026-11-26T22:05:00Z"}

A socket resumes only within the server's epoch (PROTOCOL.md 3.2). It has one
deadline, its token's expiry, on the server's timers (timers.py): reached
without a re-auth, the socket closes with 4401; a re-auth with a new token of
the same user moves it. Version 1 (dialect.py) has no epoch, no re-auth (an
auth after the handshake is a 4400, as before) and no expiry deadline.

Close codes: 4400 a bad client frame (malformed, not auth first, binary,
over 64 KiB, a re-auth as another user), 4401 a bad, expired or revoked token, 1008 no auth within
``auth_timeout`` or a consumer too slow for its queue; a frame over 64 KiB
never gets here under uvicorn (``ws_max_size``, __main__.py: close 1009).
The handshake is refused (HTTP 403) while ``max_waiting_sockets`` sockets
wait for their auth (limits.py), while a ``refuse`` fault is on, and for a page whose
``Origin`` is neither this server's nor allowed with ``--allow-origin`` (security.py).

The welcome, the replay and the switch to live happen in one synchronous
step (no ``await``), and events are recorded and published synchronously
too (journal.py), so no event can fall between replay and live or be in both.
"""

from __future__ import annotations

import asyncio
import contextlib

from pydantic import TypeAdapter, ValidationError
from starlette.websockets import WebSocket

from app.models import MAX_FRAME_BYTES, Auth, ClientMessage, Ping, Pong, Reauthed, Welcome

from . import security
from .hub import ABORT, Peer

CLIENT_MESSAGE = TypeAdapter(ClientMessage)
CLOSE_TIMEOUT = 2.0


def parse(frame: dict) -> Auth | Ping | None:
    """The client message in an ASGI receive event, or None if it is not a valid one."""
    text = frame.get("text")
    if text is None or len(text.encode()) > MAX_FRAME_BYTES:
        return None
    try:
        return CLIENT_MESSAGE.validate_json(text)
    except ValidationError:
        return None


async def endpoint(websocket: WebSocket) -> None:
    stub = websocket.app.state.stub
    if security.websocket_origin_refused(websocket.scope, stub.settings.allow_origins):
        await websocket.close(code=1008)  # before accept: the server answers HTTP 403
        return
    if stub.faults.refusing():
        await websocket.close(code=1013)  # before accept: the server answers HTTP 403
        return
    if not stub.waiting.admit(websocket):  # too many sockets waiting for auth (limits.py): HTTP 403
        await websocket.close(code=1013)
        return
    try:
        await websocket.accept()
    except BaseException:
        stub.waiting.done(websocket)
        raise
    stub.stats.opened()
    peer = stub.hub.new_peer(websocket.send_text)
    try:
        await serve(stub, websocket, peer)
    finally:
        stub.waiting.done(websocket)
        stub.hub.remove(peer)
        stub.stats.closed()


async def serve(stub, websocket: WebSocket, peer: Peer) -> None:
    """Run the peer until it or the client ends it, then close as asked."""
    expiry: list = []  # the socket's token deadline (a timers.Handle), replaced on re-auth
    tasks = [asyncio.create_task(peer.pump()), asyncio.create_task(listen(stub, websocket, peer, expiry)),
             asyncio.create_task(peer.ending.wait())]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        # Cancel, but do not await: a CancelledError of our own making must not
        # replace the one a cancelling caller (a server shutting down) threw in.
        for task in tasks:
            task.cancel()
        for timer in expiry:
            timer.cancel()
    for task in done:
        task.cancelled() or task.exception()  # retrieved: a client gone mid-send is normal
    if peer.ending.is_set():
        await close(websocket, peer.end_code, peer.end_reason)


async def listen(stub, websocket: WebSocket, peer: Peer, expiry: list) -> None:
    """Read the auth message, go live, then answer pings until the client leaves."""
    try:
        first = await asyncio.wait_for(websocket.receive(), stub.settings.auth_timeout)
    except asyncio.TimeoutError:
        peer.end(1008, f"no auth message within {stub.settings.auth_timeout:g} s")
        return
    if first["type"] == "websocket.disconnect":
        return
    auth = parse(first)
    if not isinstance(auth, Auth):
        peer.end(4400, "the first message must be a valid auth message")
        return
    grant = stub.tokens.grant(auth.token)
    if grant is None:
        stub.stats.auth_failures += 1
        peer.end(4401, "invalid or expired token")
        return
    stub.waiting.done(websocket)
    peer.user_id = grant.user.id
    go_live(stub, peer, auth)
    set_deadline(stub, peer, auth.token, expiry)
    while True:
        frame = await websocket.receive()
        if frame["type"] == "websocket.disconnect":
            return
        message = parse(frame)
        if isinstance(message, Ping):
            peer.push(stub.dialect.frame(Pong(t=message.t)))
        elif isinstance(message, Auth) and stub.dialect.v2:
            if not reauth(stub, peer, message.token, expiry):
                return
        else:
            peer.end(4400, "expected a ping message" + (" or a re-auth" if stub.dialect.v2 else ""))
            return


def reauth(stub, peer: Peer, token: str, expiry: list) -> bool:
    """PROTOCOL.md 3.3: a refreshed token on the open socket moves its deadline. A bad
    token ends the session (4401); another user's token is a client bug (4400: that
    user opens a socket of their own). Its resumeFrom and epoch are ignored."""
    grant = stub.tokens.grant(token)
    if grant is None:
        stub.stats.auth_failures += 1
        peer.end(4401, "invalid or expired token")
        return False
    if grant.user.id != peer.user_id:
        peer.end(4400, "a re-auth must be by the same user; open a new socket")
        return False
    set_deadline(stub, peer, token, expiry)
    peer.push(stub.dialect.frame(Reauthed(expiresAt=stub.tokens.expires_at(token))))
    return True


def set_deadline(stub, peer: Peer, token: str, expiry: list) -> None:
    """One timer per socket, at its token's expiry (none in version 1): no per-frame check."""
    for handle in expiry:
        handle.cancel()
    expiry.clear()
    if stub.dialect.v2:
        expiry.append(stub.time.call_later(stub.tokens.seconds_left(token), peer.end, 4401, "token expired"))


def go_live(stub, peer: Peer, auth: Auth) -> None:
    """Welcome, replay and subscription in one synchronous step: no gap, no duplicate.
    Resumes only within this epoch (version 1 has none: the seq alone decides)."""
    journal = stub.world.journal
    same_history = auth.epoch == journal.epoch or not stub.dialect.v2
    replay = journal.since(auth.resumeFrom) if same_history else None
    welcome = Welcome(seq=journal.seq, epoch=journal.epoch, resumed=replay is not None)
    peer.push(stub.dialect.frame(welcome), force=True)
    for text in replay or ():
        peer.push(text, force=True)
    peer.live = True


async def close(websocket: WebSocket, code: int | None, reason: str) -> None:
    """Close with ``code``; with ``ABORT``, or when the close frame cannot be written in
    time (a client that stopped reading), cut the connection with no close frame."""
    if code is not ABORT:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(websocket.close(code, reason), CLOSE_TIMEOUT)
            return
    transport = _transport(websocket)
    if transport is not None:
        transport.abort()
    else:  # an in-process test client has no transport: report what a client would see
        with contextlib.suppress(Exception):
            await websocket.close(1006, "aborted")


def _transport(websocket: WebSocket):
    """The TCP transport under a uvicorn socket (its ASGI receive is a bound method of
    the protocol object that owns it); None under other servers."""
    owner = getattr(websocket._receive, "__self__", None)
    return getattr(owner, "transport", None)
