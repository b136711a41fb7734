"""Commands (PROTOCOL.md 2): causes on their events, the 24-hour idempotency window, and the
fault routes around them (failing answers, another user's change, applied counts)."""

from __future__ import annotations

import json

import pytest

from app.models import DeliveryStatus, StaffStatus
from server_stub.idempotency import DAY, Answers
from server_stub.testing import control, emit, frame, hello, login, make_client, staff_event
from server_stub.timers import ManualTime


def a_pending(stub) -> str:
    return next(d.id for d in stub.world.deliveries.values() if d.status is DeliveryStatus.PENDING)


def an_available(stub) -> str:
    return next(s.id for s in stub.world.staff.values() if s.status is StaffStatus.AVAILABLE)


def events_since(stub, seq: int) -> list[dict]:
    return [json.loads(text) for text in stub.world.journal.since(seq)]


def test_a_patch_event_carries_its_cause_and_its_consequences_none(client, stub, auth, token):
    delivery, person = a_pending(stub), an_available(stub)
    with client.websocket_connect("/ws") as ws:
        hello(ws, token)
        answer = client.patch(f"/api/deliveries/{delivery}", headers=auth | {"Idempotency-Key": "k-assign"},
                              json={"assignedTo": person})
        first = frame(ws)
    assert first["seq"] == answer.json()["seq"] and first["type"] == "delivery_update"
    assert first["cause"] == {"idempotencyKey": "k-assign", "userId": "U-demo"}
    rest = events_since(stub, first["seq"])
    assert rest and {e["type"] for e in rest} <= {"staff_status_update", "zone_update"}
    assert all("cause" not in e for e in rest)


def test_a_message_event_carries_its_cause(client, stub, auth):
    answer = client.post("/api/communications", headers=auth | {"Idempotency-Key": "k-msg"},
                         json={"to": "S-01", "body": "on my way"})
    event = events_since(stub, answer.json()["seq"] - 1)[0]
    assert event["type"] == "new_communication"
    assert event["cause"] == {"idempotencyKey": "k-msg", "userId": "U-demo"}


def test_events_not_made_by_a_command_carry_no_cause(client, stub, auth):
    stub.world.touch(2)
    for _ in range(20):
        stub.world.step()
    emit(client, staff_event())
    client.patch(f"/api/deliveries/{a_pending(stub)}", headers=auth, json={"status": "cancelled"})  # no key
    events = events_since(stub, 0)
    assert len(events) >= 24 and all("cause" not in e for e in events)


def test_answers_are_kept_24_hours_then_forgotten():
    clock = ManualTime()
    answers = Answers(capacity=10, clock=clock.now)
    answers.remember(("U-1", "k"), "PATCH /x {}", 200, b"{}")
    clock.advance(DAY - 1)
    assert answers.lookup(("U-1", "k"), "PATCH /x {}") == (200, b"{}")
    clock.advance(1)
    assert answers.lookup(("U-1", "k"), "PATCH /x {}") is None and len(answers) == 0


def test_the_capacity_forgets_the_oldest_first():
    answers = Answers(capacity=2, clock=lambda: 0.0)
    for key in ("a", "b", "c"):
        answers.remember(("U-1", key), "f", 200, b"{}")
    assert answers.lookup(("U-1", "a"), "f") is None and answers.lookup(("U-1", "c"), "f") == (200, b"{}")


def test_a_retry_within_a_day_changes_nothing_and_after_it_is_a_new_command():
    clock = ManualTime()
    with make_client(time=clock, token_ttl=2 * DAY) as client:
        stub = client.app.state.stub
        headers = {"Authorization": f"Bearer {login(client)}", "Idempotency-Key": "k-day"}
        body = {"to": "S-01", "body": "hello"}
        first = client.post("/api/communications", headers=headers, json=body)
        client.portal.call(clock.advance, 23 * 3600)
        again = client.post("/api/communications", headers=headers, json=body)
        assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
        assert control(client, "applied", method="GET").json() == {"k-day": 1}
        client.portal.call(clock.advance, 3600)
        late = client.post("/api/communications", headers=headers, json=body)
        assert late.status_code == 201 and late.json()["seq"] == first.json()["seq"] + 1
        assert control(client, "applied", method="GET").json() == {"k-day": 2}
        assert stub.world.seq == 2


def test_applied_counts_each_key_per_user_and_only_changes(client, stub, auth):
    body = {"to": "S-01", "body": "hi"}
    for _ in range(3):
        client.post("/api/communications", headers=auth | {"Idempotency-Key": "once"}, json=body)
    client.patch("/api/deliveries/D-9", headers=auth | {"Idempotency-Key": "refused"}, json={"status": "pending"})
    control(client, "apply_as", {"userId": "U-other", "idempotencyKey": "theirs", "deliveryId": a_pending(stub),
                                 "patch": {"status": "cancelled"}})
    assert control(client, "applied", method="GET").json() == {"once": 1, "theirs": 1}
    assert control(client, "applied?userId=U-other", method="GET").json() == {"theirs": 1}


