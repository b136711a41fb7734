"""The simulated world on its own: no server, no event loop, a fixed seed and clock."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from app.models import (
    FINAL_STATUSES, CommunicationDraft, Delivery, DeliveryPatch, DeliveryStatus, ServerMessage, Snapshot,
    StaffStatus, StaffStatusUpdate, ZoneStatus,
)
from server_stub.clock import stepping_clock
from server_stub.journal import Journal
from server_stub.world import World, Refused, zone_is_busy

SERVER_MESSAGE = TypeAdapter(ServerMessage)
START = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)
CARRYING = {DeliveryStatus.ASSIGNED, DeliveryStatus.PICKED_UP, DeliveryStatus.IN_TRANSIT}


def world(**kw) -> World:
    args = {"deliveries": 200, "staff": 25, "zones": 5, "seed": 42, "clock": stepping_clock(START)} | kw
    return World(**args)


def violations(w: World) -> list[str]:
    """Every coherence rule of world.py, recomputed from scratch."""
    bad = []
    open_in_zone, available_in_zone, carried = Counter(), Counter(), Counter()
    for d in w.deliveries.values():
        if d.status is DeliveryStatus.PENDING and d.assignedTo is not None:
            bad.append(f"{d.id} pending but assigned")
        if d.status in CARRYING and d.assignedTo not in w.staff:
            bad.append(f"{d.id} {d.status} carried by {d.assignedTo}")
        if d.status not in FINAL_STATUSES:
            open_in_zone[d.zoneId] += 1
            if d.assignedTo:
                carried[d.assignedTo] += 1
    for s in w.staff.values():
        if s.status is StaffStatus.AVAILABLE and carried[s.id]:
            bad.append(f"{s.id} available while carrying {carried[s.id]}")
        if s.status is StaffStatus.ON_DELIVERY and not carried[s.id]:
            bad.append(f"{s.id} on_delivery carrying nothing")
        if s.status is StaffStatus.AVAILABLE and s.zoneId:
            available_in_zone[s.zoneId] += 1
    for z in w.zones.values():
        if (z.activeDeliveries, z.availableStaff) != (open_in_zone[z.id], available_in_zone[z.id]):
            bad.append(f"{z.id} counts {z.activeDeliveries}/{z.availableStaff}, "
                       f"truth {open_in_zone[z.id]}/{available_in_zone[z.id]}")
        if z.status is not ZoneStatus.CLOSED and (z.status is ZoneStatus.BUSY) != zone_is_busy(
                z.activeDeliveries, z.availableStaff):
            bad.append(f"{z.id} status {z.status} does not match its counts")
    if len(w.deliveries) > w.capacity:
        bad.append(f"{len(w.deliveries)} deliveries over capacity {w.capacity}")
    return bad


def fold(snapshot: dict, frames: list[str]) -> dict:
    """What a client holds after applying ``frames`` to ``snapshot`` (PROTOCOL.md 4)."""
    deliveries = {d["id"]: d for d in snapshot["deliveries"]}
    staff = {s["id"]: s for s in snapshot["staff"]}
    zones = {z["id"]: z for z in snapshot["zones"]}
    for frame in frames:
        e = json.loads(frame)
        if e["type"] == "delivery_update":
            deliveries.setdefault(e["deliveryId"], {}).update(e["changes"])
        elif e["type"] == "staff_status_update":
            staff[e["staffId"]]["status"] = e["status"]
        elif e["type"] == "zone_update":
            zones[e["zoneId"]].update(e["changes"])
    return {"deliveries": deliveries, "staff": staff, "zones": zones}


def test_generation_is_sized_seeded_and_coherent():
    a, b = world(), world()
    assert (len(a.deliveries), len(a.staff), len(a.zones)) == (200, 25, 5)
    same_state = {"epoch": None}  # a seed replays the world; every start is still a new history
    assert a.snapshot().model_copy(update=same_state) == b.snapshot().model_copy(update=same_state)
    assert a.snapshot().epoch != b.snapshot().epoch
    assert a.snapshot().model_copy(update=same_state) != world(seed=43).snapshot().model_copy(update=same_state)
    assert violations(a) == []
    Snapshot.model_validate(a.snapshot().wire())
    assert {z.name for z in a.zones.values()} >= {"North", "Harbour"}
    assert a.seq == 0


def test_two_thousand_steps_keep_every_rule():
    """Every event validates as a server message, seqs climb by exactly one, and the
    world stays coherent and bounded after every step."""
    w = world()
    last, kinds = 0, Counter()
    for _ in range(2000):
        events = w.step()
        assert events
        for e in events:
            assert e.seq == last + 1
            last = e.seq
            SERVER_MESSAGE.validate_python(e.wire())
            kinds[e.type] += 1
        assert violations(w) == []
        assert len(w.deliveries) <= 200 and len(w.communications) <= 1000
    assert set(kinds) == {"delivery_update", "staff_status_update", "zone_update", "new_communication"}
    statuses = Counter(d.status for d in w.deliveries.values())
    assert statuses[DeliveryStatus.DELIVERED] and statuses[DeliveryStatus.IN_TRANSIT]


def test_a_client_folding_the_events_holds_the_worlds_state():
    """Snapshot + every event = the world, except deliveries retired to stay bounded."""
    w = world(deliveries=60, replay_buffer=10_000)
    before = w.snapshot().wire()
    for _ in range(1500):
        w.step()
    held = fold(before, w.journal.since(0))
    now = w.snapshot().wire()
    assert held["staff"] == {s["id"]: s for s in now["staff"]}
    assert held["zones"] == {z["id"]: z for z in now["zones"]}
    for d in now["deliveries"]:
        assert held["deliveries"][d["id"]] == d
    retired = set(held["deliveries"]) - {d["id"] for d in now["deliveries"]}
    assert retired and all(held["deliveries"][i]["status"] in FINAL_STATUSES for i in retired)


def test_new_deliveries_arrive_whole_and_the_world_stays_at_capacity():
    w = world(deliveries=40)
    whole = []
    for _ in range(3000):
        whole += [e for e in w.step() if e.type == "delivery_update" and "customer" in e.changes.model_fields_set]
    assert whole and len(w.deliveries) == 40
    Delivery.model_validate(whole[-1].changes.model_dump(mode="json", exclude_unset=True))


def test_timestamps_are_utc_with_z():
    w = world()
    events = [e for _ in range(50) for e in w.step()]
    assert all(e.ts.endswith("Z") for e in events)
    assert all(d.updatedAt.endswith("Z") for d in w.deliveries.values())


def test_patch_assigning_a_pending_delivery_makes_it_assigned_and_updates_counts():
    w = world()
    pending = next(d for d in w.deliveries.values() if d.status is DeliveryStatus.PENDING)
    person = next(s for s in w.staff.values() if s.status is StaffStatus.AVAILABLE and s.zoneId)
    events = w.apply_patch(pending.id, DeliveryPatch(assignedTo=person.id))
    assert events[0].type == "delivery_update" and events[0].deliveryId == pending.id
    assert w.deliveries[pending.id].status is DeliveryStatus.ASSIGNED
    assert w.deliveries[pending.id].updatedAt != pending.updatedAt
    assert w.staff[person.id].status is StaffStatus.ON_DELIVERY
    assert StaffStatusUpdate(staffId=person.id, status="on_delivery", seq=events[1].seq, ts=events[1].ts) in events
    assert any(e.type == "zone_update" and e.zoneId == person.zoneId for e in events)
    assert violations(w) == []


@pytest.mark.parametrize("patch, status, detail", [
    ({}, 422, "nothing to change"),
    ({"assignedTo": "S-999"}, 422, "no staff member"),
    ({"status": "in_transit"}, 409, "needs someone assigned"),
])
def test_patch_refusals(patch, status, detail):
    w = world()
    pending = next(d for d in w.deliveries.values() if d.status is DeliveryStatus.PENDING)
    with pytest.raises(Refused) as refused:
        w.apply_patch(pending.id, DeliveryPatch(**patch))
    assert (refused.value.status, detail in refused.value.detail) == (status, True)
    assert w.seq == 0


def test_patch_on_a_final_or_unknown_delivery_is_refused():
    w = world()
    done = next(d for d in w.deliveries.values() if d.status in FINAL_STATUSES)
    with pytest.raises(Refused) as refused:
        w.apply_patch(done.id, DeliveryPatch(status="pending"))
    assert refused.value.status == 409
    with pytest.raises(Refused) as refused:
        w.apply_patch("D-0", DeliveryPatch(status="pending"))
    assert refused.value.status == 404


def test_releasing_an_assigned_delivery_makes_it_pending_again():
    w = world()
    carried = next(d for d in w.deliveries.values() if d.status is DeliveryStatus.ASSIGNED)
    w.apply_patch(carried.id, DeliveryPatch(assignedTo=None))
    assert (w.deliveries[carried.id].status, w.deliveries[carried.id].assignedTo) == (DeliveryStatus.PENDING, None)
    assert violations(w) == []


def test_communications_are_kept_newest_first_and_checked():
    w = world()
    event = w.add_communication("U-demo", CommunicationDraft(to="coordinators", body="hi", deliveryId="D-1001"))[0]
    assert event.communication.from_ == "U-demo" and w.snapshot().communications[0] == event.communication
    with pytest.raises(Refused):
        w.add_communication("U-demo", CommunicationDraft(to="S-01", body="x", deliveryId="D-nope"))
    with pytest.raises(Refused):
        w.add_communication("U-demo", CommunicationDraft(to="S-01", body="   "))


def test_touch_revises_etas_one_event_each():
    w = world()
    events = w.touch(25)
    assert [e.seq for e in events] == list(range(1, 26))
    assert all(e.changes.model_fields_set == {"eta", "updatedAt"} for e in events)


def test_journal_replays_only_what_it_still_holds():
    j = Journal(capacity=3)
    for _ in range(5):
        j.record(StaffStatusUpdate(staffId="S-1", status="offline"))
    assert [json.loads(f)["seq"] for f in j.since(2)] == [3, 4, 5]
    assert j.since(5) == []
    assert j.since(1) is None and j.since(None) is None and j.since(6) is None


def test_partial_changes_carry_only_the_fields_that_changed():
    w = world()
    event = w.touch(1)[0]
    frame = json.loads(w.journal.since(event.seq - 1)[0])
    assert set(frame["changes"]) == {"eta", "updatedAt"} and frame["seq"] == event.seq


def test_snapshot_holds_at_most_200_communications():
    w = world(clock=lambda: START + timedelta(minutes=1))
    for i in range(250):
        w.add_communication("U-demo", CommunicationDraft(to="coordinators", body=f"n{i}"))
    comms = w.snapshot().communications
    assert len(comms) == 200 and comms[0].body == "n249"


patch_ops = st.lists(st.tuples(
    st.integers(0, 10_000),                                   # which delivery
    st.one_of(st.none(), st.sampled_from(list(DeliveryStatus))),  # status to send, if any
    st.one_of(st.none(), st.just("nobody"), st.integers(1, 12)),  # assignedTo: absent, null, S-nn (9+ unknown)
), max_size=30)


@settings(max_examples=40, deadline=None)
@given(patch_ops, st.integers(0, 2**16))
def test_any_mix_of_patches_and_steps_keeps_the_world_coherent(ops, seed):
    """Refused patches change nothing; accepted ones and the simulation keep every rule."""
    w = world(deliveries=40, staff=8, zones=3, seed=seed)
    for pick, status, assignee in ops:
        ids = list(w.deliveries)
        fields = {} if status is None else {"status": status}
        if assignee == "nobody":
            fields["assignedTo"] = None
        elif assignee is not None:
            fields["assignedTo"] = f"S-{assignee:02d}"
        before, target = w.seq, ids[pick % len(ids)]
        try:
            events = w.apply_patch(target, DeliveryPatch(**fields))
        except Refused as refused:
            assert refused.status in (404, 409, 422) and w.seq == before
        else:
            assert events[0].deliveryId == target and w.deliveries[target].status.value in {s.value for s in DeliveryStatus}
        w.step()
        assert violations(w) == []
