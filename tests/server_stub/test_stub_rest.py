"""The /api routes of PROTOCOL.md 2: answers, error codes, auth and idempotency."""

from __future__ import annotations

import pytest

from app.models import (
    FINAL_STATUSES, CommunicationResult, Delivery, DeliveryStatus, LoginResult, PatchResult, Snapshot, StaffStatus,
)
from server_stub.testing import login


def a_delivery(stub, wanted):
    return next(d for d in stub.world.deliveries.values() if wanted(d))


def test_login_gives_a_token_and_the_user(client):
    answer = client.post("/api/login", json={"username": "demo", "password": "demo"})
    result = LoginResult.model_validate(answer.json())
    assert answer.status_code == 200 and result.user.id == "U-demo" and result.expiresAt.endswith("Z")
    assert login(client, "coordinator", "coordinator")


@pytest.mark.parametrize("body, status", [
    ({"username": "demo", "password": "nope"}, 401),
    ({"username": "nobody", "password": "demo"}, 401),
    ({"username": "demo"}, 422),
])
def test_login_refusals(client, body, status):
    answer = client.post("/api/login", json=body)
    assert answer.status_code == status and isinstance(answer.json()["detail"], str)


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/snapshot"), ("GET", "/api/deliveries/D-1001"),
    ("PATCH", "/api/deliveries/D-1001"), ("POST", "/api/communications"),
])
@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic ZGVtbzpkZW1v"])
def test_every_call_but_login_needs_a_valid_token(client, method, path, header):
    headers = {"Authorization": header} if header else {}
    answer = client.request(method, path, headers=headers, json={"status": "cancelled"})
    assert answer.status_code == 401 and "token" in answer.json()["detail"]
    assert answer.headers["www-authenticate"] == "Bearer"


def test_expired_and_revoked_tokens_are_401(client, stub, auth):
    assert client.get("/api/snapshot", headers=auth).status_code == 200
    real_clock = stub.tokens.clock
    stub.tokens.clock = lambda: real_clock() + stub.settings.token_ttl + 1
    assert client.get("/api/snapshot", headers=auth).status_code == 401
    stub.tokens.clock = real_clock
    assert client.post("/_control/revoke", json={}).status_code == 200
    assert client.get("/api/snapshot", headers=auth).status_code == 401


def test_snapshot_is_the_whole_world_at_its_seq(client, stub, auth):
    stub.world.touch(3)
    answer = client.get("/api/snapshot", headers=auth)
    snap = Snapshot.model_validate(answer.json())
    assert answer.status_code == 200 and snap.seq == 3
    assert (len(snap.deliveries), len(snap.staff), len(snap.zones)) == (120, 20, 4)
    assert set(answer.json()) == {"seq", "epoch", "deliveries", "staff", "zones", "communications"}
    assert snap.epoch == stub.world.journal.epoch


def test_snapshot_communications_newest_first(client, auth):
    for body in ("first", "second"):
        client.post("/api/communications", headers=auth, json={"to": "coordinators", "body": body})
    comms = client.get("/api/snapshot", headers=auth).json()["communications"]
    assert [c["body"] for c in comms[:2]] == ["second", "first"]
    assert comms[0]["from"] == "U-demo" and "from_" not in comms[0]


def test_get_one_delivery(client, auth):
    answer = client.get("/api/deliveries/D-1001", headers=auth)
    assert answer.status_code == 200 and Delivery.model_validate(answer.json()).id == "D-1001"
    missing = client.get("/api/deliveries/D-9", headers=auth)
    assert missing.status_code == 404 and "D-9" in missing.json()["detail"]


def test_patch_assigns_and_answers_the_event_seq(client, stub, auth):
    pending = a_delivery(stub, lambda d: d.status is DeliveryStatus.PENDING)
    person = next(s for s in stub.world.staff.values() if s.status is StaffStatus.AVAILABLE)
    answer = client.patch(f"/api/deliveries/{pending.id}", headers=auth, json={"assignedTo": person.id})
    result = PatchResult.model_validate(answer.json())
    assert answer.status_code == 200
    assert (result.delivery.status, result.delivery.assignedTo) == (DeliveryStatus.ASSIGNED, person.id)
    assert result.seq == 1 and stub.world.seq >= 2  # then the staff member's and the zone's updates
    assert result.delivery.updatedAt != pending.updatedAt


