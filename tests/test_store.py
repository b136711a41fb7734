"""app/store.py: sequence order, duplicates, gaps, events held during a snapshot, unknown ids, no-seq backends."""

from app.models import (
    Communication,
    DeliveryUpdate,
    NewCommunication,
    Snapshot,
    Staff,
    StaffLocationUpdate,
    StaffStatusUpdate,
    Zone,
    ZoneUpdate,
)
from app.store import EMPTY, Changes, Store

from tests.builders import T0, delivery


def staff(sid="S-1", status="available") -> Staff:
    return Staff(id=sid, name="Bo", role="driver", status=status, lastSeenAt=T0)


def zone(zid="Z-1", **fields) -> Zone:
    return Zone.model_validate({"id": zid, "name": "North", "status": "open", "activeDeliveries": 0,
                                "availableStaff": 1, **fields})


def comm(cid, minute=0) -> Communication:
    return Communication.model_validate({"id": cid, "from": "S-1", "to": "coordinators", "body": f"hello {cid}",
                                         "sentAt": f"2026-11-26T10:{minute:02d}:00Z"})


def snap(seq, deliveries=(), staff_=(), zones=(), comms=()) -> Snapshot:
    return Snapshot(seq=seq, deliveries=list(deliveries), staff=list(staff_), zones=list(zones),
                    communications=list(comms))


def du(seq, did="D-1", **changes) -> DeliveryUpdate:
    return DeliveryUpdate.model_validate({"seq": seq, "deliveryId": did, "changes": changes})


def su(seq, sid="S-1", status="on_break") -> StaffStatusUpdate:
    return StaffStatusUpdate(seq=seq, staffId=sid, status=status)


def zu(seq, zid="Z-1", **changes) -> ZoneUpdate:
    return ZoneUpdate.model_validate({"seq": seq, "zoneId": zid, "changes": changes})


def nc(seq, communication) -> NewCommunication:
    return NewCommunication(seq=seq, communication=communication)


def loaded(seq=10, **kw) -> Store:
    store = Store(**kw)
    store.load_snapshot(snap(seq, [delivery("D-1"), delivery("D-2")], [staff("S-1")], [zone("Z-1")]))
    return store


# --- order ------------------------------------------------------------------------


def test_events_in_order_are_applied_and_report_what_changed():
    store = loaded(10)
    out = store.apply(du(11, status="in_transit", assignedTo="S-1"))
    assert store.deliveries["D-1"].status == "in_transit" and store.deliveries["D-1"].assignedTo == "S-1"
    assert out.changes == Changes(deliveries=frozenset({"D-1"}), event_types=frozenset({"delivery_update"}))
    assert out.applied and not out.resync
    assert store.apply(su(12)).changes.staff == {"S-1"}
    assert store.apply(zu(13, status="busy", activeDeliveries=14)).changes.zones == {"Z-1"}
    assert store.zones["Z-1"].activeDeliveries == 14 and store.zones["Z-1"].name == "North"
    assert store.last_seq == 13 and store.counters.applied == 3


def test_partial_changes_leave_other_fields_alone():
    store = loaded(10)
    store.apply(du(11, eta="2026-11-26T14:05:00Z"))
    assert store.deliveries["D-1"].model_dump() == {**delivery("D-1").model_dump(), "eta": "2026-11-26T14:05:00Z"}


def test_explicit_null_unassigns():
    store = Store()
    store.load_snapshot(snap(1, [delivery("D-1", assignedTo="S-1")]))
    store.apply(du(2, assignedTo=None))
    assert store.deliveries["D-1"].assignedTo is None


def test_an_event_never_renames_an_entity():
    store = loaded(10)
    store.apply(du(11, id="D-9", status="assigned"))
    assert "D-9" not in store.deliveries and store.deliveries["D-1"].status == "assigned"


def test_duplicate_seq_is_ignored_and_counted():
    store = loaded(10)
    store.apply(du(11, status="assigned"))
    out = store.apply(du(11, status="failed"))
    old = store.apply(du(5, status="failed"))
    assert out.changes == EMPTY == old.changes
    assert store.deliveries["D-1"].status == "assigned"
    assert store.counters.duplicates == 2 and store.counters.applied == 1


