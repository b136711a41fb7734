"""app/sync.py: the snapshot request, its retries and a parse that never raises."""

from __future__ import annotations

import doctest
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import sync
from app.connection import CancelTimer, StartTimer
from app.models import DeliveryUpdate, StaffStatusUpdate, Welcome
from app.store import Store
from app.sync import SNAPSHOT_TIMER, Behind, GiveUp, Loaded, Retrying, SnapshotLoader, Stale, parse_snapshot

T0 = "2026-11-26T10:00:00Z"


def delivery(did="D-1", **fields) -> dict:
    return {"id": did, "status": "assigned", "customer": "Ada", "address": "1 Main St", "zoneId": "Z-1",
            "updatedAt": T0, **fields}


def body(seq=10, deliveries=None, **extra) -> str:
    return json.dumps({"seq": seq, "deliveries": deliveries if deliveries is not None else [delivery()],
                       "staff": [], "zones": [], "communications": [], **extra})


def test_doctests_hold():
    assert doctest.testmod(sync).failed == 0


# --- parse --------------------------------------------------------------------------------


def test_a_good_snapshot_parses_whole():
    parsed = parse_snapshot(body(7))
    assert parsed.snapshot.seq == 7 and [d.id for d in parsed.snapshot.deliveries] == ["D-1"]
    assert parsed.dropped == ()


def test_one_bad_item_is_dropped_and_named_the_rest_kept():
    parsed = parse_snapshot(body(7, [delivery("D-1"), delivery("D-2", status="lost"), delivery("D-3")]))
    assert [d.id for d in parsed.snapshot.deliveries] == ["D-1", "D-3"]
    assert len(parsed.dropped) == 1 and parsed.dropped[0].startswith("deliveries:")


def test_a_body_that_is_not_a_snapshot_is_none():
    for text in ("", "<html>", "[]", "null", '{"seq": 1}', body(7, deliveries={}), '{"seq": "7"' + body()[10:]):
        assert parse_snapshot(text).snapshot is None, text


# --- the loader -----------------------------------------------------------------------------


def test_one_request_at_a_time_and_none_while_a_retry_waits():
    loader = SnapshotLoader(delays_factory=lambda: [1000, 2000])
    assert loader.due(loading=True, online=True)
    assert not loader.due(loading=False, online=True) and not loader.due(loading=True, online=False)
    loader.requested("s-1")
    assert not loader.due(loading=True, online=True)
    assert isinstance(loader.answered("s-1", None, "network down", Store()), Retrying)
    assert not loader.due(loading=True, online=True)
    loader.timer_fired()
    assert loader.due(loading=True, online=True)


def test_failures_follow_the_backoff_schedule_then_its_last_delay():
    loader = SnapshotLoader(delays_factory=lambda: [1000, 2000])
    seen = []
    for n in range(4):
        loader.requested(f"s-{n}")
        seen.append(loader.answered(f"s-{n}", 500, "", Store()).delay_ms)
        loader.timer_fired()
    assert seen == [1000, 2000, 2000, 2000]
    assert loader.actions() == [StartTimer(SNAPSHOT_TIMER, d) for d in seen]
    assert "HTTP 500" in loader.error


def test_a_success_resets_the_schedule_and_the_error():
    loader = SnapshotLoader(delays_factory=lambda: [1000, 2000])
    loader.requested("s-1")
    loader.answered("s-1", 200, "not json", Store())
    loader.timer_fired()
    loader.requested("s-2")
    result = loader.answered("s-2", 200, body(3), Store())
    assert isinstance(result, Loaded) and result.snapshot.seq == 3 and loader.error is None
    loader.requested("s-3")
    assert loader.answered("s-3", 503, "", Store()).delay_ms == 1000


def test_an_answer_to_another_request_is_stale():
    loader = SnapshotLoader()
    loader.requested("s-2")
    assert loader.answered("s-1", 200, body(), Store()) == Stale()
    assert loader.request_id == "s-2"


def test_forget_returns_the_request_and_cancels_a_wait():
    loader = SnapshotLoader(delays_factory=lambda: [1000])
    loader.requested("s-1")
    assert loader.forget() == "s-1" and loader.request_id is None
    loader.requested("s-2")
    loader.answered("s-2", 500, "", Store())
    loader.actions()
    assert loader.forget() is None and not loader.waiting
    assert loader.actions() == [CancelTimer(SNAPSHOT_TIMER)]


# --- the welcome: resume or resync (rule 0) ------------------------------------------------------


