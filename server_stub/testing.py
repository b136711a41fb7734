"""Helpers for tests that drive the stub in-process (ours, and anyone's).

    with make_client() as client:                     # seed fixed, simulation off, faults on
        token = login(client)
        with client.websocket_connect("/ws") as ws:
            assert hello(ws, token)["resumed"] is False
            seq = emit(client, staff_event("S-01", "on_break"))
            assert ws.receive_json()["seq"] == seq

Nothing moves unless the test moves it: through the world
(``client.app.state.stub.world``), a REST command or a control route
(``control(client, "restart")``: always through it, never a hand-built
request, so that what a control call needs is added in one place). Pass
``time=ManualTime()`` (timers.py) to move token and socket deadlines by hand.

The client names the host ``testserver`` (allowed here, hosts.py) and sends
``X-DC-Control: 1`` on every request, as any tool calling /_control/ must
(security.py); ``make_client(control_header=False)`` leaves it out.
"""

from __future__ import annotations

import json
import time

import anyio
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from .app import create_app
from .security import CONTROL_HEADER
from .settings import Settings

SEED = 1234
SMALL = {"seed": SEED, "rate": 0.0, "faults": True, "deliveries": 120, "staff": 20, "zones": 4,
         "allow_hosts": ("testserver",)}


def make_client(time=None, control_header: bool = True, **overrides) -> TestClient:
    """A TestClient over a fresh small world; use it as a context manager."""
    return TestClient(create_app(Settings(**(SMALL | overrides)), time),
                      headers=CONTROL_HEADER if control_header else None)


def login(client, username: str = "demo", password: str = "demo") -> str:
    answer = client.post("/api/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return answer.json()["token"]


def hello(ws, token: str, resume_from: int | None = None, epoch: str | None = None) -> dict:
    """Send the auth message on a test websocket and return the welcome."""
    ws.send_text(json.dumps({"type": "auth", "token": token, "resumeFrom": resume_from, "epoch": epoch}))
    welcome = ws.receive_json()
    assert welcome["type"] == "welcome", welcome
    return welcome


def frame(ws, timeout: float = 10.0) -> dict:
    """The next frame on a test websocket as JSON, waiting at most ``timeout`` seconds
    (TestClient's own ``receive`` waits forever); a close raises ``WebSocketDisconnect``."""
    async def receive():
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()

    message = ws.portal.call(receive)
    ws._raise_on_close(message)
    return json.loads(message["text"])


def closed_with(ws, timeout: float = 10.0, frames: int = 100_000) -> int:
    """Read (and drop) frames until the server closes; its close code. Bounded in time and count."""
    deadline = time.monotonic() + timeout
    for _ in range(frames):
        try:
            frame(ws, max(0.0, deadline - time.monotonic()))
        except WebSocketDisconnect as closed:
            return closed.code
    raise AssertionError(f"still open after {frames} frames")


def control(client, route: str, body: dict | None = None, method: str = "POST"):
    """Call ``/_control/<route>`` (a query string may follow the route), with the header it needs."""
    return client.request(method, f"/_control/{route}", json=body if method != "GET" else None,
                          headers=CONTROL_HEADER)


def emit(client, event: dict, broadcast: bool = True) -> int:
    """Apply an event through /_control/emit and return its seq."""
    answer = control(client, "emit", {"event": event, "broadcast": broadcast})
    assert answer.status_code == 200, answer.text
    return answer.json()["seq"]


def staff_event(staff_id: str = "S-01", status: str = "on_break") -> dict:
    return {"type": "staff_status_update", "staffId": staff_id, "status": status}
