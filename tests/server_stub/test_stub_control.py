"""The /_control/ fault-injection routes (PROTOCOL.md is silent; the brief defines them)."""

from __future__ import annotations

import threading
import time

import pytest

from app.models import Snapshot
from server_stub.testing import emit, make_client, staff_event


def test_control_routes_exist_only_with_faults(auth):
    with make_client(faults=False) as client:
        assert client.get("/_control/stats").status_code == 404
        assert client.post("/_control/drop", json={"code": None}).status_code == 404
        assert client.post("/_control/emit", json={"event": staff_event()}).status_code == 404


def test_emit_applies_to_the_world_with_the_next_seq(client, stub, auth):
    assert emit(client, staff_event("S-04", "offline") | {"seq": 999}) == 1
    assert stub.world.staff["S-04"].status == "offline"
    assert emit(client, {"type": "zone_update", "zoneId": "Z-1", "changes": {"status": "closed"}}) == 2
    assert client.get("/api/snapshot", headers=auth).json()["zones"][0]["status"] == "closed"
    emit(client, {"type": "new_communication", "communication": {
        "id": "C-x", "from": "S-01", "to": "coordinators", "body": "hello", "sentAt": "2026-11-26T10:00:00Z"}})
    assert client.get("/api/snapshot", headers=auth).json()["communications"][0]["id"] == "C-x"


def test_emit_a_whole_new_delivery_inserts_it(client, auth):
    whole = {"id": "D-new", "status": "pending", "customer": "Ada", "address": "1 Quay St", "zoneId": "Z-2",
             "assignedTo": None, "priority": "urgent", "eta": None, "updatedAt": "2026-11-26T10:00:00Z"}
    emit(client, {"type": "delivery_update", "deliveryId": "D-new", "changes": whole})
    assert client.get("/api/deliveries/D-new", headers=auth).json() == whole | {"pickup": None, "dropoff": None}


@pytest.mark.parametrize("event", [
    {"type": "mystery"},
    {"type": "staff_status_update", "staffId": "S-01", "status": "asleep"},
    {"type": "staff_status_update", "staffId": "S-404", "status": "offline"},
    {"type": "delivery_update", "deliveryId": "D-unknown", "changes": {"status": "pending"}},
    {"type": "zone_update", "zoneId": "Z-1", "changes": {"name": None}},
])
def test_emit_refuses_what_it_cannot_apply(client, stub, event):
    answer = client.post("/_control/emit", json={"event": event})
    assert answer.status_code == 422 and isinstance(answer.json()["detail"], str)
    assert stub.world.seq == 0


@pytest.mark.parametrize("route, body", [
    ("drop", {"code": 1006}), ("drop", {"code": 999}), ("refuse", {"seconds": -1}),
    ("silence", {}), ("rate", {"eventsPerSecond": -1}), ("stream", {"rate": 0, "seconds": 1}),
    ("snapshot_delay", {"ms": 10, "extra": 1}),
])
def test_control_bodies_are_checked(client, route, body):
    answer = client.post(f"/_control/{route}", json=body)
    assert answer.status_code == 422 and isinstance(answer.json()["detail"], str)


def test_rate_starts_and_stops_the_simulation(client, stub):
    assert client.post("/_control/rate", json={"eventsPerSecond": 200}).json() == {"eventsPerSecond": 200}
    time.sleep(0.3)
    client.post("/_control/rate", json={"eventsPerSecond": 0})
    moved = stub.world.seq
    assert moved >= 20
    time.sleep(0.15)
    assert stub.world.seq == moved


def test_stream_emits_at_about_the_asked_rate(client, stub):
    assert client.post("/_control/stream", json={"rate": 2000, "seconds": 0.25}).status_code == 200
    time.sleep(0.45)
    assert 300 <= stub.world.seq <= 500
    types = {frame.split('"type":"')[1].split('"')[0] for frame in stub.world.journal.since(0)}
    assert types == {"delivery_update"}


def test_snapshot_delay_answers_late_with_content_taken_before(client, auth):
    client.post("/_control/snapshot_delay", json={"ms": 300})
    answer = {}

    def load():
        started = time.monotonic()
        answer["snapshot"] = client.get("/api/snapshot", headers=auth).json()
        answer["took"] = time.monotonic() - started

    loader = threading.Thread(target=load)
    loader.start()
    time.sleep(0.1)
    newer = emit(client, staff_event())
    loader.join(5)
    assert answer["took"] >= 0.3 and Snapshot.model_validate(answer["snapshot"]).seq < newer
    client.post("/_control/snapshot_delay", json={"ms": 0})


def test_stats_shape(client):
    assert client.get("/_control/stats").json() == {
        "seq": 0, "openSockets": 0, "maxOpenSockets": 0, "totalConnections": 0, "authFailures": 0,
        "epoch": client.app.state.stub.world.journal.epoch}
    client.post("/api/login", json={"username": "demo", "password": "wrong"})
    assert client.get("/_control/stats").json()["authFailures"] == 1