def test_gap_is_not_applied_and_asks_for_a_resync():
    store = loaded(10)
    out = store.apply(du(12, status="failed"))
    assert out.resync and out.changes == EMPTY
    assert store.deliveries["D-1"].status == "pending" and store.loading
    store.apply(du(13, status="cancelled"))  # held too: never applied over a hole
    assert store.deliveries["D-1"].status == "pending"
    assert store.counters.resyncs == 1


def test_after_a_gap_the_snapshot_then_the_held_events_above_it_are_applied_in_order():
    store = loaded(10)
    store.apply(du(14, status="in_transit"))  # gap (11..13 lost)
    store.apply(du(13, status="picked_up"))  # held, out of order on purpose
    store.apply(du(12, status="assigned"))
    out = store.load_snapshot(snap(12, [delivery("D-1", status="assigned")]))
    assert out.changes.reset and not out.resync
    assert store.deliveries["D-1"].status == "in_transit" and store.last_seq == 14
    assert store.counters.duplicates == 0  # seq 12 was contained in the snapshot: not a server duplicate


def test_a_gap_among_the_held_events_resyncs_again_and_keeps_the_rest():
    store = loaded(10)
    store.apply(du(12))
    store.apply(du(15, status="failed"))
    store.apply(du(16, status="cancelled"))
    out = store.load_snapshot(snap(12, [delivery("D-1")]))
    assert out.resync and store.loading and store.held == 2
    store.load_snapshot(snap(14, [delivery("D-1", status="picked_up")]))
    assert store.deliveries["D-1"].status == "cancelled" and store.last_seq == 16


def test_events_before_the_first_snapshot_are_held_not_dropped():
    store = Store()
    assert store.loading
    store.apply(su(5, status="offline"))
    store.apply(su(6, status="on_delivery"))
    out = store.load_snapshot(snap(5, staff_=[staff("S-1", "offline")]))
    assert store.staff["S-1"].status == "on_delivery" and store.last_seq == 6
    assert out.changes.reset and out.changes.staff == {"S-1"}


def test_begin_resync_forgets_what_the_old_stream_held():
    store = loaded(10)
    store.apply(du(20, status="failed"))  # gap: held
    store.begin_resync()  # a new socket, not resumed: its own events follow
    store.load_snapshot(snap(11, [delivery("D-1")]))
    assert store.deliveries["D-1"].status == "pending" and store.last_seq == 11


def test_held_events_are_bounded_oldest_dropped_first_and_the_gap_then_resyncs():
    store = Store(max_held=3)
    for seq in range(1, 7):
        store.apply(su(seq, status="offline" if seq % 2 else "available"))
    assert store.held == 3 and store.counters.held_dropped == 3
    out = store.load_snapshot(snap(1, staff_=[staff("S-1")]))
    assert out.resync  # 2 and 3 were dropped: a hole between the snapshot and 4


def test_resync_counter_counts_snapshots_after_the_first():
    store = Store()
    store.load_snapshot(snap(1))
    assert store.counters.resyncs == 0
    store.begin_resync()
    store.load_snapshot(snap(1))
    store.apply(su(5))
    assert store.counters.resyncs == 2


# --- unknown ids ------------------------------------------------------------------------


def test_update_carrying_a_whole_unknown_delivery_inserts_it():
    store = loaded(10)
    whole = delivery("D-9", status="assigned", assignedTo="S-1").wire()
    del whole["id"]
    out = store.apply(du(11, "D-9", **whole))
    assert store.deliveries["D-9"] == delivery("D-9", status="assigned", assignedTo="S-1")
    assert out.changes.deliveries == {"D-9"} and out.fetch == ()


def test_partial_update_for_an_unknown_delivery_asks_for_a_fetch_once():
    store = loaded(10)
    out = store.apply(du(11, "D-9", status="assigned"))
    assert out.fetch == ("D-9",) and "D-9" not in store.deliveries
    assert store.last_seq == 11  # the event is consumed, not a gap
    assert store.apply(du(12, "D-9", assignedTo="S-1")).fetch == ()  # already asked
    assert store.counters.fetches == 1


