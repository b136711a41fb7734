"""Location events: the simulation's feed, the /_control/locations burst, the flag, and version 1."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter

from app.geo import distance_m
from app.models import DeliveryStatus, ServerMessage, StaffLocationUpdate, StaffRole, StaffStatus
from server_stub.__main__ import parse_args
from server_stub.dialect import Dialect
from server_stub.settings import Settings
from server_stub.testing import control, emit, frame, hello, login, make_client
from server_stub.world import World
from tests.waiting import wait_until

SERVER_MESSAGE = TypeAdapter(ServerMessage)
START = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)


class ManualClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def world(clock, **kw) -> World:
    return World(**{"deliveries": 300, "staff": 40, "zones": 6, "seed": 11, "clock": clock} | kw)


def locations(events) -> list[StaffLocationUpdate]:
    return [e for e in events if isinstance(e, StaffLocationUpdate)]


def test_moving_people_report_every_2_to_5_seconds_and_still_ones_never():
    clock = ManualClock()
    w = world(clock)
    sent: dict[str, list[datetime]] = {}
    for _ in range(600):  # 60 s in 0.1 s steps
        clock.tick(0.1)
        for e in w.tracking.due():
            sent.setdefault(e.staffId, []).append(clock.now)
    still = {s.id for s in w.staff.values()
             if s.status in (StaffStatus.ON_BREAK, StaffStatus.OFFLINE) or s.role is StaffRole.DISPATCHER}
    movers = {s.id for s in w.staff.values() if s.status is StaffStatus.AVAILABLE and s.role is not StaffRole.DISPATCHER}
    assert still and movers and not still & sent.keys()
    assert movers <= sent.keys()  # drifting people send
    for sid, times in sent.items():
        gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
        assert all(gap >= 2 - 1e-9 for gap in gaps), (sid, gaps)
    busy = [sid for sid, times in sent.items() if sid in movers and len(times) >= 12]
    assert len(busy) >= len(movers) // 2  # about every 2 to 5 s over 60 s: 12 to 30 each


def test_locations_are_valid_wire_events_and_fold_into_the_snapshot():
    clock = ManualClock()
    w = world(clock)
    for _ in range(50):
        clock.tick(0.5)
        for e in w.tracking.due():
            assert SERVER_MESSAGE.validate_json(w.journal.since(e.seq - 1)[0]).location == e.location
    for sid, person in w.staff.items():
        assert person.location is not None
    last = {}
    for text in w.journal.since(0):
        data = json.loads(text)
        last[data["staffId"]] = data["location"]
    snap = w.snapshot()
    assert last and all(s.location.model_dump(mode="json", exclude_none=True) == last[s.id]
                        for s in snap.staff if s.id in last)


def test_someone_carrying_a_delivery_heads_for_its_pickup_at_5_to_12_m_s():
    clock = ManualClock()
    w = world(clock)
    d = next(d for d in w.deliveries.values() if d.status is DeliveryStatus.ASSIGNED)
    sid = d.assignedTo
    w.apply_event(StaffLocationUpdate(staffId=sid, location={"lat": 52.52, "lon": 13.405, "at": "2026-11-26T09:00:00Z"}))
    others = w.carrying(sid) - {d.id}
    target = d if not any(w.deliveries[o].status is not DeliveryStatus.ASSIGNED or o < d.id for o in others) else None
    start = w.staff[sid].location
    clock.tick(3)
    w.tracking.burst(len(w.staff))
    now = w.staff[sid].location
    assert 5 <= now.speed <= 12
    assert distance_m((start.lat, start.lon), (now.lat, now.lon)) <= 12 * 3 * 1.001
    if target is not None:
        before = distance_m((start.lat, start.lon), (d.pickup.lat, d.pickup.lon))
        after = distance_m((now.lat, now.lon), (d.pickup.lat, d.pickup.lon))
        assert after < before


def test_a_burst_goes_round_robin_over_everyone_with_millisecond_stamps():
    clock = ManualClock()
    clock.now = START + timedelta(milliseconds=123)
    w = world(clock)
    events = w.tracking.burst(2 * len(w.staff) + 3)
    ids = [e.staffId for e in events]
    assert ids[:len(w.staff)] == list(w.staff) and ids[len(w.staff):2 * len(w.staff)] == list(w.staff)
    assert all(e.location.at.endswith(".123Z") for e in events)
    still = [e for e in events if w.staff[e.staffId].status in (StaffStatus.ON_BREAK, StaffStatus.OFFLINE)]
    assert still and all(e.location.speed == 0 for e in still)


def test_the_same_seed_makes_the_same_locations():
    a, b = ManualClock(), ManualClock()
    wa, wb = world(a), world(b)
    for _ in range(100):
        a.tick(0.3), b.tick(0.3)
        assert [e.wire() for e in wa.tracking.due()] == [e.wire() for e in wb.tracking.due()]


def test_an_interval_of_zero_sends_no_periodic_events_but_a_burst_still_works():
    clock = ManualClock()
    w = world(clock, location_interval=(0.0, 0.0))
    for _ in range(100):
        clock.tick(1)
        assert w.tracking.due() == []
    assert len(w.tracking.burst(5)) == 5


# --- settings and the command line ----------------------------------------------


@pytest.mark.parametrize("text, pair", [("2-5", (2.0, 5.0)), ("3", (3.0, 3.0)), ("0", (0.0, 0.0)),
                                        ("0.5-1.5", (0.5, 1.5))])
def test_location_interval_flag(text, pair):
    assert parse_args(["--location-interval", text]).location_interval == pair


def test_location_interval_default():
    assert parse_args([]).location_interval == (2.0, 5.0) == Settings().location_interval


@pytest.mark.parametrize("text", ["5-2", "-1", "a-b", "0-3", "2-", "4000"])
def test_bad_location_intervals_are_refused(text, capsys):
    with pytest.raises(SystemExit):
        parse_args(["--location-interval", text])
    assert "location-interval" in capsys.readouterr().err


def test_settings_check_the_interval():
    with pytest.raises(ValueError, match="location interval"):
        Settings(location_interval=(5.0, 2.0))


# --- the server: the feed follows the simulation, the burst route ---------------------


def location_frames(stub) -> list[dict]:
    return [json.loads(t) for t in stub.world.journal.since(0) if '"staff_location_update"' in t]


def test_no_location_events_while_the_simulation_is_stopped():
    with make_client(location_interval=(0.1, 0.1)) as client:
        stub = client.app.state.stub
        control(client, "rate", {"eventsPerSecond": 0.001})  # running, but its other events are rare
        assert wait_until(lambda: location_frames(stub))
        control(client, "rate", {"eventsPerSecond": 0})  # looks run on the route's loop: none is under way
        seen = len(location_frames(stub))
        # Under rate 0 the looks (every 0.25 s) send nothing: check across several looks.
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            assert len(location_frames(stub)) == seen
            time.sleep(0.05)  # an absence check: nothing may be sent during the watch


def test_the_burst_route_streams_locations_over_the_socket(client):
    token = login(client)
    stub = client.app.state.stub
    with client.websocket_connect("/ws") as ws:
        hello(ws, token)
        answer = control(client, "locations", {"rate": 400, "seconds": 0.5})
        assert answer.status_code == 200 and answer.json() == {"rate": 400, "seconds": 0.5, "staff": 20}
        got = [frame(ws) for _ in range(40)]
    assert all(f["type"] == "staff_location_update" for f in got)
    assert [f["staffId"] for f in got[:20]] == list(stub.world.staff)
    assert all(len(f["location"]["at"]) == len("2026-11-26T09:00:00.000Z") for f in got)
    assert wait_until(lambda: stub.locations_task.done())
    assert 150 <= len(location_frames(stub)) <= 260  # about 400/s for 0.5 s


def test_rate_zero_ends_a_burst_and_a_new_one_replaces_it(client):
    stub = client.app.state.stub
    control(client, "locations", {"rate": 1000, "seconds": 600})
    first = stub.locations_task
    assert wait_until(lambda: stub.world.seq > 0)
    control(client, "locations", {"rate": 1000, "seconds": 600})
    assert wait_until(lambda: first.cancelled() or first.done()) and stub.locations_task is not first
    assert control(client, "locations", {"rate": 0}).json() == {"rate": 0, "seconds": 0, "staff": 20}
    assert stub.locations_task is None  # cancelled at its sleep: a tick's batch is never cut in half
    seq = stub.world.seq
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        assert stub.world.seq == seq
        time.sleep(0.05)  # an absence check: no event after rate 0


@pytest.mark.parametrize("body", [{"rate": 5001, "seconds": 1}, {"rate": 10, "seconds": 601}, {"rate": -1, "seconds": 1},
                                  {"rate": 10}, {"rate": 10, "seconds": 0}, {"rate": "10", "seconds": 1},
                                  {"rate": 10, "seconds": 1, "extra": 1}])
def test_burst_bounds_are_a_clear_422(client, body):
    answer = control(client, "locations", body)
    assert answer.status_code == 422 and isinstance(answer.json()["detail"], str), answer.text


def test_an_emitted_location_moves_that_person(client):
    token = login(client)
    seq = emit(client, {"type": "staff_location_update", "staffId": "S-03",
                        "location": {"lat": 52.5, "lon": 13.4, "heading": 90, "speed": 7, "at": "2026-11-26T09:00:00Z"}})
    snap = client.get("/api/snapshot", headers={"Authorization": f"Bearer {token}"}).json()
    person = next(s for s in snap["staff"] if s["id"] == "S-03")
    assert snap["seq"] == seq and (person["location"]["lat"], person["location"]["lon"]) == (52.5, 13.4)
    bad = control(client, "emit", {"event": {"type": "staff_location_update", "staffId": "S-999",
                                             "location": {"lat": 1, "lon": 1, "at": "2026-11-26T09:00:00Z"}}})
    assert bad.status_code == 422


# --- version 1 ---------------------------------------------------------------------


def test_version_1_has_no_location_event_type():
    assert Dialect(2).sends("staff_location_update") and not Dialect(1).sends("staff_location_update")
    assert Dialect(1).sends("delivery_update")


def test_version_1_sends_no_location_events_and_spends_no_seq_on_them():
    with make_client(protocol=1, location_interval=(0.1, 0.1)) as v1:
        stub = v1.app.state.stub
        assert control(v1, "locations", {"rate": 100, "seconds": 1}).status_code == 409
        bad = control(v1, "emit", {"event": {"type": "staff_location_update", "staffId": "S-01",
                                             "location": {"lat": 1, "lon": 1, "at": "2026-11-26T09:00:00Z"}}})
        assert bad.status_code == 409
        control(v1, "rate", {"eventsPerSecond": 50})
        assert wait_until(lambda: stub.world.seq >= 30)
        control(v1, "rate", {"eventsPerSecond": 0})
        frames = [json.loads(t) for t in stub.world.journal.since(0)]
        assert frames and not [f for f in frames if f["type"] == "staff_location_update"]
        assert [f["seq"] for f in frames] == list(range(1, len(frames) + 1))
        assert stub.world.tracking.burst(10) == [] and stub.world.tracking.due() == []
