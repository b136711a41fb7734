"""Helpers for tests that drive the stub in-process (ours, and anyone's).

    with make_client() as client:                     # seed fixed, simulation off, faults on
        token = login(client)
        with client.websocket_connect("/ws") as ws:
            assert hello(ws, token)["resumed"] is False
            seq = emit(client, staff_event("S-01", "on_break"))
            assert ws.receive_json()["seq"] == seq

Nothing moves unless the test moves it: through the world
(``client.app.state.stub.world``), a REST command or a control route.

The client names the host ``testserver`` (allowed here, hosts.py) and sends
``X-DC-Control: 1`` on every request, as any tool calling /_control/ must
(security.py); ``make_client(control_header=False)`` leaves it out.
"""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from .app import create_app
from .security import CONTROL_HEADER
from .settings import Settings

SEED = 1234
SMALL = {"seed": SEED, "rate": 0.0, "faults": True, "deliveries": 120, "staff": 20, "zones": 4,
         "allow_hosts": ("testserver",)}


def make_client(control_header: bool = True, **overrides) -> TestClient:
    """A TestClient over a fresh small world; use it as a context manager."""
    return TestClient(create_app(Settings(**(SMALL | overrides))), headers=CONTROL_HEADER if control_header else None)


def control(client, route: str, body: dict | None = None, method: str = "POST"):
    """Call ``/_control/{route}`` with the header it needs; returns the answer."""
    if method == "GET":
        return client.get(f"/_control/{route}", headers=CONTROL_HEADER)
    return client.request(method, f"/_control/{route}", json=body or {}, headers=CONTROL_HEADER)


def login(client, username: str = "demo", password: str = "demo") -> str:
    answer = client.post("/api/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    return answer.json()["token"]


def hello(ws, token: str, resume_from: int | None = None) -> dict:
    """Send the auth message on a test websocket and return the welcome."""
    ws.send_text(json.dumps({"type": "auth", "token": token, "resumeFrom": resume_from}))
    welcome = ws.receive_json()
    assert welcome["type"] == "welcome", welcome
    return welcome


def emit(client, event: dict, broadcast: bool = True) -> int:
    """Apply an event through /_control/emit and return its seq."""
    answer = control(client, "emit", {"event": event, "broadcast": broadcast})
    assert answer.status_code == 200, answer.text
    return answer.json()["seq"]


def staff_event(staff_id: str = "S-01", status: str = "on_break") -> dict:
    return {"type": "staff_status_update", "staffId": staff_id, "status": status}
