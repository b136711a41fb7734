"""The /_control/ fault-injection routes (PROTOCOL.md is silent; the brief defines them)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from app.models import Snapshot
from server_stub.pacing import MAX_CATCH_UP, MAX_TICK, MIN_TICK, paced
from server_stub.testing import emit, make_client, staff_event
from tests.waiting import wait_until


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
    """The route sets the rate the simulation's paced loop reads; that 0 then emits nothing
    more is shown in fake time (test_paced_emits_nothing_once_the_rate_is_zero)."""
    assert client.post("/_control/rate", json={"eventsPerSecond": 200}).json() == {"eventsPerSecond": 200}
    wait_until(lambda: stub.world.seq >= 20, timeout=20, interval=0.01, message="20 simulated events")
    assert client.post("/_control/rate", json={"eventsPerSecond": 0}).json() == {"eventsPerSecond": 0}
    assert stub.rate == 0


def test_stream_emits_what_was_asked_then_reports_it_ended(client, stub):
    assert client.get("/_control/stream").json() == {"running": False, "emitted": None}
    assert client.post("/_control/stream", json={"rate": 2000, "seconds": 0.25}).status_code == 200
    state = wait_until(lambda: (s := client.get("/_control/stream").json()) and not s["running"] and s,
                       timeout=20, interval=0.01, message="the stream to end")
    assert 499 <= state["emitted"] <= 500 and stub.world.seq == state["emitted"]  # 2000/s for 0.25 s
    types = {frame.split('"type":"')[1].split('"')[0] for frame in stub.world.journal.since(0)}
    assert types == {"delivery_update"}


class FakeTime:
    """A monotonic clock that moves only when the paced loop sleeps."""

    def __init__(self) -> None:
        self.now = 100.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def run_paced(rate, seconds, fake: FakeTime) -> tuple[int, list[tuple[float, int]]]:
    emitted: list[tuple[float, int]] = []
    total = asyncio.run(paced(rate, lambda n: emitted.append((fake.now, n)), seconds,
                              clock=fake.clock, sleep=fake.sleep))
    return total, emitted


@pytest.mark.parametrize("per_second, seconds", [(2000, 0.25), (200, 1.0), (3, 2.0), (5000, 2.0)])
def test_paced_emits_rate_times_seconds_in_batches(per_second, seconds):
    fake = FakeTime()
    total, emitted = run_paced(lambda: per_second, seconds, fake)
    assert total == sum(n for _, n in emitted)
    assert per_second * seconds - 1 <= total <= per_second * seconds
    assert len(emitted) <= seconds / MIN_TICK + 1, "one batch per tick, not one wake-up per event"


def test_paced_emits_nothing_once_the_rate_is_zero():
    fake = FakeTime()
    start = fake.now
    total, emitted = run_paced(lambda: 200 if fake.now - start < 0.3 else 0, 1.0, fake)
    assert emitted and all(moment - start <= 0.3 + MAX_TICK for moment, _ in emitted)
    assert 50 <= total <= 60


def test_paced_catches_up_at_most_a_quarter_second_after_a_stall():
    fake = FakeTime()
    stalled = {"done": False}

    async def stalling_sleep(seconds: float) -> None:
        fake.now += seconds if stalled["done"] else 5.0  # the first tick wakes 5 s late
        stalled["done"] = True

    emitted: list[int] = []
    asyncio.run(paced(lambda: 1000, emitted.append, 0.001 + 5.0, clock=fake.clock, sleep=stalling_sleep))
    assert emitted[0] == 1000 * MAX_CATCH_UP


def test_snapshot_delay_answers_late_with_content_taken_before(client, stub, auth):
    client.post("/_control/snapshot_delay", json={"ms": 300})
    taken = threading.Event()
    take = stub.world.snapshot

    def snapshot_then_signal():
        try:
            return take()
        finally:
            taken.set()

    stub.world.snapshot = snapshot_then_signal  # tells the test when the content has been taken
    answer = {}

    def load():
        started = time.monotonic()
        answer["snapshot"] = client.get("/api/snapshot", headers=auth).json()
        answer["took"] = time.monotonic() - started

    loader = threading.Thread(target=load)
    loader.start()
    assert taken.wait(10), "the snapshot request never took its content"
    newer = emit(client, staff_event())
    loader.join(10)
    assert not loader.is_alive()
    assert answer["took"] >= 0.3 and Snapshot.model_validate(answer["snapshot"]).seq < newer
    client.post("/_control/snapshot_delay", json={"ms": 0})


def test_stats_shape(client):
    assert client.get("/_control/stats").json() == {
        "seq": 0, "openSockets": 0, "maxOpenSockets": 0, "totalConnections": 0, "authFailures": 0,
        "epoch": client.app.state.stub.world.journal.epoch}
    client.post("/api/login", json={"username": "demo", "password": "wrong"})
    assert client.get("/_control/stats").json()["authFailures"] == 1
