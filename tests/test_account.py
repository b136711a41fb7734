"""app/account.py, the client's session and outbox half: refresh and re-auth, sign-in over the kept board, the stored outbox."""

from __future__ import annotations

import json

from app.client import Notice, SaveOutbox, Session, SessionRenewed, ShowOutbox, State
from app.outbox import entry_of, restore
from tests.fake_shell import API, delivery, du, new_client, ready_client, snapshot, welcome

FAR = "2099-01-01T00:00:00Z"
ME = Session("tok", "me", "Me", FAR)


def refresh_answer(token="tok2", user="me", name="Me", expires=FAR) -> dict:
    return {"token": token, "expiresAt": expires, "user": {"id": user, "name": name}}


def of(shell, kind) -> list:
    return [a for a in shell.session_actions if isinstance(a, kind)]


def saved(shell, user) -> tuple:
    """The last entries the client asked to store for ``user`` (what IndexedDB would hold)."""
    return [a for a in of(shell, SaveOutbox) if a.user_id == user][-1].entries


def end_by_4401(client, shell) -> None:
    client.socket_closed(4401, "expired")
    shell.socket = None
    shell.drain()


def open_and_welcome(client, shell, seq=10, resumed=True, epoch=None) -> None:
    client.socket_opened()
    shell.socket = "open"
    shell.drain()
    frame = {"type": "welcome", "seq": seq, "resumed": resumed}
    if epoch:
        frame["epoch"] = epoch
    client.socket_message(json.dumps(frame))
    shell.drain()


def patches(shell, token=None) -> list:
    """PATCH requests made and not answered (with ``token``: only those made under it)."""
    return [r for r in shell.http.values() if r.method == "PATCH"
            and (token is None or r.headers["Authorization"] == f"Bearer {token}")]


def last_auth(shell) -> dict:
    return [f for f in shell.sent if f["type"] == "auth"][-1]


# --- refresh and re-auth ----------------------------------------------------------------------


def test_a_token_session_refreshes_at_once_and_then_uses_the_new_token_everywhere():
    client, shell, _ = new_client(session=Session("frag"))
    client.start()
    shell.drain()
    refresh = shell.request("/session/refresh")
    assert refresh.method == "POST" and refresh.headers["Authorization"] == "Bearer frag"
    client.socket_opened()
    shell.socket = "open"
    shell.drain()
    client.socket_message(welcome(10))
    shell.drain()
    shell.answer(refresh, 200, refresh_answer(token="tok2", user="u7", name="Grace"))
    shell.drain()
    assert of(shell, SessionRenewed) == [SessionRenewed(Session("tok2", "u7", "Grace", FAR))]
    assert client.user_id == "u7" and client.session.token == "tok2"
    assert shell.sent[-1] == {"type": "auth", "token": "tok2"}  # the open socket re-authenticates
    snapshot_request = shell.request("/snapshot")
    assert snapshot_request.headers["Authorization"] == "Bearer frag"  # asked before the refresh
    client.socket_message(json.dumps({"type": "reauthed", "expiresAt": FAR}))
    shell.answer(snapshot_request, 200, snapshot(10))
    shell.drain()
    assert client.diagnostics()["invalid"] == 0 and client.state is State.OPEN and client.ready


def test_a_refresh_during_the_handshake_re_authenticates_after_the_welcome():
    client, shell, _ = new_client(session=Session("frag"))
    client.start()
    shell.drain()
    client.socket_opened()
    shell.socket = "open"
    shell.drain()
    shell.answer(shell.request("/session/refresh"), 200, refresh_answer())
    shell.drain()
    assert [f["type"] for f in shell.sent] == ["auth"]  # no second auth before the welcome
    client.socket_message(welcome(10))
    shell.drain()
    assert shell.sent[-1] == {"type": "auth", "token": "tok2"}


def refresh_answered(status: int):
    """A ``#token=`` session (no user yet) whose first refresh is answered ``status``."""
    client, shell, _ = new_client(session=Session("frag"))
    client.start()
    shell.drain()
    shell.answer(shell.request("/session/refresh"), status, "")
    shell.drain()
    return client, shell


def test_a_refresh_answered_401_ends_the_session():
    client, shell = refresh_answered(401)
    assert shell.unauthorized == 1 and client.state is State.UNAUTHORIZED


