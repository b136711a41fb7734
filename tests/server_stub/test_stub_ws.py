"""The WebSocket of PROTOCOL.md 3: handshake, close codes, heartbeat, resume and live events."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
from starlette.websockets import WebSocketDisconnect

from server_stub.testing import closed_with, emit, frame, hello, login, make_client, staff_event
from tests.waiting import wait_until


def test_welcome_on_first_connect(client, token, stub):
    stub.world.touch(2)
    with client.websocket_connect("/ws") as ws:
        assert hello(ws, token) == {"type": "welcome", "seq": 2, "epoch": stub.world.journal.epoch, "resumed": False}


@pytest.mark.parametrize("first", [
    "not json",
    json.dumps({"type": "ping", "t": 1}),
    json.dumps({"type": "auth"}),
    json.dumps({"type": "auth", "token": "x", "resumeFrom": -1}),
    json.dumps({"token": "x"}),
])
def test_a_bad_first_message_closes_4400(client, first):
    with client.websocket_connect("/ws") as ws:
        ws.send_text(first)
        assert closed_with(ws) == 4400


def test_a_binary_first_message_closes_4400(client):
    with client.websocket_connect("/ws") as ws:
        ws.send_bytes(b'{"type":"auth","token":"x"}')
        assert closed_with(ws) == 4400


def test_a_bad_token_closes_4401_and_counts(client):
    with client.websocket_connect("/ws") as ws:
        ws.send_text(json.dumps({"type": "auth", "token": "forged", "resumeFrom": None}))
        assert closed_with(ws) == 4401
    assert client.get("/_control/stats").json()["authFailures"] == 1


def test_ping_is_answered_with_the_same_t(client, token):
    with client.websocket_connect("/ws") as ws:
        hello(ws, token)
        ws.send_text(json.dumps({"type": "ping", "t": 1732629480123}))
        assert ws.receive_json() == {"type": "pong", "t": 1732629480123}


@pytest.mark.parametrize("frame", ["{}", "nonsense", json.dumps({"type": "pong", "t": 1})])
def test_an_invalid_frame_after_the_handshake_closes_4400(client, token, frame):
    with client.websocket_connect("/ws") as ws:
        hello(ws, token)
        ws.send_text(frame)
        assert closed_with(ws) == 4400


def test_live_events_follow_the_welcome(client, token):
    with client.websocket_connect("/ws") as ws:
        hello(ws, token)
        seq = emit(client, staff_event("S-02", "offline"))
        event = ws.receive_json()
        assert event.pop("ts").endswith("Z")
        assert event == {"type": "staff_status_update", "seq": seq, "staffId": "S-02", "status": "offline"}


def test_resume_replays_exactly_the_missed_events_in_order(client, token, stub):
    with client.websocket_connect("/ws") as ws:
        welcome = hello(ws, token)
    seen, epoch = welcome["seq"], welcome["epoch"]
    stub.world.touch(3)
    emit(client, staff_event())
    missed = stub.world.journal.since(seen)
    with client.websocket_connect("/ws") as ws:
        assert hello(ws, token, seen, epoch) == {"type": "welcome", "seq": seen + 4, "epoch": epoch, "resumed": True}
        assert [ws.receive_text() for _ in missed] == missed
        seq = emit(client, staff_event("S-03"))
        assert ws.receive_json()["seq"] == seq == seen + 5


def test_resume_from_the_current_seq_replays_nothing():
    with make_client() as client:
        token = login(client)
        epoch = client.app.state.stub.world.journal.epoch
        with client.websocket_connect("/ws") as ws:
            assert hello(ws, token, 0, epoch) == {"type": "welcome", "seq": 0, "epoch": epoch, "resumed": True}
            seq = emit(client, staff_event())
            assert ws.receive_json()["seq"] == seq == 1


@pytest.mark.parametrize("resume_from", [0, 99])
def test_resume_is_refused_when_too_old_or_in_the_future(resume_from):
    with make_client(replay_buffer=5) as client:
        token = login(client)
        client.app.state.stub.world.touch(10)
        epoch = client.app.state.stub.world.journal.epoch
        with client.websocket_connect("/ws") as ws:
            assert hello(ws, token, resume_from, epoch) == {"type": "welcome", "seq": 10, "epoch": epoch,
                                                            "resumed": False}
            seq = emit(client, staff_event())
            assert ws.receive_json()["seq"] == seq == 11  # live only: no replay was sent


def test_no_gap_and_no_duplicate_between_replay_and_live(client, token, stub):
    """Resume while a fast stream is being recorded: the socket sees every seq once."""
    client.post("/_control/stream", json={"rate": 1000, "seconds": 1.5})
    resume_from = wait_until(lambda: stub.world.seq >= 50 and stub.world.seq, timeout=20, interval=0.005,
                             message="the stream under way")
    wait_until(lambda: stub.world.seq >= resume_from + 50, timeout=20, interval=0.005,
               message="events to replay")
    with client.websocket_connect("/ws") as ws:
        assert hello(ws, token, resume_from, stub.world.journal.epoch)["resumed"] is True
        assert client.get("/_control/stream").json()["running"], "still streaming once resumed: live events follow"
        wait_until(lambda: not client.get("/_control/stream").json()["running"], timeout=30,
                   message="the stream to end")
        final = client.get("/_control/stats").json()["seq"]
        assert final > resume_from + 50
        seqs = [frame(ws)["seq"] for _ in range(final - resume_from)]
    assert seqs == list(range(resume_from + 1, final + 1))


def test_emit_without_broadcast_makes_a_gap_that_resume_fills(client, token):
    with client.websocket_connect("/ws") as ws:
        epoch = hello(ws, token)["epoch"]
        first = emit(client, staff_event("S-01", "offline"))
        hidden = emit(client, staff_event("S-02", "offline"), broadcast=False)
        last = emit(client, staff_event("S-03", "offline"))
        assert [ws.receive_json()["seq"] for _ in range(2)] == [first, last] == [hidden - 1, hidden + 1]
    with client.websocket_connect("/ws") as ws:
        assert hello(ws, token, first, epoch)["resumed"] is True
        assert ws.receive_json()["seq"] == hidden


def test_revoking_tokens_closes_open_sockets_4401(client, token):
    with client.websocket_connect("/ws") as ws:
        hello(ws, token)
        assert client.post("/_control/revoke", json={}).json() == {"sockets": 1}
        assert closed_with(ws) == 4401


@contextmanager
def welcomed(client):
    """A socket of ``client``'s, signed in as demo and welcomed."""
    token = login(client)
    with client.websocket_connect("/ws") as ws:
        hello(ws, token)
        yield ws


