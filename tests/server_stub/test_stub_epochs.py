"""Epochs (PROTOCOL.md 3.2): one history of seq numbers, named in welcome and snapshot;
resume only within it; the restart fault begins a new one."""

from __future__ import annotations

from server_stub.testing import closed_with, control, emit, frame, hello, login, make_client, staff_event


def snapshot(client, token: str) -> dict:
    return client.get("/api/snapshot", headers={"Authorization": f"Bearer {token}"}).json()


def test_welcome_and_snapshot_name_the_same_epoch(client, token):
    with client.websocket_connect("/ws") as ws:
        epoch = hello(ws, token)["epoch"]
    assert isinstance(epoch, str) and 1 <= len(epoch) <= 64
    assert snapshot(client, token)["epoch"] == epoch


def test_every_start_is_a_new_epoch_even_with_the_same_seed():
    epochs = set()
    for _ in range(3):
        with make_client() as client:
            epochs.add(snapshot(client, login(client))["epoch"])
    assert len(epochs) == 3


def test_resume_is_refused_with_another_epoch_or_none(client, token, stub):
    with client.websocket_connect("/ws") as ws:
        seen = hello(ws, token)["seq"]
    emit(client, staff_event())
    for other in ("another-history", None):
        with client.websocket_connect("/ws") as ws:
            assert hello(ws, token, seen, other) == {"type": "welcome", "seq": stub.world.seq,
                                                     "epoch": stub.world.journal.epoch, "resumed": False}
            assert stub.world.journal.since(seen)  # same epoch, it would have resumed
            later = emit(client, staff_event("S-02"))
            assert frame(ws)["seq"] == later  # live only: nothing of the history was replayed


def test_restart_begins_a_new_history_and_closes_every_socket(client, token, stub):
    with client.websocket_connect("/ws") as ws:
        old = hello(ws, token)
        for _ in range(3):
            emit(client, staff_event())
        answer = control(client, "restart", {}).json()
        assert closed_with(ws) == 1012
    assert answer["epoch"] != old["epoch"] and answer["seq"] == 0 and answer["sockets"] == 1
    assert stub.world.journal.since(0) == [] and stub.world.journal.oldest() is None
    snap = snapshot(client, token)  # the world was kept, at seq 0 of the new epoch
    assert (snap["epoch"], snap["seq"]) == (answer["epoch"], 0) and len(snap["deliveries"]) == 120
    with client.websocket_connect("/ws") as ws:  # the same token still works
        assert hello(ws, token, 3, old["epoch"]) == {"type": "welcome", "seq": 0, "epoch": answer["epoch"],
                                                     "resumed": False}
        assert emit(client, staff_event("S-05")) == 1  # seq counts up again from a lower number
        assert frame(ws)["seq"] == 1
    with client.websocket_connect("/ws") as ws:
        assert hello(ws, token, 0, answer["epoch"])["resumed"] is True  # resumable within the new epoch
        assert frame(ws)["seq"] == 1


def test_restart_can_abort_sockets_and_refuses_bad_codes(client, token):
    with client.websocket_connect("/ws") as ws:
        hello(ws, token)
        control(client, "restart", {"code": None})
        assert closed_with(ws) == 1006  # no close frame: the in-process client reports 1006
    assert control(client, "restart", {"code": 1006}).status_code == 422