def test_a_version_1_backend_answers_404_and_is_never_asked_again():
    client, shell = refresh_answered(404)
    assert "refresh" not in shell.timers and shell.unauthorized == 0
    open_and_welcome(client, shell, resumed=False)
    shell.answer(shell.request("/snapshot"), 200, snapshot(10))
    shell.drain()
    assert client.ready and not [r for r in shell.http.values() if r.url.endswith("/session/refresh")]


def test_a_network_failure_of_the_refresh_is_retried():
    wall = [1_000_000.0]
    client, shell, _ = new_client(session=Session("frag"), wall_clock=lambda: wall[0])
    client.start()
    shell.drain()
    first = shell.request("/session/refresh")
    del shell.http[first.id]
    client.http_failed(first.id, "offline")
    shell.drain()
    wall[0] += shell.timers["refresh"]
    shell.fire("refresh")
    shell.drain()
    assert shell.request("/session/refresh").id != first.id


# --- the session ends: everything is kept -----------------------------------------------------------


def test_a_4401_ends_the_session_keeping_board_commands_and_outbox_and_nothing_leaves():
    client, shell, _ = ready_client()
    end_by_4401(client, shell)
    assert of(shell, SaveOutbox) == [] or saved(shell, "me") == ()
    assert shell.unauthorized == 1 and client.state is State.UNAUTHORIZED
    assert client.delivery("D-1") is not None and client.ready
    assert client.set_status("D-1", "picked_up").command_id == "key1"  # still taken
    shell.drain()
    assert client.delivery("D-1").status == "picked_up" and patches(shell) == [] and shell.socket is None
    assert client.has_unsent_work() and client.outbox_counts() == (1, 0)
    assert [e["key"] for e in saved(shell, "me")] == ["key1"]
    for name in list(shell.timers):
        shell.fire(name)
    shell.drain()
    assert shell.socket is None and patches(shell) == []


def test_a_401_on_a_command_ends_the_session_and_the_command_waits_for_the_sign_in():
    client, shell, _ = ready_client()
    client.set_status("D-1", "picked_up")
    shell.drain()
    shell.answer(shell.request("/deliveries/D-1"), 401, "")
    shell.drain()
    assert of(shell, SessionRenewed) == [] and shell.unauthorized == 1 and patches(shell) == []
    assert shell.socket is None, "the session ended: its socket is closed"
    assert client.outbox()[0].state == "waiting" and client.row_status("D-1").error is None


def test_the_same_user_signs_in_again_resumes_and_sends_what_waited_with_the_same_keys():
    client, shell, _ = ready_client()
    client.set_status("D-1", "picked_up")
    shell.drain()
    [first] = patches(shell)
    shell.answer(first, 401, "")
    shell.drain()
    client.assign("D-1", "S-1")
    shell.drain()
    opens = shell.opens
    client.sign_in(Session("tok2", "me", "Me", FAR))
    shell.drain()
    assert shell.opens == opens + 1 and patches(shell) == []  # not before the stream is in sync
    open_and_welcome(client, shell, seq=10, resumed=True)
    auth = last_auth(shell)
    assert (auth["token"], auth["resumeFrom"]) == ("tok2", 10)
    assert not shell.http.get("snapshot-3")  # resumed: the kept board needs no snapshot
    sent = []
    for _ in range(2):
        [request] = patches(shell, "tok2")
        sent.append((request.headers["Idempotency-Key"], request.headers["Authorization"]))
        shell.answer(request, 200, {"delivery": delivery(status="picked_up", assignedTo="S-1"), "seq": 11})
        shell.drain()
    assert sent == [("key1", "Bearer tok2"), ("key2", "Bearer tok2")]
    assert of(shell, Notice) == []


def test_an_answer_401_from_before_the_sign_in_does_not_end_the_new_session():
    client, shell, _ = ready_client()
    client.socket_message(du(12))  # a gap: a snapshot is asked for with the old token
    shell.drain()
    stale = shell.request("/snapshot")
    end_by_4401(client, shell)
    client.sign_in(Session("tok2", "me", "Me", FAR))
    shell.drain()
    shell.answer(stale, 401, "")
    shell.drain()
    assert shell.unauthorized == 1 and client.state is not State.UNAUTHORIZED