def test_fetched_delivery_is_inserted_with_the_changes_received_meanwhile():
    store = loaded(10)
    store.apply(du(11, "D-9", status="assigned"))
    store.apply(du(12, "D-9", status="picked_up", assignedTo="S-1"))
    out = store.upsert_delivery(delivery("D-9", status="assigned"))  # the answer predates seq 12
    assert out.changes.deliveries == {"D-9"}
    assert store.deliveries["D-9"].status == "picked_up" and store.deliveries["D-9"].assignedTo == "S-1"
    store.apply(du(13, "D-9", status="in_transit"))
    assert store.deliveries["D-9"].status == "in_transit"


def test_a_fetch_answer_after_a_snapshot_is_ignored():
    store = loaded(10)
    store.apply(du(11, "D-9", status="assigned"))
    store.begin_resync()
    store.load_snapshot(snap(20, [delivery("D-9", status="delivered")]))
    assert store.upsert_delivery(delivery("D-9", status="assigned")).changes == EMPTY
    assert store.deliveries["D-9"].status == "delivered"


def test_failed_fetch_404_drops_it_other_failures_resync():
    store = loaded(10)
    store.apply(du(11, "D-8", status="assigned"))
    store.apply(du(12, "D-9", status="assigned"))
    assert not store.fetch_failed("D-8", missing=True).resync
    assert store.fetch_failed("D-9", missing=False).resync and store.loading


def test_unknown_staff_member_resyncs_once_per_id():
    store = loaded(10)
    assert store.apply(su(11, "S-9")).resync
    store.load_snapshot(snap(11, staff_=[staff("S-1")]))  # the server's snapshot lacks S-9 as well
    assert not store.apply(su(12, "S-9")).resync
    assert store.apply(su(13, "S-1", "offline")).changes.staff == {"S-1"}


def test_whole_unknown_zone_is_inserted_partial_one_resyncs():
    store = loaded(10)
    store.apply(zu(11, "Z-2", name="South", status="busy", activeDeliveries=3, availableStaff=0))
    assert store.zones["Z-2"] == zone("Z-2", name="South", status="busy", activeDeliveries=3, availableStaff=0)
    assert store.apply(zu(12, "Z-3", status="closed")).resync


def test_null_for_a_field_that_cannot_be_null_is_invalid_and_resyncs():
    store = loaded(10)
    out = store.apply(du(11, status=None))
    assert out.resync and store.counters.invalid == 1
    assert store.deliveries["D-1"].status == "pending" and store.last_seq == 10


# --- no seq --------------------------------------------------------------------------


def test_backend_without_seq_applies_in_arrival_order():
    store = Store()
    store.load_snapshot(snap(None, [delivery("D-1")]))
    store.apply(du(None, status="assigned"))
    store.apply(du(None, status="picked_up"))
    assert store.deliveries["D-1"].status == "picked_up" and store.last_seq is None
    assert store.counters.duplicates == 0


def test_without_seq_events_held_during_the_snapshot_are_all_applied_after_it():
    store = Store()
    store.load_snapshot(snap(None, [delivery("D-1")]))
    store.begin_resync()
    store.apply(du(None, status="in_transit"))
    store.load_snapshot(snap(None, [delivery("D-1", status="assigned")]))
    assert store.deliveries["D-1"].status == "in_transit"


# --- communications ---------------------------------------------------------------------


def test_communications_are_newest_first_and_a_repeated_id_is_not_added_twice():
    store = loaded(10)
    store.apply(nc(11, comm("C-1", 1)))
    store.apply(nc(12, comm("C-2", 2)))
    assert store.apply(nc(13, comm("C-1", 1))).changes.communications == frozenset()
    assert [c.id for c in store.communications_newest_first()] == ["C-2", "C-1"]


def test_communications_are_capped_and_evicted_ids_are_reported():
    store = loaded(10, max_communications=3)
    for n in range(1, 5):
        out = store.apply(nc(10 + n, comm(f"C-{n}", n)))
    assert out.changes.communications == {"C-4", "C-1"}  # C-1 evicted: its row must go
    assert [c.id for c in store.communications_newest_first()] == ["C-4", "C-3", "C-2"]
    assert store.communication("C-1") is None


