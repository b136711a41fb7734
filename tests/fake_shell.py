"""A fake browser shell for ``app.client.Client``: it performs the client's actions as app/web would, and records them.

    client, shell, clock = ready_client()      # connected, welcomed, the snapshot answered
    client.set_status("D-1", "delivered")
    shell.drain()                              # the actions, performed; shell.http has the PATCH

Shared by the client's tests (tests/test_client.py, test_account.py,
test_board_views.py, test_actions.py, test_lost_work.py, test_fuzz_frames.py).
"""

from __future__ import annotations

import json
from functools import partial

from app.backoff import delays
from app import client as kinds  # the action types: kinds.OpenSocket and so on
from app.client import Client, Session

API, WS = "https://example.test/api", "wss://example.test/ws"
T0 = "2026-11-26T10:00:00Z"


# --- a fake browser shell ----------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Shell:
    """Performs the client's actions the way app/web would, and records them."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.socket = None  # None, "opening", "open"
        self.opens = 0
        self.sent: list[dict] = []
        self.http: dict[str, kinds.HttpRequest] = {}
        self.timers: dict[str, int] = {}
        self.renders: list = []
        self.shown: list[kinds.ShowConnection] = []
        self.sync: list[kinds.ShowSync] = []
        self.closes: list[kinds.CloseSocket] = []
        self.unauthorized = 0
        self.logs: list[kinds.Log] = []
        self.session_actions: list = []  # SessionRenewed, SaveOutbox, ShowOutbox, Notice

    def drain(self) -> list:
        actions = self.client.actions()
        for action in actions:
            if isinstance(action, kinds.OpenSocket):
                assert self.socket is None, "two sockets"
                assert action.url == WS
                self.socket = "opening"
                self.opens += 1
            elif isinstance(action, kinds.CloseSocket):
                self.socket = None
                self.closes.append(action)
            elif isinstance(action, kinds.SendText):
                assert self.socket == "open"
                self.sent.append(json.loads(action.text))
            elif isinstance(action, kinds.HttpRequest):
                self.http[action.id] = action
            elif isinstance(action, kinds.StartTimer):
                self.timers[action.name] = action.ms
            elif isinstance(action, kinds.CancelTimer):
                self.timers.pop(action.name, None)
            elif isinstance(action, kinds.Render):
                self.renders.append(action.changes)
            elif isinstance(action, kinds.ShowConnection):
                self.shown.append(action)
            elif isinstance(action, kinds.ShowSync):
                self.sync.append(action)
            elif isinstance(action, kinds.SessionEnded):
                self.unauthorized += 1
            elif isinstance(action, (kinds.SessionRenewed, kinds.SaveOutbox, kinds.ShowOutbox, kinds.Notice)):
                self.session_actions.append(action)
            elif isinstance(action, kinds.Log):
                assert action.direction in "<>="
                self.logs.append(action)
            else:  # pragma: no cover
                raise AssertionError(f"unknown action {action!r}")
        return actions

    def fire(self, name: str) -> None:
        assert name in self.timers, f"timer {name} not running"
        del self.timers[name]
        self.client.timer_fired(name)

    def request(self, path: str) -> kinds.HttpRequest:
        [found] = [r for r in self.http.values() if r.url == API + path]
        return found

    def answer(self, request: kinds.HttpRequest, status: int, body) -> None:
        del self.http[request.id]
        self.client.http_answered(request.id, status, body if isinstance(body, str) else json.dumps(body))


def delivery(did="D-1", **fields) -> dict:
    return {"id": did, "status": "assigned", "customer": "Ada", "address": "1 Main St", "zoneId": "Z-1",
            "assignedTo": None, "priority": "normal", "eta": None, "updatedAt": T0,
            "pickup": None, "dropoff": None, **fields}


def staff(sid="S-1", status="available") -> dict:
    return {"id": sid, "name": "Bo", "role": "driver", "status": status, "zoneId": None, "lastSeenAt": T0,
            "location": None}


def snapshot(seq=10, deliveries=None, staff_=None, zones=(), comms=()) -> dict:
    return {"seq": seq, "deliveries": deliveries if deliveries is not None else [delivery()],
            "staff": staff_ if staff_ is not None else [staff()], "zones": list(zones),
            "communications": list(comms)}


def du(seq, did="D-1", **changes) -> str:
    return json.dumps({"type": "delivery_update", "seq": seq, "deliveryId": did, "changes": changes})


def su(seq, sid="S-1", status="on_break") -> str:
    return json.dumps({"type": "staff_status_update", "seq": seq, "staffId": sid, "status": status})


def welcome(seq=10, resumed=False) -> str:
    return json.dumps({"type": "welcome", "seq": seq, "resumed": resumed})


def new_client(**kw) -> tuple[Client, Shell, Clock]:
    clock = Clock()
    ids = iter(f"key{n}" for n in range(1, 1000))
    kw.setdefault("delays_factory", partial(delays, jitter=0))
    session = kw.pop("session", Session("tok", "me", "Me", "2099-01-01T00:00:00Z"))
    client = Client(API, WS, session, clock=clock, id_factory=lambda: next(ids), **kw)
    return client, Shell(client), clock


def open_socket(client: Client, shell: Shell) -> None:
    """Start: the socket opens and the auth frame goes out; no welcome yet."""
    client.start()
    shell.drain()
    client.socket_opened()
    shell.socket = "open"
    shell.drain()


def connect(client: Client, shell: Shell, resumed=False, seq=10) -> None:
    open_socket(client, shell)
    client.socket_message(welcome(seq, resumed))
    shell.drain()


def reopen(client: Client, shell: Shell) -> None:
    """The socket drops, the retry timer fires, a new socket opens and authenticates; no welcome yet."""
    client.socket_closed(1006, "")
    shell.socket = None
    shell.drain()
    shell.fire("retry")
    shell.drain()
    client.socket_opened()
    shell.socket = "open"
    shell.drain()


def ready_client(**kw) -> tuple[Client, Shell, Clock]:
    client, shell, clock = new_client(**kw)
    connect(client, shell)
    shell.answer(shell.request("/snapshot"), 200, snapshot(10))
    shell.drain()
    assert client.ready
    return client, shell, clock
