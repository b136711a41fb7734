"""``--protocol 1``: the stub as a version-1 backend, for the app's compatibility tests."""

from __future__ import annotations

import json

import pytest

from app.models import DeliveryStatus
from server_stub.__main__ import parse_args
from server_stub.dialect import V2_ONLY, Dialect, without_v2
from server_stub.testing import closed_with, emit, frame, hello, login, make_client, staff_event
from server_stub.timers import ManualTime


@pytest.fixture
def clock():
    return ManualTime()


@pytest.fixture
def v1(clock):
    with make_client(time=clock, protocol=1, token_ttl=60) as client:
        yield client


def keys_anywhere(data) -> set[str]:
    found, stack = set(), [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found |= item.keys()
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def test_no_epoch_in_welcome_nor_snapshot_and_no_map_fields(v1):
    token = login(v1)
    with v1.websocket_connect("/ws") as ws:
        assert hello(ws, token) == {"type": "welcome", "seq": 0, "resumed": False}
    snapshot = v1.get("/api/snapshot", headers={"Authorization": f"Bearer {token}"}).json()
    assert set(snapshot) == {"seq", "deliveries", "staff", "zones", "communications"}
    assert len(snapshot["deliveries"]) == 120 and not keys_anywhere(snapshot) & V2_ONLY
    one = v1.get("/api/deliveries/D-1001", headers={"Authorization": f"Bearer {token}"}).json()
    assert one["id"] == "D-1001" and not one.keys() & V2_ONLY


def test_command_events_and_answers_carry_no_cause(v1):
    token = login(v1)
    stub = v1.app.state.stub
    pending = next(d.id for d in stub.world.deliveries.values() if d.status is DeliveryStatus.PENDING)
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "k-v1"}
    with v1.websocket_connect("/ws") as ws:
        hello(ws, token)
        answer = v1.patch(f"/api/deliveries/{pending}", headers=headers, json={"status": "cancelled"})
        event = frame(ws)
    assert answer.status_code == 200 and not keys_anywhere(answer.json()) & V2_ONLY
    assert event["seq"] == answer.json()["seq"] and "cause" not in event
    assert all(not keys_anywhere(json.loads(t)) & V2_ONLY for t in stub.world.journal.since(0))


@pytest.mark.parametrize("with_token", [True, False])
def test_session_refresh_is_404(v1, with_token):
    headers = {"Authorization": f"Bearer {login(v1)}"} if with_token else {}
    assert v1.post("/api/session/refresh", headers=headers).status_code == 404


def test_an_auth_on_an_open_socket_is_4400_as_in_version_1(v1):
    token = login(v1)
    with v1.websocket_connect("/ws") as ws:
        hello(ws, token)
        ws.send_text(json.dumps({"type": "auth", "token": token}))
        assert closed_with(ws) == 4400


def test_sockets_are_not_closed_when_their_token_expires(v1, clock):
    token = login(v1)
    with v1.websocket_connect("/ws") as ws:
        hello(ws, token)
        v1.portal.call(clock.advance, 3600)
        assert v1.get("/api/snapshot", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        ws.send_text(json.dumps({"type": "ping", "t": 5}))
        assert frame(ws) == {"type": "pong", "t": 5}
        assert clock.pending() == 0  # no deadline was ever set


def test_resume_needs_no_epoch(v1):
    token = login(v1)
    first = emit(v1, staff_event())
    emit(v1, staff_event("S-02"))
    with v1.websocket_connect("/ws") as ws:
        assert hello(ws, token, first) == {"type": "welcome", "seq": first + 1, "resumed": True}
        assert frame(ws)["seq"] == first + 1


def test_without_v2_removes_every_new_key_in_place_at_any_depth():
    deep = {"a": [{"cause": 1, "b": {"pickup": None, "keep": [{"area": []}]}}], "epoch": "e"}
    assert without_v2(deep) == {"a": [{"b": {"keep": [{}]}}]}


def test_the_protocol_setting_and_flag():
    assert parse_args([]).protocol == 2 and parse_args(["--protocol", "1"]).protocol == 1
    with pytest.raises(SystemExit):
        parse_args(["--protocol", "3"])
    with pytest.raises(ValueError):
        Dialect(3)