def test_apply_as_makes_another_users_identical_change_with_its_own_cause(client, stub, auth, token):
    delivery = a_pending(stub)
    patch = {"status": "cancelled"}
    with client.websocket_connect("/ws") as ws:
        hello(ws, token)
        answer = control(client, "apply_as", {"userId": "U-coordinator", "idempotencyKey": "their-key",
                                              "deliveryId": delivery, "patch": patch}).json()
        event = frame(ws)
    assert answer["status"] == 200 and answer["replayed"] is False and answer["answer"]["seq"] == event["seq"]
    assert event["cause"] == {"idempotencyKey": "their-key", "userId": "U-coordinator"}
    assert stub.world.deliveries[delivery].status is DeliveryStatus.CANCELLED
    mine = client.patch(f"/api/deliveries/{delivery}", headers=auth | {"Idempotency-Key": "my-key"}, json=patch)
    assert mine.status_code == 409  # mine comes second: the delivery is already cancelled
    again = control(client, "apply_as", {"userId": "U-coordinator", "idempotencyKey": "their-key",
                                         "deliveryId": delivery, "patch": patch}).json()
    assert again["replayed"] is True and again["answer"] == answer["answer"]


def test_apply_as_shares_the_users_remembered_answers(client, stub):
    """A key used through apply_as is that user's key: their own PATCH with it is a replay."""
    delivery = a_pending(stub)
    control(client, "apply_as", {"userId": "U-demo", "idempotencyKey": "shared", "deliveryId": delivery,
                                 "patch": {"status": "cancelled"}})
    same = client.patch(f"/api/deliveries/{delivery}", json={"status": "cancelled"},
                        headers={"Authorization": f"Bearer {login(client)}", "Idempotency-Key": "shared"})
    assert same.status_code == 200 and same.headers["idempotent-replayed"] == "true"


def test_fail_commands_answers_the_next_n_with_the_failure_and_changes_nothing(client, stub, auth):
    assert control(client, "fail_commands", {"count": 2, "status": 503, "body": {"error": "busy"}}).json() == {
        "count": 2, "status": 503, "applied": False}
    delivery = a_pending(stub)
    for _ in range(2):
        failed = client.patch(f"/api/deliveries/{delivery}", headers=auth | {"Idempotency-Key": "k-f"},
                              json={"status": "cancelled"})
        assert (failed.status_code, failed.json()) == (503, {"error": "busy"})
    assert stub.world.seq == 0 and control(client, "applied", method="GET").json() == {}
    ok = client.patch(f"/api/deliveries/{delivery}", headers=auth | {"Idempotency-Key": "k-f"},
                      json={"status": "cancelled"})
    assert ok.status_code == 200 and "idempotent-replayed" not in ok.headers  # the failures were not remembered


def test_fail_commands_after_applying_loses_only_the_answer(client, stub, auth):
    control(client, "fail_commands", {"count": 1, "status": 502, "text": "<html>Bad gateway</html>",
                                      "applied": True})
    body = {"to": "S-01", "body": "did it arrive?"}
    lost = client.post("/api/communications", headers=auth | {"Idempotency-Key": "k-lost"}, json=body)
    assert lost.status_code == 502 and lost.text == "<html>Bad gateway</html>"
    assert lost.headers["content-type"].startswith("text/plain")
    retry = client.post("/api/communications", headers=auth | {"Idempotency-Key": "k-lost"}, json=body)
    assert retry.status_code == 201 and retry.headers["idempotent-replayed"] == "true"
    assert control(client, "applied", method="GET").json() == {"k-lost": 1} and stub.world.seq == 1


def test_fail_commands_can_answer_a_10000_level_nested_json_body(client, stub, auth):
    control(client, "fail_commands", {"count": 1, "status": 500, "nestedDepth": 10_000})
    answer = client.post("/api/communications", headers=auth, json={"to": "S-01", "body": "x"})
    assert answer.status_code == 500 and answer.headers["content-type"] == "application/json"
    assert answer.content == b"[" * 10_000 + b"]" * 10_000
    assert client.post("/api/communications", headers=auth, json={"to": "S-01", "body": "x"}).status_code == 201


@pytest.mark.parametrize("body", [
    {"count": 1, "status": 200},
    {"count": -1, "status": 500},
    {"count": 1, "status": 500, "text": "a", "nestedDepth": 3},
    {"count": 1, "status": 500, "nestedDepth": 0},
])
def test_fail_commands_bodies_are_checked(client, body):
    answer = control(client, "fail_commands", body)
    assert answer.status_code == 422 and isinstance(answer.json()["detail"], str)


def test_a_nested_failure_body_is_built_without_recursion():
    """Deep enough to exhaust any recursive builder (Python's default limit is 1000)."""
    from server_stub.faults import nested_json

    assert nested_json(200_000) == b"[" * 200_000 + b"]" * 200_000
