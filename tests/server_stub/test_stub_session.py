"""Sessions (PROTOCOL.md 2 and 3.3): refresh, re-auth on an open socket, the expiry deadline."""

from __future__ import annotations

import json

import pytest

from app.models import LoginResult, Reauthed
from server_stub.testing import closed_with, control, frame, hello, login, make_client
from server_stub.timers import ManualTime

TTL = 20.0


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def refresh(client, token: str):
    return client.post("/api/session/refresh", headers=bearer(token))


def reauth(ws, token: str) -> dict:
    ws.send_text(json.dumps({"type": "auth", "token": token}))
    return frame(ws)


def ping(ws, t: int = 1) -> dict:
    ws.send_text(json.dumps({"type": "ping", "t": t}))
    return frame(ws)


@pytest.fixture
def clock():
    return ManualTime()


@pytest.fixture
def timed(clock):
    """A client whose tokens, socket deadlines and remembered answers run on ``clock``."""
    with make_client(time=clock, token_ttl=TTL) as client:
        yield client


def advance(client, clock: ManualTime, seconds: float) -> None:
    client.portal.call(clock.advance, seconds)  # in the server's loop: deadlines touch its objects


def test_refresh_gives_a_new_token_for_the_same_user_with_a_full_lifetime(timed, clock):
    first = LoginResult.model_validate(timed.post("/api/login", json={"username": "demo", "password": "demo"}).json())
    advance(timed, clock, TTL * 0.75)
    answer = refresh(timed, first.token)
    second = LoginResult.model_validate(answer.json())
    assert answer.status_code == 200 and set(answer.json()) == {"token", "expiresAt", "user"}
    assert second.token != first.token and second.user == first.user
    assert second.expiresAt > first.expiresAt
    assert timed.get("/api/snapshot", headers=bearer(second.token)).status_code == 200


def test_the_old_token_stays_valid_until_its_own_expiry(timed, clock):
    old = login(timed)
    advance(timed, clock, TTL / 2)
    new = refresh(timed, old).json()["token"]
    advance(timed, clock, TTL / 2 - 1)
    assert timed.get("/api/snapshot", headers=bearer(old)).status_code == 200
    advance(timed, clock, 1)
    assert timed.get("/api/snapshot", headers=bearer(old)).status_code == 401
    assert timed.get("/api/snapshot", headers=bearer(new)).status_code == 200


@pytest.mark.parametrize("how", ["expired", "revoked", "forged", "missing"])
def test_refresh_with_a_token_no_longer_valid_is_401(timed, clock, how):
    token = login(timed)
    if how == "expired":
        advance(timed, clock, TTL)
    elif how == "revoked":
        control(timed, "revoke", {})
    headers = {} if how == "missing" else bearer("forged" if how == "forged" else token)
    answer = timed.post("/api/session/refresh", headers=headers)
    assert answer.status_code == 401 and "token" in answer.json()["detail"]
    assert answer.headers["www-authenticate"] == "Bearer"


def test_a_reauth_answers_reauthed_with_the_new_expiry(timed):
    token = login(timed)
    fresh = refresh(timed, token).json()
    with timed.websocket_connect("/ws") as ws:
        hello(ws, token)
        answer = reauth(ws, fresh["token"])
        assert answer == {"type": "reauthed", "expiresAt": fresh["expiresAt"]}
        Reauthed.model_validate(answer)
        assert ping(ws, 7) == {"type": "pong", "t": 7}  # still open, still answering


@pytest.mark.parametrize("bad", ["forged", "expired"])
def test_a_reauth_with_a_bad_token_closes_4401(timed, clock, bad):
    token = login(timed)
    with timed.websocket_connect("/ws") as ws:
        hello(ws, token)
        if bad == "expired":  # an old token that has expired, on a socket kept open by a newer one
            advance(timed, clock, TTL / 2)
            assert reauth(ws, refresh(timed, token).json()["token"])["type"] == "reauthed"
            advance(timed, clock, TTL / 2)
        ws.send_text(json.dumps({"type": "auth", "token": "forged" if bad == "forged" else token}))
        assert closed_with(ws) == 4401
    assert control(timed, "stats", method="GET").json()["authFailures"] == 1


def test_a_reauth_as_another_user_closes_4400(timed):
    with timed.websocket_connect("/ws") as ws:
        hello(ws, login(timed))
        ws.send_text(json.dumps({"type": "auth", "token": login(timed, "coordinator", "coordinator")}))
        assert closed_with(ws) == 4400


def test_an_expired_token_closes_its_socket_4401_at_its_deadline(timed, clock):
    token = login(timed)
    with timed.websocket_connect("/ws") as ws:
        hello(ws, token)
        advance(timed, clock, TTL - 1)
        assert ping(ws) == {"type": "pong", "t": 1}  # one second before: open
        advance(timed, clock, 1)
        assert closed_with(ws) == 4401


def test_a_reauth_moves_the_deadline_to_the_new_tokens_expiry(timed, clock):
    token = login(timed)
    with timed.websocket_connect("/ws") as ws:
        hello(ws, token)
        advance(timed, clock, TTL * 0.75)
        assert reauth(ws, refresh(timed, token).json()["token"])["type"] == "reauthed"
        advance(timed, clock, TTL * 0.5)  # past the first token's expiry
        assert ping(ws, 2) == {"type": "pong", "t": 2}
        assert clock.pending() == 1  # one deadline per socket: the old one was cancelled
        advance(timed, clock, TTL * 0.5)  # past the second's
        assert closed_with(ws) == 4401


def test_token_ttl_route_sets_the_lifetime_of_new_tokens(timed, clock):
    old = login(timed)
    assert control(timed, "token_ttl", {"seconds": 5}).json() == {"seconds": 5}
    short = login(timed)
    advance(timed, clock, 5)
    assert timed.get("/api/snapshot", headers=bearer(short)).status_code == 401
    assert timed.get("/api/snapshot", headers=bearer(old)).status_code == 200  # issued before: kept its own
    assert control(timed, "token_ttl", {"seconds": 0}).status_code == 422


def test_revoking_one_user_ends_only_that_users_tokens_and_sockets(timed):
    demo, other = login(timed), login(timed, "coordinator", "coordinator")
    with timed.websocket_connect("/ws") as mine, timed.websocket_connect("/ws") as theirs:
        hello(mine, demo)
        hello(theirs, other)
        answer = control(timed, "revoke", {"userId": "U-demo"}).json()
        assert answer == {"userId": "U-demo", "tokens": 1, "sockets": 1}
        assert closed_with(mine) == 4401
        assert ping(theirs, 3) == {"type": "pong", "t": 3}
    assert timed.get("/api/snapshot", headers=bearer(demo)).status_code == 401
    assert timed.get("/api/snapshot", headers=bearer(other)).status_code == 200