def loaded_store(seq=10, epoch="e1") -> Store:
    store = Store()
    parsed = parse_snapshot(body(seq, epoch=epoch) if epoch else body(seq))
    store.load_snapshot(parsed.snapshot)
    return store


def test_a_resumed_welcome_in_the_same_epoch_keeps_the_store_and_drops_what_the_old_socket_held():
    store, loader = loaded_store(10), SnapshotLoader()
    store.apply(StaffStatusUpdate(seq=13, staffId="S-1", status="on_break"))  # a gap on the old socket
    assert loader.welcomed(store, Welcome(seq=14, epoch="e1", resumed=True)) is None
    assert store.held == 0 and store.last_seq == 10 and store.epoch == "e1"


def test_a_welcome_of_another_epoch_drops_the_resume_point_even_if_it_says_resumed():
    store, loader = loaded_store(500), SnapshotLoader()
    assert loader.welcomed(store, Welcome(seq=3, epoch="e2", resumed=True)) == "new epoch e2"
    assert store.loading and store.last_seq is None and store.epoch is None and loader.epoch == "e2"


def test_a_welcome_that_did_not_resume_or_went_backwards_resyncs_and_keeps_the_epoch():
    for welcome, why in ((Welcome(seq=20, epoch="e1", resumed=False), "not resumed"),
                         (Welcome(seq=5, epoch="e1", resumed=True), "seq went backwards")):
        store = loaded_store(10)
        assert SnapshotLoader().welcomed(store, welcome) == why
        assert store.loading and store.epoch == "e1"


def test_a_version_1_welcome_without_seq_or_epoch_always_resyncs():
    store = loaded_store(10, epoch=None)
    store.last_seq = None
    assert SnapshotLoader().welcomed(store, Welcome(resumed=True)) == "no seq"
    assert store.loading


# --- snapshots that do not do (rule 3) ----------------------------------------------------------


def gap_store() -> Store:
    """In sync at 10, then event 15 arrived: 11-14 were lost, 15 is held."""
    store = loaded_store(10)
    SnapshotLoader().welcomed(store, Welcome(seq=10, epoch="e1", resumed=True))
    assert store.apply(DeliveryUpdate.model_validate(
        {"seq": 15, "deliveryId": "D-1", "changes": {"status": "picked_up"}})).resync
    return store


def ask(loader: SnapshotLoader, store: Store, text: str, n=[0]):
    n[0] += 1
    loader.requested(f"s-{n[0]}")
    return loader.answered(f"s-{n[0]}", 200, text, store)


def test_a_snapshot_below_the_held_events_is_asked_again_after_1_2_4_s_then_given_up():
    store, loader = gap_store(), SnapshotLoader()
    loader.epoch = "e1"
    results = []
    for _ in range(4):
        results.append(ask(loader, store, body(12, epoch="e1")))
        if isinstance(results[-1], Behind):
            assert not loader.due(loading=store.loading, online=True)  # never back to back
        loader.timer_fired()
    assert [type(r) for r in results] == [Behind, Behind, Behind, GiveUp]
    assert [r.delay_ms for r in results[:3]] == [1000, 2000, 4000]
    assert [a.ms for a in loader.actions()] == [1000, 2000, 4000]
    assert store.loading and store.last_seq == 10 and store.held == 1  # nothing applied meanwhile
    assert "seq 12" in results[0].why and "15" in results[0].why


def test_a_snapshot_just_below_the_held_events_covers_them():
    store, loader = gap_store(), SnapshotLoader()
    result = ask(loader, store, body(14))
    assert isinstance(result, Loaded) and store.last_seq == 15 and not store.loading


def test_after_give_up_and_after_a_good_snapshot_the_count_starts_again():
    store, loader = gap_store(), SnapshotLoader(resync_delays=(10,))
    assert isinstance(ask(loader, store, body(12)), Behind)
    loader.timer_fired()
    assert isinstance(ask(loader, store, body(12)), GiveUp)
    assert isinstance(ask(loader, store, body(12)), Behind)
    loader.forget()
    loader.timer_fired()
    assert isinstance(ask(loader, store, body(12)), Behind)  # forget (a new welcome) resets it too
    loader.timer_fired()
    loader.welcomed(store, Welcome(seq=15, epoch="e1", resumed=True))  # resumed: the count starts again
    store.apply(DeliveryUpdate.model_validate({"seq": 15, "deliveryId": "D-1", "changes": {"status": "picked_up"}}))
    assert store.loading and isinstance(ask(loader, store, body(12)), Behind)