def test_snapshot_communications_are_ordered_newest_first_whatever_the_server_order():
    store = Store()
    store.load_snapshot(snap(1, comms=[comm("C-1", 1), comm("C-3", 3), comm("C-2", 2)]))
    assert [c.id for c in store.communications_newest_first()] == ["C-3", "C-2", "C-1"]


def test_html_in_a_message_body_is_stored_verbatim():
    store = loaded(10)
    evil = comm("C-1").model_copy(update={"body": "<img src=x onerror=alert(1)>"})
    store.apply(nc(11, evil))
    assert store.communication("C-1").body == "<img src=x onerror=alert(1)>"


# --- Changes ---------------------------------------------------------------------------


def test_changes_merge_unions_ids_and_keeps_reset():
    a = Changes(deliveries=frozenset({"D-1"}), event_types=frozenset({"delivery_update"}))
    b = Changes(deliveries=frozenset({"D-2"}), staff=frozenset({"S-1"}), reset=True)
    merged = Changes.merge([a, b, EMPTY])
    assert merged.deliveries == {"D-1", "D-2"} and merged.staff == {"S-1"} and merged.reset
    assert (a | b) == merged
    assert not EMPTY and a and Changes(reset=True)


# --- locations, epochs, what is held (PROTOCOL v2) ------------------------------------------


def lu(seq, sid="S-1", lat=52.52, lon=13.405) -> StaffLocationUpdate:
    return StaffLocationUpdate.model_validate(
        {"seq": seq, "staffId": sid, "location": {"lat": lat, "lon": lon, "heading": 90, "at": T0}})


def test_a_location_update_moves_the_staff_member_and_keeps_the_rest():
    store = Store()
    store.load_snapshot(snap(10, staff_=[staff("S-1", status="on_delivery")]))
    outcome = store.apply(lu(11, lat=52.5, lon=13.4))
    moved = store.staff["S-1"]
    assert (moved.location.lat, moved.location.lon, moved.location.heading) == (52.5, 13.4, 90)
    assert moved.status == "on_delivery" and store.last_seq == 11
    assert outcome.changes.moved == {"S-1"} and outcome.changes.event_types == {"staff_location_update"}
    assert outcome.changes.staff == frozenset()  # location-only: the staff rows are not redrawn


def test_a_location_update_for_an_unknown_staff_member_resyncs_once():
    store = loaded(10)
    assert store.apply(lu(11, sid="S-9")).resync
    store.load_snapshot(snap(11, staff_=[staff("S-1")]))
    assert not store.apply(lu(12, sid="S-9")).resync and store.last_seq == 12


def test_first_held_seq_is_the_lowest_held_whatever_the_arrival_order():
    store = Store()
    assert store.first_held_seq is None
    store.apply(su(15))
    store.apply(su(12))
    store.apply(StaffStatusUpdate(staffId="S-1", status="available"))  # no seq: not counted
    assert store.first_held_seq == 12 and store.held == 3


def test_drop_held_forgets_the_old_streams_events_and_keeps_loading():
    store = loaded(10)
    store.apply(su(13))  # a gap: held, loading
    store.drop_held()
    assert store.held == 0 and store.first_held_seq is None and store.loading


def test_the_snapshot_sets_the_epoch_its_own_first():
    store = Store()
    store.load_snapshot(snap(5), epoch="from-welcome")
    assert store.epoch == "from-welcome"
    store.load_snapshot(Snapshot(seq=6, epoch="e2", deliveries=[], staff=[], zones=[], communications=[]), "e1")
    assert store.epoch == "e2" and store.last_seq == 6


def test_forget_position_drops_seq_and_epoch_so_a_new_history_is_never_compared_with_the_old():
    store = Store()
    store.load_snapshot(snap(500), epoch="e1")
    store.forget_position()
    store.begin_resync()
    store.apply(su(3))  # the new history starts low: held, not a duplicate
    store.load_snapshot(snap(2, staff_=[staff("S-1")]), epoch="e2")
    assert store.last_seq == 3 and store.epoch == "e2" and store.counters.duplicates == 0
    assert store.staff["S-1"].status == "on_break"


def test_the_store_doctests_hold():
    import doctest

    from app import store

    assert doctest.testmod(store).failed == 0