def test_another_user_signs_in_the_first_users_work_is_set_aside_never_sent_and_the_board_reloaded():
    client, shell, _ = ready_client()
    client.set_status("D-1", "picked_up")
    client.send_message("S-1", "on my way")
    shell.drain()
    end_by_4401(client, shell)
    bob_entry = {"v": 1, "key": "bob-1", "kind": "assign", "deliveryId": "D-1", "assignedTo": "S-1",
                 "madeAt": client.outbox()[0].made_at, "state": "waiting"}
    client.sign_in(Session("tok-bob", "bob", "Bob", FAR), [bob_entry])
    shell.drain()
    assert [e["key"] for e in saved(shell, "me")] == ["key1", "key2"]
    assert of(shell, Notice)[-1].text == ("2 changes made by Me were set aside and will be sent when Me signs in "
                                          "again.")
    assert client.delivery("D-1") is None and not client.ready and shell.renders[-1].reset
    assert [item.command_id for item in client.outbox()] == ["bob-1"]
    open_and_welcome(client, shell, resumed=False)
    assert last_auth(shell)["resumeFrom"] is None  # a fresh board: no resume
    shell.answer(shell.request("/snapshot"), 200, snapshot(10))
    shell.drain()
    [request] = patches(shell, "tok-bob")
    assert request.headers["Idempotency-Key"] == "bob-1" and request.headers["Authorization"] == "Bearer tok-bob"
    assert client.delivery("D-1").assignedTo == "S-1" and client.delivery("D-1").status == "assigned"
    assert [e["key"] for e in saved(shell, "bob")] == ["bob-1"]


def test_the_first_user_returns_and_the_set_aside_work_is_sent():
    client, shell, _ = ready_client()
    client.set_status("D-1", "picked_up")
    shell.drain()
    end_by_4401(client, shell)
    client.sign_in(Session("tok-bob", "bob", "Bob", FAR))
    shell.drain()
    kept = saved(shell, "me")
    client.sign_in(Session("tok-me", "me", "Me", FAR), kept)
    shell.drain()
    open_and_welcome(client, shell, resumed=False)
    shell.answer(shell.request("/snapshot"), 200, snapshot(10))
    shell.drain()
    [request] = patches(shell, "tok-me")
    assert request.headers["Idempotency-Key"] == "key1"
    assert patches(shell, "tok-bob") == []  # never under Bob's sign-in


# --- the outbox through the client -------------------------------------------------------------------


def test_one_save_and_one_show_per_drain_whatever_happened_in_it():
    client, shell, _ = ready_client()
    shell.session_actions.clear()
    client.set_status("D-1", "picked_up")
    client.assign("D-2", "S-1")
    client.send_message("S-1", "hi")
    shell.drain()
    assert len(of(shell, SaveOutbox)) == 1 and of(shell, ShowOutbox) == [ShowOutbox(3, 0)]
    shell.drain()
    assert len(of(shell, SaveOutbox)) == 1  # nothing changed: nothing emitted


def test_a_reload_restores_the_outbox_and_sends_it_once_in_sync_with_the_same_keys():
    client, shell, _ = ready_client()
    client.set_status("D-1", "picked_up")
    client.send_message("S-1", "hi")
    shell.drain()
    stored = saved(shell, "me")
    assert [e["state"] for e in stored] == ["sending", "waiting"]
    reloaded, shell2, _ = new_client(outbox_entries=stored)
    reloaded.start()
    shell2.drain()
    assert reloaded.outbox_counts() == (2, 0) and reloaded.has_unsent_work()
    open_and_welcome(reloaded, shell2, resumed=False)
    assert patches(shell2) == []  # not before the snapshot is in
    shell2.answer(shell2.request("/snapshot"), 200, snapshot(10))
    shell2.drain()
    assert reloaded.delivery("D-1").status == "picked_up"
    [request] = patches(shell2)
    assert request.headers["Idempotency-Key"] == "key1"


def test_bad_or_old_stored_entries_are_dropped_counted_and_told_never_raised():
    good = {"v": 1, "key": "k", "kind": "set_status", "deliveryId": "D-1", "status": "picked_up",
            "madeAt": "2099-01-01T00:00:00Z", "state": "waiting"}
    old = {**good, "key": "old", "madeAt": "2001-01-01T00:00:00Z"}
    client, shell, _ = new_client(outbox_entries=[good, old, {"v": 1, "kind": "nope"}, "junk"])
    client.start()
    shell.drain()
    assert [item.command_id for item in client.outbox()] == ["k"]
    assert client.diagnostics()["invalid"] == 2
    assert "1 stored change older than 24 hours was not sent" in of(shell, Notice)[0].text
    assert [e["key"] for e in saved(shell, "me")] == ["k"]  # the dropped ones leave storage too


