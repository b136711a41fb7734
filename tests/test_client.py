"""app/client.py: the glue, driven as the browser shell drives it, and a simulated server for a property test."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.client import (
    Client,
    CloseSocket,
    HttpRequest,
    Render,
    ShowConnection,
    ShowSync,
)
from app.commands import Accepted, Reason, Refused
from app.connection import State
from app.models import Communication, Delivery, Staff, Zone
from tests.fake_shell import (
    API,
    T0,
    Clock,
    Shell,
    connect,
    delivery,
    du,
    new_client,
    open_socket,
    ready_client,
    reopen,
    snapshot,
    staff,
    su,
    welcome,
)


def test_the_client_doctests_hold():
    import doctest

    from app import client

    assert doctest.testmod(client).failed == 0


# --- the flow ---------------------------------------------------------------------------------


def test_start_opens_the_socket_and_shows_connecting():
    client, shell, _ = new_client()
    client.start()
    shell.drain()
    assert shell.socket == "opening" and shell.shown[-1] == ShowConnection(State.CONNECTING, 0, 5, None)
    assert shell.timers.pop("refresh") > 0 and shell.timers == {"dead": 35_000}
    assert shell.sync[-1] == ShowSync(ready=False, loading=True, error=None)


def test_auth_is_sent_first_with_no_resume_point_on_first_connect():
    client, shell, _ = new_client()
    open_socket(client, shell)
    assert shell.sent == [{"type": "auth", "token": "tok", "resumeFrom": None, "epoch": None}]


def test_the_token_never_appears_in_logs_or_urls():
    client, shell, _ = ready_client(log_frames=True)
    client.set_status("D-1", "picked_up")
    shell.drain()
    assert all("tok" not in log.text for log in shell.logs)
    assert all("tok" not in r.url for r in shell.http.values())


def test_welcome_not_resumed_loads_the_snapshot_with_the_bearer_token():
    client, shell, _ = new_client()
    connect(client, shell)
    request = shell.request("/snapshot")
    assert request.method == "GET" and request.body_text is None
    assert request.headers["Authorization"] == "Bearer tok"
    assert shell.timers[f"http:{request.id}"] == 10_000
    assert shell.timers["ping"] == 15_000
    assert shell.shown[-1].state is State.SYNCING  # open, but not in sync: never "open" yet
    shell.answer(request, 200, snapshot(10))
    shell.drain()
    assert shell.shown[-1] == ShowConnection(State.OPEN, 0, 5, None) and client.state is State.OPEN


def test_events_during_the_snapshot_load_are_held_then_applied_after_it():
    client, shell, _ = new_client()
    connect(client, shell)
    client.socket_message(du(10, status="picked_up"))  # contained in the snapshot
    client.socket_message(du(11, status="in_transit"))  # newer than the snapshot
    shell.drain()
    assert client.delivery("D-1") is None and not client.ready
    shell.answer(shell.request("/snapshot"), 200, snapshot(10, [delivery(status="picked_up")]))
    shell.drain()
    assert client.ready and client.delivery("D-1").status == "in_transit"
    assert shell.renders[-1].reset
    assert shell.sync[-1] == ShowSync(ready=True, loading=False, error=None)
    assert client.diagnostics()["last_seq"] == 11


def test_reconnect_resumes_from_the_last_applied_seq_without_a_snapshot():
    client, shell, _ = ready_client()
    client.socket_message(su(11))
    client.socket_closed(1006, "")
    shell.socket = None
    shell.drain()
    assert shell.shown[-1] == ShowConnection(State.RECONNECTING, 1, 5, 1000)
    shell.fire("retry")
    shell.drain()
    client.socket_opened()
    shell.socket = "open"
    shell.drain()
    assert shell.sent[-1] == {"type": "auth", "token": "tok", "resumeFrom": 11, "epoch": None}
    client.socket_message(welcome(12, resumed=True))
    client.socket_message(su(12, status="offline"))
    shell.drain()
    assert shell.http == {} and client.staff_member("S-1").status == "offline"


def test_welcome_resumed_but_with_a_seq_that_went_backwards_resyncs():
    client, shell, _ = ready_client()
    reopen(client, shell)
    client.socket_message(welcome(3, resumed=True))  # the server restarted and lost its history
    shell.drain()
    assert shell.request("/snapshot")


def test_a_gap_resyncs_over_http_without_touching_the_socket():
    client, shell, _ = ready_client()
    opens = shell.opens
    client.socket_message(su(13))  # 11 and 12 lost
    shell.drain()
    assert shell.request("/snapshot") and shell.socket == "open" and shell.opens == opens
    assert client.staff_member("S-1").status == "available"  # not applied over the hole
    shell.answer(shell.request("/snapshot"), 200, snapshot(12))
    shell.drain()
    assert client.staff_member("S-1").status == "on_break"
    assert client.diagnostics()["resyncs"] == 1


def test_only_one_snapshot_request_at_a_time():
    client, shell, _ = ready_client()
    client.socket_message(su(13))
    client.socket_message(su(15))
    client.socket_message(su(17))
    shell.drain()
    assert len([r for r in shell.http.values() if r.url.endswith("/snapshot")]) == 1


def test_a_new_welcome_supersedes_an_older_snapshot_request():
    client, shell, _ = new_client()
    connect(client, shell)
    old = shell.request("/snapshot")
    reopen(client, shell)
    client.socket_message(welcome(20))
    shell.drain()
    new = [r for r in shell.http.values() if r.id != old.id][0]
    shell.answer(old, 200, snapshot(10))  # stale: ignored
    shell.drain()
    assert not client.ready
    shell.answer(new, 200, snapshot(20))
    shell.drain()
    assert client.ready and client.diagnostics()["last_seq"] == 20


def test_a_failed_first_snapshot_is_retried_with_backoff():
    client, shell, _ = new_client()
    connect(client, shell)
    shell.answer(shell.request("/snapshot"), 503, "busy")
    shell.drain()
    assert shell.timers["snapshot"] == 1000 and "503" in shell.sync[-1].error
    shell.fire("snapshot")
    shell.drain()
    request = shell.request("/snapshot")
    client.http_failed(request.id, "TypeError: Failed to fetch")
    del shell.http[request.id]
    shell.drain()
    assert shell.timers["snapshot"] == 2000
    shell.fire("snapshot")
    shell.drain()
    shell.answer(shell.request("/snapshot"), 200, snapshot(10))
    shell.drain()
    assert client.ready and shell.sync[-1].error is None


def test_a_snapshot_that_times_out_is_retried():
    client, shell, _ = new_client()
    connect(client, shell)
    request = shell.request("/snapshot")
    shell.fire(f"http:{request.id}")
    shell.drain()
    assert "snapshot" in shell.timers
    shell.answer(request, 200, snapshot(10))  # too late: ignored
    shell.drain()
    assert not client.ready


def test_one_invalid_item_in_a_snapshot_is_dropped_not_the_whole_snapshot():
    client, shell, _ = new_client()
    connect(client, shell)
    bad = delivery("D-2", status="lost")
    shell.answer(shell.request("/snapshot"), 200, snapshot(10, [delivery(), bad]))
    shell.drain()
    assert client.ready and [d.id for d in client.deliveries()] == ["D-1"]
    assert client.diagnostics()["invalid"] == 1


def test_an_unknown_delivery_is_fetched_and_shown():
    client, shell, _ = ready_client()
    client.socket_message(du(11, "D-9", status="picked_up"))
    shell.drain()
    request = shell.request("/deliveries/D-9")
    assert request.headers["Authorization"] == "Bearer tok"
    shell.answer(request, 200, delivery("D-9", status="picked_up"))
    shell.drain()
    assert client.delivery("D-9").status == "picked_up" and "D-9" in shell.renders[-1].deliveries


def test_close_4401_goes_to_login_and_never_reconnects():
    client, shell, _ = ready_client()
    client.socket_closed(4401, "bad token")
    shell.socket = None
    shell.drain()
    assert shell.unauthorized == 1 and shell.shown[-1].state is State.UNAUTHORIZED
    opens = shell.opens
    for name in list(shell.timers):
        client.timer_fired(name)
    client.retry_now()
    client.browser_online()
    client.page_visible()
    shell.drain()
    assert shell.opens == opens and shell.timers == {}


def test_http_401_anywhere_goes_to_login_and_closes_the_socket():
    client, shell, _ = new_client()
    connect(client, shell)
    shell.answer(shell.request("/snapshot"), 401, "")
    shell.drain()
    assert shell.unauthorized == 1 and shell.socket is None and shell.timers == {}
    assert shell.shown[-1].state is State.UNAUTHORIZED


def test_renders_are_coalesced_into_one_per_drain():
    client, shell, _ = ready_client()
    shell.renders.clear()
    for seq in range(11, 111):
        client.socket_message(su(seq, status="on_break" if seq % 2 else "available"))
    client.socket_message(du(111, status="picked_up"))
    actions = shell.drain()
    renders = [a for a in actions if isinstance(a, Render)]
    assert len(renders) == 1 and actions[-1] is renders[0]
    assert renders[0].changes.staff == {"S-1"} and renders[0].changes.deliveries == {"D-1"}
    assert renders[0].changes.event_types == {"staff_status_update", "delivery_update"}


def test_no_render_when_nothing_changed():
    client, shell, _ = ready_client()
    shell.renders.clear()
    client.socket_message(su(5))  # a duplicate
    client.socket_message(json.dumps({"type": "pong", "t": 0}))
    shell.drain()
    assert shell.renders == []


def test_heartbeat_sends_a_ping_and_the_pong_gives_the_round_trip():
    client, shell, clock = ready_client()
    clock.now = 15_000
    shell.fire("ping")
    shell.drain()
    assert shell.sent[-1] == {"type": "ping", "t": 15_000}
    clock.now = 15_042
    client.socket_message(json.dumps({"type": "pong", "t": 15_000}))
    assert client.diagnostics()["rtt_ms"] == 42


def silence_until_dead(shell, clock) -> None:
    """35 s without a frame: the dead timer closes the socket 4000 and the retry timer reopens it."""
    clock.now = 35_000
    shell.fire("dead")
    shell.drain()
    assert shell.closes[-1].code == 4000 and shell.socket is None
    shell.fire("retry")
    shell.drain()
    assert shell.socket == "opening"


def test_a_silent_socket_is_closed_and_reopened():
    client, shell, clock = ready_client()
    silence_until_dead(shell, clock)


def test_events_before_the_welcome_are_dropped_and_the_handshake_still_times_out():
    # A server that lost the welcome (the stub's silence fault), then sends live events.
    client, shell, clock = ready_client()
    reopen(client, shell)
    clock.now = 20_000
    client.socket_message(su(14))  # seq 11-13 were never seen: applying it would be a gap
    shell.drain()
    diagnostics = client.diagnostics()
    assert (diagnostics["invalid"], diagnostics["resyncs"], diagnostics["last_seq"]) == (1, 0, 10)
    assert diagnostics["rejected"][-1]["detail"] == "an event before the welcome"
    assert shell.http == {} and client.staff_member("S-1").status == "available"
    silence_until_dead(shell, clock)
    client.socket_opened()
    shell.socket = "open"
    shell.drain()
    assert shell.sent[-1]["resumeFrom"] == 10
    client.socket_message(welcome(14, resumed=True))
    for seq in (11, 12, 13, 14):
        client.socket_message(su(seq, status="on_break" if seq < 14 else "offline"))
    shell.drain()
    assert shell.http == {} and client.staff_member("S-1").status == "offline"
    assert client.diagnostics()["resyncs"] == 0


def test_diagnostics_count_everything_and_keep_the_last_ten_rejections():
    client, shell, _ = ready_client()
    client.socket_message(su(11))
    client.socket_message(su(11))  # duplicate
    client.socket_message(json.dumps({"type": "route_update"}))  # unknown
    for n in range(12):
        client.socket_message(f"<b>bad {n}</b>")
    client.socket_message("x" * 70_000)
    diagnostics = client.diagnostics()
    assert {k: diagnostics[k] for k in ("received", "applied", "invalid", "duplicates", "unknown", "last_seq")} == {
        "received": 1 + 3 + 12 + 1,  # the welcome, then these
        "applied": 1, "invalid": 13, "duplicates": 1, "unknown": 1, "last_seq": 11,
    }
    rejected = diagnostics["rejected"]
    assert len(rejected) == 10 and rejected[-1]["reason"] == "too_large"
    assert rejected[0] == {"reason": "not_json", "detail": rejected[0]["detail"], "preview": "<b>bad 3</b>"}
    json.dumps(diagnostics)  # plain data, ready for data-* attributes


def test_backend_without_seq_reloads_the_snapshot_after_every_reconnect():
    client, shell, _ = new_client()
    open_socket(client, shell)
    client.socket_message(json.dumps({"type": "welcome", "resumed": False}))
    shell.drain()
    shell.answer(shell.request("/snapshot"), 200, {**snapshot(None)})
    client.socket_message(json.dumps({"type": "staff_status_update", "staffId": "S-1", "status": "offline"}))
    client.socket_message(json.dumps({"type": "staff_status_update", "staffId": "S-1", "status": "on_break"}))
    shell.drain()
    assert client.staff_member("S-1").status == "on_break" and client.diagnostics()["last_seq"] is None
    reopen(client, shell)
    assert shell.sent[-1]["resumeFrom"] is None
    client.socket_message(json.dumps({"type": "welcome", "resumed": False}))
    shell.drain()
    assert shell.request("/snapshot")


def test_stop_closes_cancels_and_ignores_later_inputs():
    client, shell, _ = ready_client()
    client.set_status("D-1", "picked_up")
    shell.drain()
    client.stop()
    shell.drain()
    assert shell.closes[-1] == CloseSocket(1000, "stopped") and shell.timers == {}
    client.socket_message(su(11))
    client.retry_now()
    assert shell.drain() == []
    assert isinstance(client.set_status("D-1", "failed"), Refused)


# --- PROTOCOL v2: never give up, syncing, bounded resync, epochs, strict values ---------------------------------


def v2_welcome(seq=10, epoch="e1", resumed=False) -> str:
    return json.dumps({"type": "welcome", "seq": seq, "epoch": epoch, "resumed": resumed})


def v2_snapshot(seq=10, epoch="e1", **kw) -> dict:
    return {**snapshot(seq, **kw), "epoch": epoch}


def v2_ready(**kw) -> tuple[Client, Shell, Clock]:
    client, shell, clock = new_client(**kw)
    open_socket(client, shell)
    client.socket_message(v2_welcome(10, "e1"))
    shell.drain()
    shell.answer(shell.request("/snapshot"), 200, v2_snapshot(10, "e1"))
    shell.drain()
    assert client.ready and client.state is State.OPEN
    return client, shell, clock


def snapshot_requests(shell: Shell) -> list[HttpRequest]:
    return [r for r in shell.http.values() if r.url == API + "/snapshot"]


def latest_snapshot_request(shell: Shell) -> HttpRequest:
    """The one the client waits for (older ones, forgotten at a new welcome, are still in the shell's list)."""
    return snapshot_requests(shell)[-1]


def test_after_five_failed_attempts_it_stays_offline_and_tries_again_every_minute():
    client, shell, _ = new_client(rng=lambda: 0.5)
    client.start()
    shell.drain()
    for _ in range(5):
        client.socket_closed(1006, "")
        shell.socket = None
        shell.drain()
        shell.fire("retry")
        shell.drain()
    client.socket_closed(1006, "")
    shell.socket = None
    shell.drain()
    assert shell.shown[-1] == ShowConnection(State.OFFLINE, 5, 5, 60_000) and shell.timers["retry"] == 60_000
    shell.fire("retry")  # the slow try
    shell.drain()
    assert shell.socket == "opening" and shell.opens == 7
    client.socket_closed(1006, "")
    shell.socket = None
    shell.drain()
    assert shell.timers["retry"] == 60_000 and client.state is State.OFFLINE  # another minute, no burst
    shell.fire("retry")
    shell.drain()
    client.socket_opened()
    shell.socket = "open"
    client.socket_message(v2_welcome(10))
    shell.drain()
    assert client.diagnostics()["attempt"] == 0 and client.state is State.SYNCING


def test_syncing_while_a_resync_loads_then_open_and_commands_wait_for_it():
    client, shell, _ = v2_ready()
    client.socket_message(su(13))  # a gap: 11 and 12 were lost
    shell.drain()
    assert client.state is State.SYNCING and shell.shown[-1].state is State.SYNCING
    assert client.diagnostics()["state"] == "syncing"
    client.set_status("D-1", "picked_up")
    shell.drain()
    assert [r.method for r in shell.http.values()] == ["GET"]  # the PATCH waits for the resync
    shell.answer(shell.request("/snapshot"), 200, v2_snapshot(12))
    shell.drain()
    assert client.state is State.OPEN and shell.shown[-1] == ShowConnection(State.OPEN, 0, 5, None)
    assert [r.method for r in shell.http.values()] == ["PATCH"]


def test_a_snapshot_that_does_not_cover_the_gap_is_asked_again_after_1_2_4_s_not_in_a_loop():
    client, shell, _ = v2_ready()
    client.socket_message(su(15))  # 11-14 lost; the server's snapshot lags behind at 12
    shell.drain()
    waits = []
    for _ in range(3):
        shell.answer(shell.request("/snapshot"), 200, v2_snapshot(12))
        shell.drain()
        assert snapshot_requests(shell) == []  # not back to back
        assert client.state is State.SYNCING and shell.socket == "open"
        waits.append(shell.timers["snapshot"])
        shell.fire("snapshot")
        shell.drain()
    assert waits == [1000, 2000, 4000]
    assert "behind" in shell.sync[-1].error
    shell.answer(shell.request("/snapshot"), 200, v2_snapshot(12))  # the third retry still behind
    shell.drain()
    assert shell.closes[-1].code == 4001 and shell.socket is None and client.state is State.RECONNECTING
    assert snapshot_requests(shell) == [] and "snapshot" not in shell.timers
    shell.fire("retry")
    shell.drain()
    client.socket_opened()
    shell.socket = "open"
    shell.drain()
    assert shell.sent[-1] == {"type": "auth", "token": "tok", "resumeFrom": 10, "epoch": "e1"}
    client.socket_message(v2_welcome(15, resumed=True))  # the server replays 11-15
    for seq in range(11, 16):
        client.socket_message(su(seq, status="offline" if seq == 15 else "on_break"))
    shell.drain()
    assert snapshot_requests(shell)  # the store still wants its resync ...
    shell.answer(shell.request("/snapshot"), 200, v2_snapshot(13))  # ... and this one covers the replayed 11-15
    shell.drain()
    assert client.state is State.OPEN and client.diagnostics()["last_seq"] == 15
    assert client.staff_member("S-1").status == "offline"


def test_a_failed_snapshot_keeps_its_backoff_apart_from_the_behind_retries():
    client, shell, _ = v2_ready()
    client.socket_message(su(15))
    shell.drain()
    shell.answer(shell.request("/snapshot"), 503, "busy")
    shell.drain()
    assert shell.timers["snapshot"] == 1000 and client.state is State.SYNCING
    shell.fire("snapshot")
    shell.drain()
    shell.answer(shell.request("/snapshot"), 200, v2_snapshot(12))
    shell.drain()
    assert shell.timers["snapshot"] == 1000  # the first "behind" wait


def test_resume_within_an_epoch_sends_the_epoch_and_needs_no_snapshot():
    client, shell, _ = v2_ready()
    client.socket_message(su(11))
    reopen(client, shell)
    assert shell.sent[-1] == {"type": "auth", "token": "tok", "resumeFrom": 11, "epoch": "e1"}
    client.socket_message(v2_welcome(12, "e1", resumed=True))
    client.socket_message(su(12, status="offline"))
    shell.drain()
    assert shell.http == {} and client.state is State.OPEN and client.staff_member("S-1").status == "offline"
    assert client.diagnostics()["epoch"] == "e1"


def test_a_new_epoch_drops_the_resume_point_and_loads_the_snapshot():
    client, shell, _ = v2_ready()
    client.socket_message(su(11))
    reopen(client, shell)
    client.socket_message(v2_welcome(3, "e2", resumed=True))  # a server that restarted without its journal
    client.socket_message(su(4, status="offline"))  # seq 4 of the new history: held, not a duplicate of 11
    shell.drain()
    assert client.state is State.SYNCING and client.diagnostics()["last_seq"] is None
    reopen(client, shell)  # dropped before the snapshot came: nothing to resume from
    assert shell.sent[-1] == {"type": "auth", "token": "tok", "resumeFrom": None, "epoch": None}
    client.socket_message(v2_welcome(3, "e2"))
    client.socket_message(su(4, status="offline"))
    shell.drain()
    shell.answer(latest_snapshot_request(shell), 200, v2_snapshot(3, "e2"))
    shell.drain()
    diagnostics = client.diagnostics()
    assert (diagnostics["epoch"], diagnostics["last_seq"], diagnostics["duplicates"]) == ("e2", 4, 0)
    assert client.staff_member("S-1").status == "offline" and client.state is State.OPEN


def test_a_snapshot_of_another_epoch_is_refused_and_asked_again():
    client, shell, _ = new_client()
    open_socket(client, shell)
    client.socket_message(v2_welcome(20, "e2"))
    shell.drain()
    shell.answer(shell.request("/snapshot"), 200, v2_snapshot(500, "e1"))  # a replica of the old history
    shell.drain()
    assert not client.ready and client.state is State.SYNCING and shell.timers["snapshot"] == 1000
    assert "epoch" in shell.sync[-1].error
    shell.fire("snapshot")
    shell.drain()
    shell.answer(shell.request("/snapshot"), 200, v2_snapshot(20, "e2"))
    shell.drain()
    assert client.ready and client.diagnostics()["epoch"] == "e2"


def test_events_held_from_the_old_stream_are_dropped_at_a_new_welcome():
    client, shell, _ = v2_ready()
    client.socket_message(su(13, status="offline"))  # a gap: held while the snapshot loads
    shell.drain()
    reopen(client, shell)
    client.socket_message(v2_welcome(2, "e2"))
    shell.drain()
    assert client.diagnostics()["held"] == 0
    shell.answer(latest_snapshot_request(shell), 200, v2_snapshot(2, "e2"))
    shell.drain()
    assert client.staff_member("S-1").status == "available"  # seq 13 of e1 never lands on e2's state
    assert client.diagnostics()["last_seq"] == 2


def test_a_version_1_backend_with_seq_still_resumes_with_no_epoch_anywhere():
    client, shell, _ = ready_client()
    client.socket_message(su(11))
    reopen(client, shell)
    assert shell.sent[-1] == {"type": "auth", "token": "tok", "resumeFrom": 11, "epoch": None}
    client.socket_message(welcome(11, resumed=True))
    shell.drain()
    assert shell.http == {} and client.state is State.OPEN and client.diagnostics()["epoch"] is None


# --- the first connect from a snapshot prefetched during the boot (issue 13) --------------------------


def prefetched_client(body, **kw) -> tuple[Client, Shell, bool]:
    """A client given the boot's snapshot, then started: its socket is open, its auth sent, no welcome yet."""
    client, shell, _ = new_client(**kw)
    taken = client.snapshot_prefetched(body if isinstance(body, str) else json.dumps(body))
    shell.drain()
    open_socket(client, shell)
    return client, shell, taken


def test_a_prefetched_snapshot_is_shown_before_the_socket_and_the_first_auth_resumes_from_it():
    client, shell, _ = new_client()
    assert client.snapshot_prefetched(json.dumps(v2_snapshot(40, "e1", deliveries=[delivery(status="assigned")])))
    shell.drain()
    assert client.ready and shell.renders[-1].reset and shell.socket is None and shell.http == {}
    open_socket(client, shell)
    assert shell.sent == [{"type": "auth", "token": "tok", "resumeFrom": 40, "epoch": "e1"}]
    client.socket_message(v2_welcome(42, "e1", resumed=True))
    client.socket_message(du(41, status="picked_up"))  # the server replays the gap 41..42
    client.socket_message(su(42, status="offline"))
    shell.drain()
    assert snapshot_requests(shell) == [] and client.state is State.OPEN
    assert client.delivery("D-1").status == "picked_up" and client.staff_member("S-1").status == "offline"
    assert client.diagnostics()["last_seq"] == 42 and client.diagnostics()["invalid"] == 0


def test_a_prefetched_snapshot_the_server_cannot_resume_from_is_loaded_afresh():
    client, shell, taken = prefetched_client(v2_snapshot(40, "e1"))
    assert taken
    client.socket_message(v2_welcome(900, "e1", resumed=False))  # 40 is older than the server keeps
    client.socket_message(su(901, status="offline"))
    shell.drain()
    assert client.state is State.SYNCING and len(snapshot_requests(shell)) == 1
    shell.answer(shell.request("/snapshot"), 200, v2_snapshot(900, "e1"))
    shell.drain()
    assert client.state is State.OPEN and client.staff_member("S-1").status == "offline"
    assert client.diagnostics()["last_seq"] == 901


def test_a_prefetched_snapshot_of_another_epoch_is_dropped_and_the_snapshot_loaded_afresh():
    client, shell, _ = prefetched_client(v2_snapshot(40, "e1"))
    client.socket_message(v2_welcome(3, "e2", resumed=False))
    client.socket_message(su(4, status="offline"))
    shell.drain()
    assert client.diagnostics()["last_seq"] is None and len(snapshot_requests(shell)) == 1
    shell.answer(shell.request("/snapshot"), 200, v2_snapshot(3, "e2"))
    shell.drain()
    assert (client.diagnostics()["epoch"], client.diagnostics()["last_seq"]) == ("e2", 4)


def test_a_version_1_prefetched_snapshot_resumes_with_no_epoch():
    client, shell, _ = prefetched_client(snapshot(40))
    assert shell.sent == [{"type": "auth", "token": "tok", "resumeFrom": 40, "epoch": None}]
    client.socket_message(welcome(41, resumed=True))
    client.socket_message(su(41, status="offline"))
    shell.drain()
    assert snapshot_requests(shell) == [] and client.state is State.OPEN
    assert client.staff_member("S-1").status == "offline" and client.diagnostics()["epoch"] is None


def test_a_prefetched_snapshot_without_seq_cannot_resume_and_is_loaded_again():
    client, shell, _ = prefetched_client(snapshot(None))
    assert shell.sent[-1]["resumeFrom"] is None
    client.socket_message(json.dumps({"type": "welcome", "resumed": False}))
    shell.drain()
    assert len(snapshot_requests(shell)) == 1


def test_a_prefetched_body_that_is_not_a_snapshot_is_counted_and_the_welcome_asks_for_one():
    client, shell, taken = prefetched_client("<html>maintenance</html>")
    assert not taken and not client.ready and shell.renders == []
    assert client.diagnostics()["invalid"] == 1 and "prefetched" in client.diagnostics()["rejected"][0]["detail"]
    assert shell.sent == [{"type": "auth", "token": "tok", "resumeFrom": None, "epoch": None}]
    client.socket_message(v2_welcome(10, "e1"))
    shell.drain()
    shell.answer(shell.request("/snapshot"), 200, v2_snapshot(10, "e1"))
    shell.drain()
    assert client.ready and client.state is State.OPEN


def test_a_prefetched_snapshot_drops_and_counts_its_bad_items_only():
    client, shell, taken = prefetched_client(v2_snapshot(40, deliveries=[delivery("D-1"), delivery("D-2", status="x")]))
    assert taken and client.delivery("D-1") is not None and client.delivery("D-2") is None
    assert client.diagnostics()["invalid"] == 1


def test_a_snapshot_prefetched_too_late_is_not_taken():
    client, shell, _ = new_client()
    open_socket(client, shell)
    assert not client.snapshot_prefetched(json.dumps(v2_snapshot(40)))
    shell.drain()
    assert not client.ready and client.diagnostics()["invalid"] == 0
    client.socket_message(v2_welcome(40, "e1"))
    shell.drain()
    assert len(snapshot_requests(shell)) == 1
    client.stop()
    assert not client.snapshot_prefetched(json.dumps(v2_snapshot(40)))


def test_values_outside_the_protocol_are_rejected_counted_and_shown_never_raised():
    client, shell, _ = v2_ready()
    bad = [
        json.dumps({"type": "staff_status_update", "seq": "11", "staffId": "S-1", "status": "offline"}),
        json.dumps({"type": "welcome", "seq": 10, "resumed": "yes"}),
        '{"type": "pong", "t": NaN}',
        '{"type": "pong", "t": Infinity}',
        json.dumps({"type": "staff_status_update", "seq": 2**53, "staffId": "S-1", "status": "offline"}),
        json.dumps({"type": "staff_location_update", "seq": 11, "staffId": "S-1",
                    "location": {"lat": 91, "lon": 0, "at": T0}}),
        json.dumps({"type": "zone_update", "seq": 11, "zoneId": "Z-1", "changes": {"name": "n" * 1001}}),
        '{"type": "delivery_update", "seq": 11, "deliveryId": "D-1", "changes": ' + "[" * 10_000 + "]" * 10_000 + "}",
    ]
    client.socket_messages(bad)
    shell.drain()
    diagnostics = client.diagnostics()
    assert diagnostics["invalid"] == len(bad) and diagnostics["applied"] == 0 and diagnostics["last_seq"] == 10
    assert len(diagnostics["rejected"]) == len(bad) and client.state is State.OPEN
    assert client.staff_member("S-1").status == "available"


def test_invalid_rest_answers_count_as_invalid_too():
    client, shell, _ = new_client()
    connect(client, shell)
    shell.answer(shell.request("/snapshot"), 200, "[" * 10_000 + "]" * 10_000)
    shell.drain()
    diagnostics = client.diagnostics()
    assert diagnostics["invalid"] == 1 and "not a snapshot" in diagnostics["rejected"][-1]["detail"]
    assert shell.timers["snapshot"] == 1000 and not client.ready  # retried like any failed snapshot
    shell.fire("snapshot")
    shell.drain()
    shell.answer(shell.request("/snapshot"), 200, snapshot(10))
    client.socket_message(du(11, "D-9", status="picked_up"))
    shell.drain()
    shell.answer(shell.request("/deliveries/D-9"), 200, {"id": "D-9", "status": "sideways"})
    shell.drain()
    assert client.diagnostics()["invalid"] == 2


def test_a_location_update_moves_the_staff_member_and_names_them_as_moved():
    client, shell, _ = v2_ready()
    shell.renders.clear()
    client.socket_message(json.dumps({"type": "staff_location_update", "seq": 11, "staffId": "S-1",
                                      "location": {"lat": 52.52, "lon": 13.405, "at": T0}}))
    shell.drain()
    assert client.staff_member("S-1").location.lat == 52.52 and shell.renders[-1].moved == {"S-1"}
    assert shell.renders[-1].staff == frozenset()  # the staff rows do not redraw for a location
    assert client.diagnostics()["last_seq"] == 11


def test_a_reauthed_frame_is_neither_an_event_nor_invalid():
    client, shell, _ = v2_ready()
    client.socket_message(json.dumps({"type": "reauthed", "expiresAt": "2026-11-26T20:00:00Z"}))
    shell.drain()
    diagnostics = client.diagnostics()
    assert (diagnostics["invalid"], diagnostics["applied"], diagnostics["resyncs"]) == (0, 0, 0)
    assert client.state is State.OPEN and shell.http == {}


# --- commands through the client ------------------------------------------------------------


def test_a_command_shows_at_once_and_sends_a_patch_with_the_right_headers():
    client, shell, _ = ready_client()
    shell.renders.clear()
    assert client.set_status("D-1", "picked_up") == Accepted("key1")
    shell.drain()
    assert client.delivery("D-1").status == "picked_up" and client.row_status("D-1").pending
    assert shell.renders[-1].deliveries == {"D-1"}
    request = shell.request("/deliveries/D-1")
    assert request.method == "PATCH" and json.loads(request.body_text) == {"status": "picked_up"}
    assert request.headers == {"Authorization": "Bearer tok", "Accept": "application/json",
                               "Content-Type": "application/json", "Idempotency-Key": "key1"}
    shell.answer(request, 200, {"delivery": delivery(status="picked_up"), "seq": 11})
    shell.drain()
    assert not client.row_status("D-1").pending and client.delivery("D-1").status == "picked_up"
    client.socket_message(du(11, status="picked_up"))
    shell.drain()
    assert not client.commands.has_overlay("D-1")


def test_a_conflict_rolls_the_row_back_with_a_readable_reason():
    client, shell, _ = ready_client()
    client.set_status("D-1", "picked_up")
    shell.drain()
    shell.answer(shell.request("/deliveries/D-1"), 409, {"detail": "already delivered"})
    shell.drain()
    row = client.row_status("D-1")
    assert client.delivery("D-1").status == "assigned" and not row.pending
    assert row.error.reason is Reason.CONFLICT and "already delivered" in row.error.message
    client.dismiss(row.error.command_id)
    shell.drain()
    assert client.row_status("D-1").error is None


def test_a_command_that_gets_no_answer_times_out_and_can_be_retried_with_the_same_key():
    client, shell, _ = ready_client()
    client.assign("D-1", "S-1")
    shell.drain()
    first = shell.request("/deliveries/D-1")
    shell.fire(f"http:{first.id}")
    shell.drain()
    error = client.row_status("D-1").error
    assert error.reason is Reason.TIMEOUT and client.delivery("D-1").assignedTo is None
    client.retry(error.command_id)
    shell.drain()
    second = [r for r in shell.http.values() if r.id != first.id][0]
    assert second.headers["Idempotency-Key"] == first.headers["Idempotency-Key"]


def test_a_command_confirmed_by_its_event_stops_its_timeout():
    client, shell, _ = ready_client()
    client.set_status("D-1", "picked_up")
    shell.drain()
    request = shell.request("/deliveries/D-1")
    client.socket_message(du(11, status="picked_up"))
    shell.drain()
    assert f"http:{request.id}" not in shell.timers and not client.row_status("D-1").pending


def test_commands_made_while_disconnected_are_sent_in_order_after_the_resync():
    client, shell, _ = ready_client()
    client.socket_closed(1006, "")
    shell.socket = None
    shell.drain()
    client.set_status("D-1", "picked_up")
    client.send_message("S-1", "on my way", "D-1")
    shell.drain()
    assert shell.http == {} and client.delivery("D-1").status == "picked_up"
    assert [c.body for c in client.communications()] == ["on my way"]
    assert client.communication_pending(client.communications()[0].id)
    shell.fire("retry")
    shell.drain()
    client.socket_opened()
    shell.socket = "open"
    client.socket_message(welcome(30, resumed=False))  # too far behind: resync first
    shell.drain()
    assert [r.url for r in shell.http.values()] == [API + "/snapshot"]
    shell.answer(shell.request("/snapshot"), 200, snapshot(30))
    shell.drain()
    assert shell.request("/deliveries/D-1").method == "PATCH"
    shell.answer(shell.request("/deliveries/D-1"), 200, {"delivery": delivery(status="picked_up"), "seq": 31})
    shell.drain()
    post = shell.request("/communications")
    assert json.loads(post.body_text) == {"to": "S-1", "body": "on my way", "deliveryId": "D-1"}


def test_a_full_queue_refuses_with_a_message():
    client, shell, _ = new_client(max_queue=2)
    client.start()
    assert isinstance(client.set_status("D-1", "picked_up"), Accepted)
    assert isinstance(client.set_status("D-2", "picked_up"), Accepted)
    refused = client.set_status("D-3", "picked_up")
    assert refused.reason == "queue_full" and refused.message


def test_views_read_staff_zones_and_communications():
    client, shell, _ = new_client()
    connect(client, shell)
    comm = {"id": "C-1", "from": "S-1", "to": "coordinators", "body": "<script>x</script>", "sentAt": T0,
            "deliveryId": None}
    zone = {"id": "Z-1", "name": "North", "status": "open", "activeDeliveries": 1, "availableStaff": 2}
    shell.answer(shell.request("/snapshot"), 200, snapshot(10, zones=[zone], comms=[comm]))
    shell.drain()
    assert client.zone("Z-1") == Zone.model_validate(zone) and client.zones() == [Zone.model_validate(zone)]
    assert client.staff() == [Staff.model_validate(staff())]
    assert client.communications() == [Communication.model_validate(comm)]
    assert client.communication("C-1").body == "<script>x</script>"
    assert client.deliveries() == [Delivery.model_validate(delivery())]


# --- the property: a simulated server, faults at random, and the client converges ---------------------------

STATUSES = ["pending", "assigned", "picked_up", "in_transit", "delivered", "failed", "cancelled"]
STAFF_STATUSES = ["available", "on_delivery", "on_break", "offline"]


class Server:
    """A tiny model of a backend speaking PROTOCOL.md: state, seq, a ring buffer of recent events."""

    def __init__(self, ring: int, with_seq: bool) -> None:
        self.ring = ring
        self.with_seq = with_seq
        self.seq = 0
        self.deliveries = {f"D-{n}": delivery(f"D-{n}") for n in range(3)}
        self.staff = {f"S-{n}": staff(f"S-{n}") for n in range(2)}
        self.zones = {f"Z-{n}": {"id": f"Z-{n}", "name": f"Zone {n}", "status": "open", "activeDeliveries": 0,
                                 "availableStaff": 0, "area": None} for n in range(2)}
        self.comms: list[dict] = []  # newest first
        self.log: list[tuple[int, dict]] = []
        self.created = 0
        self.restarts = 0
        self.epoch = "e0" if with_seq else None  # a version-1 backend has no epoch

    def restart(self) -> None:
        """A restart without its journal (or a failover): the same world, a new history of seq numbers."""
        self.restarts += 1
        self.epoch = f"e{self.restarts}"
        self.seq = 0
        self.log = []

    def mutate(self, pick: int) -> dict:
        kind, rest = pick % 7, pick // 7  # the kind of change, then independent choices from the rest
        ids = sorted(self.deliveries)
        if kind in (0, 1):  # half the time the newest delivery: races with its fetch are the interesting part
            did = f"D-new-{self.created}" if self.created and rest % 2 else ids[rest % len(ids)]
            changes = {"status": STATUSES[rest // 7 % 7]} if kind == 0 else {
                "assignedTo": None if rest // 7 % 3 == 0 else f"S-{rest // 7 % 2}"}
            self.deliveries[did] = {**self.deliveries[did], **changes}
            event = {"type": "delivery_update", "deliveryId": did, "changes": changes}
        elif kind in (2, 3):  # a new delivery, announced whole (2) or only in part (3)
            self.created += 1
            did = f"D-new-{self.created}"
            self.deliveries[did] = delivery(did, customer=f"C{rest}", status="pending")
            whole = {k: v for k, v in self.deliveries[did].items() if k != "id"}
            event = {"type": "delivery_update", "deliveryId": did,
                     "changes": whole if kind == 2 else {"status": "pending"}}
        elif kind == 4:
            sid = f"S-{rest % 2}"
            self.staff[sid] = {**self.staff[sid], "status": STAFF_STATUSES[rest // 2 % 4]}
            event = {"type": "staff_status_update", "staffId": sid, "status": self.staff[sid]["status"]}
        elif kind == 5:
            zid = f"Z-{rest % 2}"
            changes = {"activeDeliveries": rest % 17, "status": ["open", "busy", "closed"][rest // 2 % 3]}
            self.zones[zid] = {**self.zones[zid], **changes}
            event = {"type": "zone_update", "zoneId": zid, "changes": changes}
        else:
            n = len(self.comms)
            comm = {"id": f"C-{n}", "from": "S-0", "to": "coordinators", "body": f"<b>msg {n}</b>",
                    "sentAt": f"2026-11-26T{10 + n // 60:02d}:{n % 60:02d}:00Z", "deliveryId": None}
            self.comms.insert(0, comm)
            event = {"type": "new_communication", "communication": comm}
        self.seq += 1
        if self.with_seq:
            event["seq"] = self.seq
        self.log = (self.log + [(self.seq, event)])[-self.ring:] if self.ring else []
        return event

    def welcome(self, resume_from, epoch):
        oldest_kept = self.log[0][0] if self.log else self.seq + 1
        can_resume = self.with_seq and resume_from is not None and resume_from + 1 >= oldest_kept \
            and resume_from <= self.seq and epoch == self.epoch
        frame = {"type": "welcome", "resumed": can_resume}
        if self.with_seq:
            frame["seq"] = self.seq
            frame["epoch"] = self.epoch
        replay = [e for s, e in self.log if s > resume_from] if can_resume else []
        return frame, replay

    def snapshot(self) -> dict:
        return {"seq": self.seq if self.with_seq else None, "epoch": self.epoch,
                "deliveries": list(self.deliveries.values()),
                "staff": list(self.staff.values()), "zones": list(self.zones.values()),
                "communications": self.comms[:200]}

    def answer(self, request: HttpRequest) -> tuple[int, str]:
        path = request.url[len(API):]
        if path == "/snapshot":
            return 200, json.dumps(self.snapshot())
        did = path.rsplit("/", 1)[1]
        if did in self.deliveries:
            return 200, json.dumps(self.deliveries[did])
        return 404, "{}"


class World:
    """The client, its shell and the server, connected by a socket queue that can drop and repeat."""

    def __init__(self, ring: int, with_seq: bool, eager: bool = False) -> None:
        self.eager = eager  # the server handles each request the moment it is made (the stalest answers)
        self.server = Server(ring, with_seq)
        self.client, self.shell, _ = new_client(delays_factory=lambda: [1, 1, 1, 1, 1])
        self.queue: list[str] = []  # frames on their way to the client
        self.authed = False
        self.stream_epoch = None  # the epoch of the server that welcomed the open socket
        self.processed: dict[str, tuple[int, str]] = {}  # answers computed, not yet delivered

    def pump(self) -> None:
        """Drain actions, open sockets and answer auth at once (a socket always connects here)."""
        for _ in range(20):
            self.shell.drain()
            if self.eager:
                for request in self.shell.http.values():
                    self.processed.setdefault(request.id, self.server.answer(request))
            if self.shell.socket == "opening":
                self.shell.socket = "open"
                self.client.socket_opened()
                continue
            if self.shell.sent:
                for frame in self.shell.sent:
                    if frame["type"] == "auth":
                        welcome, replay = self.server.welcome(frame["resumeFrom"], frame["epoch"])
                        self.queue = [json.dumps(welcome)] + [json.dumps(e) for e in replay]
                        self.authed = True
                        self.stream_epoch = self.server.epoch
                    elif frame["type"] == "ping":
                        self.queue.append(json.dumps({"type": "pong", "t": frame["t"]}))
                self.shell.sent.clear()
                continue
            break

    def step(self, kind: str, pick: int) -> None:
        if kind == "mutate":
            event = self.server.mutate(pick)
            if self.authed and self.shell.socket == "open" and self.stream_epoch == self.server.epoch:
                self.queue.append(json.dumps(event))
        elif kind == "restart":
            # The socket's server is gone but the socket is not closed yet (a failover behind a proxy):
            # REST reaches the new history while the old socket falls silent, until the dead timer.
            self.server.restart()
        elif kind in ("deliver", "duplicate", "drop") and self.queue:
            frame = self.queue.pop(0)
            if kind == "drop" and '"seq"' in frame and self.server.with_seq and '"welcome"' not in frame:
                return
            self.client.socket_message(frame)
            if kind == "duplicate" and '"welcome"' not in frame:
                self.client.socket_message(frame)
        elif kind == "process" and self.shell.http:
            # The server handles the request now; its answer travels while events go on.
            request = list(self.shell.http.values())[pick % len(self.shell.http)]
            self.processed.setdefault(request.id, self.server.answer(request))
        elif kind == "answer" and self.shell.http:
            self.answer(list(self.shell.http.values())[pick % len(self.shell.http)])
        elif kind == "fail" and self.shell.http:
            request = list(self.shell.http.values())[pick % len(self.shell.http)]
            del self.shell.http[request.id]
            self.client.http_failed(request.id, "network down")
        elif kind == "disconnect" and self.shell.socket == "open":
            self.shell.socket = None
            self.authed = False
            self.queue.clear()
            self.client.socket_closed(1006, "")
        elif kind == "timers":
            for name in ("retry", "snapshot", "ping"):
                if name in self.shell.timers:
                    self.shell.fire(name)
        self.pump()

    def answer(self, request: HttpRequest) -> None:
        status, body = self.processed.pop(request.id, None) or self.server.answer(request)
        self.shell.answer(request, status, body)

    def settle(self) -> None:
        """No more faults: deliver everything, answer everything, fire due timers, until quiet."""
        for _ in range(100):
            if self.client.state is State.OFFLINE:
                self.client.retry_now()
            if self.shell.socket == "open" and self.authed and self.stream_epoch != self.server.epoch:
                self.step("disconnect", 0)  # the silent socket of a server that restarted: the dead timer
            busy = bool(self.queue or self.shell.http or {"retry", "snapshot"} & set(self.shell.timers))
            while self.queue:
                self.client.socket_message(self.queue.pop(0))
                self.pump()
            while self.shell.http:
                self.answer(next(iter(self.shell.http.values())))
                self.pump()
            for name in ("retry", "snapshot"):
                if name in self.shell.timers:
                    self.shell.fire(name)
            self.pump()
            if not busy:
                return
        raise AssertionError("the client never settled")


STEP_KINDS = (["mutate"] * 6 + ["deliver"] * 6 + ["process"] * 2 + ["answer"] * 3
              + ["duplicate", "drop", "fail", "disconnect", "timers", "restart"])
# One integer per step (its kind, then a free choice): half the draws of a tuple, so twice the examples per second.
STEPS = st.lists(st.integers(0, len(STEP_KINDS) * 10_000 - 1), min_size=20, max_size=60).map(
    lambda codes: [(STEP_KINDS[code % len(STEP_KINDS)], code // len(STEP_KINDS)) for code in codes]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# A race too rare for random schedules to find every run: a delivery announced in part is fetched, the server
# answers at once, a newer change to it arrives before that (now stale) answer does.
@example(steps=[("deliver", 0), ("answer", 0), ("mutate", 3), ("deliver", 0), ("mutate", 147), ("deliver", 0),
                ("answer", 0)], ring=8, with_seq=True, eager=True, prefetched=-1)
# Without seq: an event held from the old socket must not be replayed over the new stream's snapshot.
@example(steps=[("deliver", 0), ("mutate", 105), ("deliver", 0), ("mutate", 147), ("disconnect", 0), ("timers", 0),
                ("deliver", 0), ("answer", 0), ("answer", 0)], ring=0, with_seq=False, eager=False, prefetched=-1)
@given(steps=STEPS, ring=st.integers(0, 8), with_seq=st.booleans(), eager=st.booleans(), prefetched=st.integers(-1, 12))
def test_after_quiescence_the_client_holds_exactly_the_servers_state(steps, ring, with_seq, eager, prefetched):
    world = World(ring, with_seq, eager)
    if prefetched >= 0:  # the boot fetched a snapshot, and the world moved on by that many events before the socket
        body = json.dumps(world.server.snapshot())
        for n in range(prefetched):
            world.server.mutate(n * 11 + 2)
        assert world.client.snapshot_prefetched(body)
    world.client.start()
    world.pump()
    if with_seq and 0 <= prefetched <= ring:  # the server still keeps what came since: replayed, nothing fetched
        world.settle()
        assert world.shell.http == {} and world.client.diagnostics()["last_seq"] == world.server.seq
        assert {d.id: d.wire() for d in world.client.deliveries()} == world.server.deliveries
    for kind, pick in steps:
        if not with_seq and kind in ("drop", "restart"):
            kind = "deliver"  # without seq a lost event cannot be noticed: not this protocol's promise
        world.step(kind, pick)
    world.settle()
    # One more event delivered reliably: a loss at the very end shows up as a gap only then.
    event = world.server.mutate(4)
    if world.authed and world.stream_epoch == world.server.epoch:
        world.queue.append(json.dumps(event))
    world.settle()

    client, server = world.client, world.server
    assert client.ready and not client.store.loading
    assert {d.id: d.wire() for d in client.deliveries()} == server.deliveries
    assert {s.id: s.wire() for s in client.staff()} == server.staff
    assert {z.id: z.wire() for z in client.zones()} == server.zones
    assert [c.wire() for c in client.communications()] == server.comms
    if with_seq:
        assert client.diagnostics()["last_seq"] == server.seq
        assert client.diagnostics()["epoch"] == server.epoch


def test_a_batch_of_frames_is_the_same_as_the_frames_one_by_one():
    one, one_shell, _ = new_client()
    batch, batch_shell, _ = new_client()
    frames = [welcome(10), du(11, status="picked_up"), du(12, did="D-2", status="in_transit")]
    for client, shell in ((one, one_shell), (batch, batch_shell)):
        open_socket(client, shell)
    for frame in frames:
        one.socket_message(frame)
    batch.socket_messages(frames)
    one_shell.drain()
    batch_shell.drain()
    for client, shell in ((one, one_shell), (batch, batch_shell)):
        shell.answer(shell.request("/snapshot"), 200, snapshot(10, deliveries=[delivery("D-1"), delivery("D-2")]))
        shell.drain()
        assert client.ready
    assert [d.model_dump() for d in one.deliveries()] == [d.model_dump() for d in batch.deliveries()]
    assert batch.delivery("D-1").status == "picked_up" and batch.delivery("D-2").status == "in_transit"
    assert one_shell.timers == batch_shell.timers  # the dead-socket timer runs in both (frames after the welcome)
    assert batch.diagnostics()["received"] == one.diagnostics()["received"] == 3