@pytest.mark.parametrize("body, status", [
    ({}, 422),
    ({"status": "teleported"}, 422),
    ({"assignedTo": "S-999"}, 422),
    ({"status": None}, 422),
    ([1, 2], 422),
])
def test_patch_invalid_bodies_are_422(client, stub, auth, body, status):
    pending = a_delivery(stub, lambda d: d.status is DeliveryStatus.PENDING)
    answer = client.patch(f"/api/deliveries/{pending.id}", headers=auth, json=body)
    assert answer.status_code == status and isinstance(answer.json()["detail"], str)
    assert stub.world.seq == 0


def test_patch_not_json_is_422(client, auth):
    answer = client.patch("/api/deliveries/D-1001", headers=auth, content=b"{oops")
    assert answer.status_code == 422 and answer.json()["detail"] == "the body is not JSON"


def test_patch_a_finished_delivery_is_409_and_unknown_is_404(client, stub, auth):
    done = a_delivery(stub, lambda d: d.status in FINAL_STATUSES)
    answer = client.patch(f"/api/deliveries/{done.id}", headers=auth, json={"status": "pending"})
    assert answer.status_code == 409 and done.status.value in answer.json()["detail"]
    assert client.patch("/api/deliveries/D-9", headers=auth, json={"status": "pending"}).status_code == 404
    assert stub.world.seq == 0


def test_post_communication_is_from_the_logged_in_user(client, stub, auth):
    answer = client.post("/api/communications", headers=auth,
                         json={"to": "S-01", "body": "Call the customer", "deliveryId": "D-1001"})
    result = CommunicationResult.model_validate(answer.json())
    assert answer.status_code == 201 and result.communication.from_ == "U-demo"
    assert answer.json()["communication"]["from"] == "U-demo" and result.seq == stub.world.seq == 1


@pytest.mark.parametrize("body", [
    {"to": "S-01", "body": ""},
    {"to": "S-01", "body": "x" * 2001},
    {"to": "", "body": "hello"},
    {"body": "hello"},
    {"to": "S-01", "body": "hello", "deliveryId": "D-nope"},
])
def test_post_communication_invalid_is_422(client, stub, auth, body):
    answer = client.post("/api/communications", headers=auth, json=body)
    assert answer.status_code == 422 and isinstance(answer.json()["detail"], str)
    assert stub.world.seq == 0


def test_a_repeated_idempotency_key_returns_the_first_answer_and_changes_nothing(client, stub, auth):
    pending = a_delivery(stub, lambda d: d.status is DeliveryStatus.PENDING)
    headers = auth | {"Idempotency-Key": "k-1"}
    first = client.patch(f"/api/deliveries/{pending.id}", headers=headers, json={"status": "cancelled"})
    seq = stub.world.seq
    again = client.patch(f"/api/deliveries/{pending.id}", headers=headers, json={"status": "cancelled"})
    assert (again.status_code, again.content) == (first.status_code, first.content) == (200, first.content)
    assert stub.world.seq == seq and again.headers["idempotent-replayed"] == "true"
    post = auth | {"Idempotency-Key": "k-2"}
    one = client.post("/api/communications", headers=post, json={"to": "S-01", "body": "once"})
    two = client.post("/api/communications", headers=post, json={"to": "S-01", "body": "once"})
    assert (two.status_code, two.json()) == (201, one.json())
    assert [c.body for c in stub.world.communications].count("once") == 1


def test_idempotency_keys_are_per_user_and_bound_to_one_request(client, stub, auth):
    body = {"to": "S-01", "body": "hello"}
    client.post("/api/communications", headers=auth | {"Idempotency-Key": "same"}, json=body)
    other = {"Authorization": f"Bearer {login(client, 'coordinator', 'coordinator')}", "Idempotency-Key": "same"}
    assert client.post("/api/communications", headers=other, json=body).json()["seq"] == 2
    reused = client.post("/api/communications", headers=auth | {"Idempotency-Key": "same"}, json={"to": "S-02", "body": "x"})
    assert reused.status_code == 422 and "Idempotency-Key" in reused.json()["detail"]


def test_refusals_are_remembered_too(client, stub, auth):
    done = a_delivery(stub, lambda d: d.status in FINAL_STATUSES)
    headers = auth | {"Idempotency-Key": "k-409"}
    first = client.patch(f"/api/deliveries/{done.id}", headers=headers, json={"status": "pending"})
    assert client.patch(f"/api/deliveries/{done.id}", headers=headers, json={"status": "pending"}).json() == first.json()