def test_retry_and_discard_through_the_client_update_the_outbox_and_storage():
    client, shell, _ = ready_client()
    client.send_message("S-1", "one")
    shell.drain()
    [request] = [r for r in shell.http.values() if r.method == "POST"]
    shell.answer(request, 503, "")
    shell.drain()
    client.send_message("S-2", "two")
    shell.drain()
    [request] = [r for r in shell.http.values() if r.method == "POST"]
    shell.answer(request, 409, "")
    shell.drain()
    assert client.outbox_counts() == (2, 2) and not client.has_unsent_work()
    assert [(i.summary, i.retryable) for i in client.outbox()] == [("Message to S-1: one", True),
                                                                  ("Message to S-2: two", False)]
    assert client.discard("key2")
    shell.drain()
    assert [e["key"] for e in saved(shell, "me")] == ["key1"]
    assert client.retry("key1").command_id == "key1"
    shell.drain()
    [request] = [r for r in shell.http.values() if r.method == "POST"]
    assert request.headers["Idempotency-Key"] == "key1" and of(shell, ShowOutbox)[-1] == ShowOutbox(1, 0)


def test_a_10000_deep_answer_counts_invalid_and_the_next_command_still_goes_out():
    client, shell, _ = ready_client()
    client.set_status("D-1", "picked_up")
    client.set_status("D-2", "picked_up")
    shell.drain()
    [first] = patches(shell)
    shell.answer(first, 500, "[" * 10_000 + "]" * 10_000)
    shell.drain()
    [second] = patches(shell)
    assert second.url == API + "/deliveries/D-2" and client.diagnostics()["invalid"] == 1


def test_a_stored_entry_made_from_a_client_outbox_round_trips():
    client, shell, _ = ready_client()
    client.assign("D-1", None)
    shell.drain()
    [(command, _)] = restore(saved(shell, "me"), client._wall_clock()).commands
    assert command.fields == {"assignedTo": None} and entry_of(command, None, "sending") == saved(shell, "me")[0]


def test_a_refresh_answer_for_an_earlier_sign_in_is_ignored():
    client, shell, _ = new_client(session=Session("frag-ann"))
    client.start()
    shell.drain()
    old_refresh = shell.request("/session/refresh")
    client.sign_in(Session("frag-bob"))  # a second #token= before the first refresh came back
    shell.drain()
    shell.answer(old_refresh, 200, refresh_answer(token="ann-2", user="ann", name="Ann"))
    shell.drain()
    assert of(shell, SessionRenewed) == [] and client.session.token == "frag-bob"
    [new_refresh] = [r for r in shell.http.values() if r.url.endswith("/session/refresh")]
    assert new_refresh.headers["Authorization"] == "Bearer frag-bob"


def test_a_refresh_that_names_another_user_ends_the_session_instead():
    wall = [1_000_000.0]
    client, shell, _ = ready_client(session=Session("tok", "me", "Me", "1970-01-01T00:20:00Z"),
                                    wall_clock=lambda: wall[0])
    wall[0] += shell.timers["refresh"]
    shell.fire("refresh")
    shell.drain()
    shell.answer(shell.request("/session/refresh"), 200, refresh_answer(token="x", user="mallory"))
    shell.drain()
    assert shell.unauthorized == 1 and client.user_id == "me" and of(shell, SessionRenewed) == []


def test_a_token_session_stores_what_was_made_before_its_user_was_known():
    client, shell, _ = new_client(session=Session("frag"))
    client.start()
    client.set_status("D-1", "picked_up")
    shell.drain()
    assert of(shell, SaveOutbox) == []  # nobody to keep it for yet
    shell.answer(shell.request("/session/refresh"), 200, refresh_answer(user="u7"))
    shell.drain()
    assert [e["key"] for e in saved(shell, "u7")] == ["key1"]


def test_a_bare_token_from_a_shell_before_issue_12_learns_its_user_by_a_refresh():
    client, shell, _ = new_client(session="tok", user_id="me")
    client.start()
    shell.drain()
    shell.answer(shell.request("/session/refresh"), 200, refresh_answer(user="u-demo"))
    shell.drain()
    assert client.user_id == "u-demo" and shell.unauthorized == 0


def test_the_account_doctests_hold():
    import doctest

    from app import account

    assert doctest.testmod(account).failed == 0
