"""app/sync.py: the snapshot request, its retries and a parse that never raises."""

from __future__ import annotations

import doctest
import json

from app import sync
from app.connection import CancelTimer, StartTimer
from app.sync import SNAPSHOT_TIMER, Loaded, Retrying, SnapshotLoader, Stale, parse_snapshot

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
    assert isinstance(loader.answered("s-1", None, "network down"), Retrying)
    assert not loader.due(loading=True, online=True)
    loader.timer_fired()
    assert loader.due(loading=True, online=True)


def test_failures_follow_the_backoff_schedule_then_its_last_delay():
    loader = SnapshotLoader(delays_factory=lambda: [1000, 2000])
    seen = []
    for n in range(4):
        loader.requested(f"s-{n}")
        seen.append(loader.answered(f"s-{n}", 500, "").delay_ms)
        loader.timer_fired()
    assert seen == [1000, 2000, 2000, 2000]
    assert loader.actions() == [StartTimer(SNAPSHOT_TIMER, d) for d in seen]
    assert "HTTP 500" in loader.error


def test_a_success_resets_the_schedule_and_the_error():
    loader = SnapshotLoader(delays_factory=lambda: [1000, 2000])
    loader.requested("s-1")
    loader.answered("s-1", 200, "not json")
    loader.timer_fired()
    loader.requested("s-2")
    result = loader.answered("s-2", 200, body(3))
    assert isinstance(result, Loaded) and result.snapshot.seq == 3 and loader.error is None
    loader.requested("s-3")
    assert loader.answered("s-3", 503, "").delay_ms == 1000


def test_an_answer_to_another_request_is_stale():
    loader = SnapshotLoader()
    loader.requested("s-2")
    assert loader.answered("s-1", 200, body()) == Stale()
    assert loader.request_id == "s-2"


def test_forget_returns_the_request_and_cancels_a_wait():
    loader = SnapshotLoader(delays_factory=lambda: [1000])
    loader.requested("s-1")
    assert loader.forget() == "s-1" and loader.request_id is None
    loader.requested("s-2")
    loader.answered("s-2", 500, "")
    loader.actions()
    assert loader.forget() is None and not loader.waiting
    assert loader.actions() == [CancelTimer(SNAPSHOT_TIMER)]