def test_a_snapshot_of_another_epoch_is_never_applied():
    store, loader = Store(), SnapshotLoader()
    loader.welcomed(store, Welcome(seq=0, epoch="e2", resumed=False))
    result = ask(loader, store, body(99, epoch="e1"))
    assert isinstance(result, Behind) and "epoch" in result.why and not store.loaded
    loader.timer_fired()
    assert isinstance(ask(loader, store, body(3, epoch="e2")), Loaded) and store.epoch == "e2"


def test_a_snapshot_without_epoch_takes_the_streams():
    store, loader = Store(), SnapshotLoader()
    loader.welcomed(store, Welcome(seq=0, epoch="e2", resumed=False))
    assert isinstance(ask(loader, store, body(3)), Loaded) and store.epoch == "e2"


# --- a snapshot in hand before the first socket (rule 4) ------------------------------------------


def test_a_prefetched_snapshot_is_laid_down_and_the_welcome_resumes_from_it():
    store, loader = Store(), SnapshotLoader()
    result = loader.prefetched(body(40, epoch="e1"), store)
    assert isinstance(result, Loaded) and result.outcome.changes.reset
    assert (store.last_seq, store.epoch, store.loading) == (40, "e1", False)
    assert loader.welcomed(store, Welcome(seq=45, epoch="e1", resumed=True)) is None
    assert not store.loading and not loader.due(loading=store.loading, online=True)


def test_a_prefetched_snapshot_the_welcome_does_not_resume_is_asked_for_again():
    store, loader = Store(), SnapshotLoader()
    loader.prefetched(body(40, epoch="e1"), store)
    assert loader.welcomed(store, Welcome(seq=45, epoch="e2", resumed=False)) == "new epoch e2"
    assert store.loading and store.last_seq is None and loader.due(loading=store.loading, online=True)


def test_a_prefetched_body_is_taken_only_as_the_first_snapshot():
    store, loader = Store(), SnapshotLoader()
    not_one = loader.prefetched("<html>", store)
    assert not isinstance(not_one, Loaded) and not_one.snapshot is None and not store.loaded
    loader.requested("s-1")  # the welcome came first: the loader's own request wins
    assert loader.prefetched(body(40), store).snapshot is None and not store.loaded
    loader.forget()
    assert isinstance(loader.prefetched(body(40), store), Loaded)
    assert loader.prefetched(body(50), store).snapshot is None and store.last_seq == 40


# --- parse: strict values, never raising (rule 5) --------------------------------------------------


def staff(**fields) -> dict:
    return {"id": "S-1", "name": "Bo", "role": "driver", "status": "available", "lastSeenAt": T0, **fields}


def test_items_with_values_outside_the_limits_are_dropped_one_by_one():
    location = {"lat": 52.5, "lon": 13.4, "at": T0}
    text = json.dumps({"seq": 10, "deliveries": [delivery("D-1"), delivery("D-2", customer="c" * 1001)],
                       "staff": [staff(id="S-1"), staff(id="S-2", name="n" * 1001),
                                 staff(id="S-3", location={**location, "lat": 91}),
                                 staff(id="S-4", location=location)],
                       "zones": [], "communications": []})
    parsed = parse_snapshot(text)
    assert [d.id for d in parsed.snapshot.deliveries] == ["D-1"]
    assert [s.id for s in parsed.snapshot.staff] == ["S-1", "S-4"] and len(parsed.dropped) == 3


@pytest.mark.parametrize("text", [
    '{"seq": "7", "deliveries": [], "staff": [], "zones": [], "communications": []}',
    '{"seq": NaN, "deliveries": [], "staff": [], "zones": [], "communications": []}',
    '{"seq": 9007199254740992, "deliveries": [], "staff": [], "zones": [], "communications": []}',
    '{"seq": 1, "epoch": 5, "deliveries": [], "staff": [], "zones": [], "communications": []}',
    "[" * 10_000 + "]" * 10_000,
    '{"seq": 1, "deliveries": ' + "[" * 10_000 + "]" * 10_000 + ', "staff": [], "zones": [], "communications": []}',
    '{"seq": 1, "deliveries": [' + "{" * 5_000 + "}" * 5_000 + '], "staff": [], "zones": [], "communications": []}',
    "\ud800", "", "null", "1e999999",
])
def test_a_body_that_is_not_a_snapshot_is_none_never_an_exception(text):
    assert parse_snapshot(text).snapshot is None


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                    max_leaves=20))
@settings(max_examples=200, deadline=None)
def test_parse_never_raises_on_any_json(value):
    parse_snapshot(json.dumps(value))
    parse_snapshot(json.dumps({"seq": 1, "deliveries": [value], "staff": value, "zones": [], "communications": []}))