def test_an_expiring_token_closes_its_socket_4401():
    with make_client(token_ttl=0.3) as client, welcomed(client) as ws:
        assert closed_with(ws) == 4401


def test_no_auth_in_time_closes_1008():
    with make_client(auth_timeout=0.2) as client, client.websocket_connect("/ws") as ws:
        assert closed_with(ws) == 1008


def test_a_consumer_too_slow_for_its_queue_is_closed_1008():
    with make_client(ws_queue_limit=5) as client:
        with welcomed(client) as ws:
            client.portal.call(client.app.state.stub.world.touch, 20)  # one burst, in the server's loop
            assert closed_with(ws) == 1008
        assert client.app.state.stub.world.seq == 20  # the world did not wait


def test_silence_drops_pongs_and_events_until_lifted(client, token):
    with client.websocket_connect("/ws") as ws:
        hello(ws, token)
        client.post("/_control/silence", json={"on": True})
        ws.send_text(json.dumps({"type": "ping", "t": 1}))
        hidden = emit(client, staff_event())
        client.post("/_control/silence", json={"on": False})
        ws.send_text(json.dumps({"type": "ping", "t": 2}))
        assert ws.receive_json() == {"type": "pong", "t": 2}
        assert client.app.state.stub.world.journal.since(hidden - 1)  # still recorded for resume


def test_raw_frames_reach_every_socket_verbatim(client, token):
    with client.websocket_connect("/ws") as a, client.websocket_connect("/ws") as b:
        hello(a, token)
        hello(b, token)
        assert client.post("/_control/raw", json={"frame": "{not json"}).json() == {"sockets": 2}
        assert a.receive_text() == b.receive_text() == "{not json"


@pytest.mark.parametrize("code, seen", [(4000, 4000), (1012, 1012), (None, 1006)])
def test_drop_closes_every_socket(client, token, code, seen):
    """null aborts with no close frame (a real client sees 1006; the in-process one is told 1006)."""
    with client.websocket_connect("/ws") as ws:
        hello(ws, token)
        assert client.post("/_control/drop", json={"code": code}).json() == {"sockets": 1}
        assert closed_with(ws) == seen


def test_refuse_rejects_handshakes_for_a_while(client, token):
    client.post("/_control/refuse", json={"seconds": 30})
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/ws"):
            pass
    client.post("/_control/refuse", json={"seconds": 0})
    with client.websocket_connect("/ws") as ws:
        assert hello(ws, token)["type"] == "welcome"


def test_stats_count_open_sockets(client, token):
    client.post("/_control/reset_stats")
    with client.websocket_connect("/ws") as a:
        hello(a, token)
        with client.websocket_connect("/ws") as b:
            hello(b, token)
            stats = client.get("/_control/stats").json()
            assert (stats["openSockets"], stats["maxOpenSockets"], stats["totalConnections"]) == (2, 2, 2)
    wait_until(lambda: client.get("/_control/stats").json()["openSockets"] == 0, timeout=10, interval=0.01,
               message="both sockets counted closed")
    stats = client.get("/_control/stats").json()
    assert (stats["openSockets"], stats["maxOpenSockets"]) == (0, 2)
    assert client.post("/_control/reset_stats").json()["maxOpenSockets"] == 0
