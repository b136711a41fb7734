"""app/commands.py: optimistic overlay, confirmation by answer or event, rollback with a reason, queue."""

import itertools
import json
from functools import partial

import pytest

from app.commands import (
    MAX_AGE_MS,
    TIMEOUT,
    Accepted,
    Command,
    Commands,
    Confirmed,
    LoggedOut,
    Reason,
    Refused,
    Request,
    Kind,
    Touched,
)
from app.models import Communication, DeliveryUpdate, NewCommunication, Snapshot
from app.store import Store

from tests import builders
from tests.builders import T0

delivery = partial(builders.delivery, status="assigned")


def make(online=True, **kw) -> Commands:
    counter = itertools.count(1)
    cmds = Commands(id_factory=lambda: f"key{next(counter)}", now_iso=lambda: T0, **kw)
    cmds.set_online(online)
    return cmds


def requests(cmds) -> list[Request]:
    return [a for a in cmds.actions() if isinstance(a, Request)]


def store_at(seq, *deliveries) -> Store:
    store = Store()
    store.load_snapshot(Snapshot(seq=seq, deliveries=list(deliveries) or [delivery()], staff=[], zones=[],
                                 communications=[]))
    return store


def patch_answer(seq, **fields) -> str:
    return json.dumps({"delivery": delivery(**fields).wire(), "seq": seq})


def du(seq, did="D-1", **changes) -> DeliveryUpdate:
    return DeliveryUpdate.model_validate({"seq": seq, "deliveryId": did, "changes": changes})


# --- the overlay -------------------------------------------------------------------------


def test_a_status_change_shows_at_once_and_marks_the_row_pending():
    cmds = make()
    assert cmds.set_status("D-1", "picked_up") == Accepted("key1")
    assert cmds.effective(delivery()).status == "picked_up"
    assert cmds.row_status("D-1").pending and cmds.row_status("D-1").error is None
    assert not cmds.row_status("D-2").pending
    assert cmds.effective(delivery("D-2")).status == "assigned"


def test_the_request_is_a_patch_with_an_idempotency_key():
    cmds = make()
    cmds.assign("D/1", "S-7")
    [request] = requests(cmds)
    assert (request.method, request.path, request.body) == ("PATCH", "/deliveries/D%2F1", {"assignedTo": "S-7"})
    assert request.headers == {"Idempotency-Key": "key1"}


def test_overlays_on_one_row_stack_in_the_order_made():
    cmds = make()
    cmds.set_status("D-1", "picked_up")
    cmds.assign("D-1", "S-2")
    cmds.set_status("D-1", "in_transit")
    seen = cmds.effective(delivery())
    assert (seen.status, seen.assignedTo) == ("in_transit", "S-2")


def test_unassign_sends_an_explicit_null():
    cmds = make()
    cmds.assign("D-1", None)
    assert requests(cmds)[0].body == {"assignedTo": None}
    assert cmds.effective(delivery(assignedTo="S-1")).assignedTo is None


def test_each_change_touches_its_row_for_a_redraw():
    cmds = make()
    cmds.set_status("D-1", "failed")
    touched = [a.changes.deliveries for a in cmds.actions() if isinstance(a, Touched)]
    assert touched and all(t == {"D-1"} for t in touched)


# --- confirmation ------------------------------------------------------------------------


def test_confirmed_by_the_answer_first_keeps_the_value_until_the_event_is_applied():
    cmds, store = make(), store_at(10)
    cmds.set_status("D-1", "picked_up")
    [request] = requests(cmds)
    cmds.http_answered(request.request_id, 200, patch_answer(11, status="picked_up"))
    assert not cmds.row_status("D-1").pending  # confirmed: no longer marked
    cmds.settle(store)
    assert cmds.effective(store.deliveries["D-1"]).status == "picked_up"  # no flicker back to "assigned"
    store.apply(du(11, status="picked_up"))
    cmds.event_applied(du(11, status="picked_up"))
    cmds.settle(store)
    assert not cmds.has_overlay("D-1")


def test_confirmed_by_the_event_first_ignores_the_late_answer():
    cmds, store = make(), store_at(10)
    cmds.set_status("D-1", "picked_up")
    [request] = requests(cmds)
    event = du(11, status="picked_up", updatedAt="2026-11-26T10:01:00Z")
    store.apply(event)
    cmds.event_applied(event)
    assert not cmds.row_status("D-1").pending and not cmds.has_overlay("D-1")
    assert not cmds.owns(request.request_id)
    cmds.http_answered(request.request_id, 409, "{}")  # whatever it says now, it is settled
    assert cmds.row_status("D-1").error is None


def test_an_event_with_a_different_value_does_not_confirm():
    cmds = make()
    cmds.set_status("D-1", "picked_up")
    cmds.event_applied(du(11, status="in_transit"))
    cmds.event_applied(du(12, "D-2", status="picked_up"))
    assert cmds.row_status("D-1").pending


def test_an_answer_without_seq_hands_the_delivery_to_the_store():
    cmds = make()
    cmds.set_status("D-1", "picked_up")
    [request] = requests(cmds)
    cmds.http_answered(request.request_id, 200, patch_answer(None, status="picked_up"))
    confirmed = [a for a in cmds.actions() if isinstance(a, Confirmed)]
    assert confirmed == [Confirmed(delivery=delivery(status="picked_up"))]
    assert not cmds.has_overlay("D-1")


# --- rollback -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, reason, retryable",
    [
        (409, Reason.CONFLICT, False),
        (422, Reason.INVALID, False),
        (404, Reason.NOT_FOUND, False),
        (400, Reason.REJECTED, False),
        (503, Reason.SERVER_ERROR, True),
    ],
)
def test_a_refusal_rolls_back_with_a_reason(status, reason, retryable):
    cmds = make()
    cmds.set_status("D-1", "picked_up")
    [request] = requests(cmds)
    cmds.http_answered(request.request_id, status, json.dumps({"detail": "delivery D-1 is delivered"}))
    assert cmds.effective(delivery()).status == "assigned"  # rolled back
    row = cmds.row_status("D-1")
    assert not row.pending
    assert (row.error.reason, row.error.retryable, row.error.status) == (reason, retryable, status)
    assert "delivery D-1 is delivered" in row.error.message


def test_401_says_logged_out_and_the_command_waits_at_the_head_of_the_queue_for_the_next_sign_in():
    cmds = make()
    cmds.set_status("D-1", "failed")
    cmds.set_status("D-2", "failed")
    [request] = requests(cmds)
    cmds.http_answered(request.request_id, 401, "")
    assert LoggedOut() in cmds.actions() and requests(cmds) == []  # the next one does not go out either
    assert cmds.row_status("D-1").pending and cmds.row_status("D-1").error is None
    assert cmds.effective(delivery()).status == "failed" and cmds.queued == 2
    cmds.resume()  # signed in again
    [again] = requests(cmds)
    assert again.path == "/deliveries/D-1" and again.headers == request.headers


@pytest.mark.parametrize("error, reason", [("TypeError: Failed to fetch", Reason.NETWORK), (TIMEOUT, Reason.TIMEOUT)])
def test_network_error_and_timeout_roll_back_and_may_be_retried(error, reason):
    cmds = make()
    cmds.set_status("D-1", "failed")
    [request] = requests(cmds)
    cmds.http_failed(request.request_id, error)
    error_shown = cmds.row_status("D-1").error
    assert error_shown.reason == reason and error_shown.retryable
    assert cmds.effective(delivery()).status == "assigned"


def test_retry_sends_the_same_idempotency_key_again():
    cmds = make()
    cmds.set_status("D-1", "failed")
    [first] = requests(cmds)
    cmds.http_failed(first.request_id, TIMEOUT)
    assert cmds.retry("key1") == Accepted("key1")
    assert cmds.effective(delivery()).status == "failed" and cmds.row_status("D-1").pending
    assert cmds.row_status("D-1").error is None
    [second] = requests(cmds)
    assert second.headers["Idempotency-Key"] == first.headers["Idempotency-Key"] == "key1"
    assert second.request_id != first.request_id
    cmds.http_answered(first.request_id, 200, patch_answer(11, status="failed"))  # the late first answer
    assert cmds.row_status("D-1").pending  # ignored: the retry is the live request


def test_a_refused_command_cannot_be_retried():
    cmds = make()
    cmds.set_status("D-1", "failed")
    cmds.http_answered(requests(cmds)[0].request_id, 409, "")
    assert isinstance(cmds.retry("key1"), Refused)


def test_the_rollback_stays_until_dismissed():
    cmds = make()
    cmds.set_status("D-1", "failed")
    cmds.http_answered(requests(cmds)[0].request_id, 422, "")
    cmds.set_status("D-2", "failed")  # another row does not clear it
    assert cmds.row_status("D-1").error.reason == Reason.INVALID
    cmds.dismiss("key1")
    assert cmds.row_status("D-1").error is None


def test_the_rollback_stays_until_the_next_command_on_that_row():
    cmds = make()
    cmds.set_status("D-1", "failed")
    cmds.http_answered(requests(cmds)[0].request_id, 409, "")
    cmds.set_status("D-1", "cancelled")
    assert cmds.row_status("D-1").error is None


def test_rollback_text_is_plain_and_keeps_server_markup_inert():
    cmds = make()
    cmds.set_status("D-1", "failed")
    cmds.http_answered(requests(cmds)[0].request_id, 409, '{"detail": "<b>no</b>\\nway"}')
    assert cmds.row_status("D-1").error.message == "The server refused the change: <b>no</b> way"  # textContent


# --- queue ----------------------------------------------------------------------------


def test_commands_made_offline_wait_and_leave_in_order_one_at_a_time():
    cmds = make(online=False)
    cmds.set_status("D-1", "picked_up")
    cmds.assign("D-2", "S-1")
    cmds.send_message("S-1", "hello")
    assert requests(cmds) == [] and cmds.queued == 3
    assert cmds.row_status("D-1").pending and cmds.effective(delivery()).status == "picked_up"
    cmds.set_online(True)
    sent = []
    for _ in range(3):
        [request] = requests(cmds)
        sent.append((request.method, request.path))
        cmds.http_answered(request.request_id, 500, "")
    assert sent == [("PATCH", "/deliveries/D-1"), ("PATCH", "/deliveries/D-2"), ("POST", "/communications")]


def test_a_full_queue_refuses_the_new_command_and_keeps_the_old_ones():
    cmds = make(online=False, max_queue=2)
    cmds.set_status("D-1", "picked_up")
    cmds.set_status("D-2", "picked_up")
    refused = cmds.set_status("D-3", "picked_up")
    assert isinstance(refused, Refused) and refused.reason == "queue_full" and "waiting" in refused.message
    assert cmds.queued == 2 and not cmds.row_status("D-3").pending
    assert cmds.effective(delivery("D-1")).status == "picked_up"


def test_going_offline_holds_the_queue_but_lets_the_request_under_way_finish():
    cmds = make()
    cmds.set_status("D-1", "picked_up")
    cmds.set_status("D-2", "picked_up")
    [first] = requests(cmds)
    cmds.set_online(False)
    cmds.http_answered(first.request_id, 200, patch_answer(11, status="picked_up"))
    assert requests(cmds) == []
    cmds.set_online(True)
    assert requests(cmds)[0].path == "/deliveries/D-2"


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.set_status("D-1", "teleported"),
        lambda c: c.set_status("", "failed"),
        lambda c: c.assign("D-1", "S" * 65),
        lambda c: c.send_message("S-1", "   "),
        lambda c: c.send_message("S-1", "x" * 2001),
        lambda c: c.send_message("", "hi"),
    ],
)
def test_invalid_commands_are_refused_before_anything_shows(call):
    cmds = make()
    result = call(cmds)
    assert isinstance(result, Refused) and result.reason == "invalid"
    assert cmds.actions() == []


# --- messages -------------------------------------------------------------------------


def comm(cid="C-1", body="hello", to="S-1", delivery_id=None) -> Communication:
    return Communication.model_validate({"id": cid, "from": "me", "to": to, "body": body, "sentAt": T0,
                                         "deliveryId": delivery_id})


def test_a_message_shows_at_once_as_pending():
    cmds = make()
    cmds.send_message("S-1", "<i>on my way</i>", "D-1")
    [request] = requests(cmds)
    assert request.body == {"to": "S-1", "body": "<i>on my way</i>", "deliveryId": "D-1"}
    assert request.headers == {"Idempotency-Key": "key1"}
    [(message, pending)] = cmds.messages()
    assert pending and message.id == "pending-key1" and message.body == "<i>on my way</i>"
    assert cmds.compose_status().pending


def test_a_message_is_confirmed_by_its_event():
    cmds = make()
    cmds.send_message("S-1", "hello")
    requests(cmds)
    cmds.event_applied(NewCommunication(seq=11, communication=comm()))
    assert cmds.messages() == [] and not cmds.compose_status().pending


def test_a_message_confirmed_by_its_answer_stays_listed_under_its_real_id_until_stored():
    cmds, store = make(), store_at(10)
    cmds.send_message("S-1", "hello")
    [request] = requests(cmds)
    cmds.http_answered(request.request_id, 201, json.dumps({"communication": comm("C-7").wire(), "seq": 11}))
    cmds.settle(store)
    [(message, pending)] = cmds.messages()
    assert message == comm("C-7") and not pending  # the server's copy
    store.apply(NewCommunication(seq=11, communication=comm("C-7")))
    cmds.settle(store)
    assert cmds.messages() == []


def test_a_refused_message_is_removed_and_the_form_shows_why():
    cmds = make()
    cmds.send_message("S-1", "hello")
    cmds.http_answered(requests(cmds)[0].request_id, 422, '{"detail": "unknown recipient"}')
    assert cmds.messages() == []
    error = cmds.compose_status().error
    assert error.reason == Reason.INVALID and "unknown recipient" in error.message
    assert cmds.row_status("D-1").error is None


# --- confirmation by cause (PROTOCOL.md 2) -------------------------------------------------------


def caused(seq, key, did="D-1", user="u2", **changes) -> DeliveryUpdate:
    return DeliveryUpdate.model_validate({"seq": seq, "deliveryId": did, "changes": changes,
                                          "cause": {"idempotencyKey": key, "userId": user}})


def test_another_users_identical_change_leaves_ours_pending_until_our_own_answer():
    cmds, store = make(), store_at(10)
    cmds.set_status("D-1", "picked_up")
    [request] = requests(cmds)
    other = caused(11, "someone-elses-key", status="picked_up")
    store.apply(other)
    cmds.event_applied(other)
    assert cmds.row_status("D-1").pending and cmds.unconfirmed == 1  # not ours
    cmds.http_answered(request.request_id, 200, patch_answer(12, status="picked_up"))
    assert not cmds.row_status("D-1").pending


def test_an_event_with_our_key_confirms_our_command():
    cmds = make()
    cmds.set_status("D-1", "picked_up")
    requests(cmds)
    cmds.event_applied(caused(11, "key1", user="me", status="picked_up"))
    assert not cmds.row_status("D-1").pending and cmds.outbox() == []


def test_on_an_epoch_stream_an_uncaused_identical_change_confirms_nothing():
    cmds = make()
    cmds.new_stream("epoch-1")
    cmds.set_status("D-1", "picked_up")
    requests(cmds)
    cmds.event_applied(du(11, status="picked_up"))  # the simulation moved it: not our command's doing
    assert cmds.row_status("D-1").pending


def test_a_version_1_backend_keeps_matching_by_value():
    cmds = make()
    cmds.new_stream(None)
    cmds.set_status("D-1", "picked_up")
    requests(cmds)
    cmds.event_applied(du(11, status="picked_up"))
    assert not cmds.row_status("D-1").pending


def test_a_queued_command_whose_cause_arrives_was_applied_before_and_is_not_sent_again():
    cmds = make(online=False)
    cmds.set_status("D-1", "picked_up")
    cmds.event_applied(caused(11, "key1", user="me", status="picked_up"))  # e.g. replayed after a reload
    cmds.set_online(True)
    assert requests(cmds) == [] and cmds.outbox() == []


def test_a_timed_out_command_whose_cause_arrives_is_no_longer_failed():
    cmds = make()
    cmds.set_status("D-1", "picked_up")
    cmds.http_failed(requests(cmds)[0].request_id, TIMEOUT)
    assert cmds.row_status("D-1").error is not None
    cmds.event_applied(caused(11, "key1", user="me", status="picked_up"))
    assert cmds.row_status("D-1").error is None and cmds.outbox() == []


def test_an_answer_seq_of_an_older_epoch_settles_once_the_new_streams_snapshot_is_in():
    cmds, store = make(), store_at(500)
    cmds.new_stream("A")
    cmds.set_status("D-1", "picked_up")
    cmds.http_answered(requests(cmds)[0].request_id, 200, patch_answer(501, status="picked_up"))
    cmds.new_stream("B")  # the server restarted; its seq starts again
    store.begin_resync()
    cmds.settle(store)
    assert cmds.has_overlay("D-1")  # the new snapshot is not in yet: no flicker
    store.load_snapshot(Snapshot(seq=3, deliveries=[delivery(status="picked_up")], staff=[], zones=[],
                                 communications=[]))
    cmds.settle(store)
    assert not cmds.has_overlay("D-1")


# --- answers that are not what they should be ------------------------------------------------------


def test_a_10000_deep_error_body_rolls_back_counts_it_invalid_and_the_next_command_still_goes_out():
    cmds = make()
    cmds.set_status("D-1", "picked_up")
    cmds.set_status("D-2", "picked_up")
    [first] = requests(cmds)
    cmds.http_answered(first.request_id, 500, "[" * 10_000 + "]" * 10_000)
    error = cmds.row_status("D-1").error
    assert error.reason is Reason.SERVER_ERROR and cmds.invalid_answers == 1
    assert "[" not in error.message and error.message.endswith("(HTTP 500)")  # brackets are not words
    [second] = requests(cmds)
    assert second.path == "/deliveries/D-2"
    cmds.http_answered(second.request_id, 200, '{"delivery": ' * 10_000)
    assert cmds.invalid_answers == 2 and cmds.outbox()[0][2] == "failed"  # D-1's, kept for the user


def test_a_deep_detail_inside_an_error_body_is_shown_as_text():
    cmds = make()
    cmds.set_status("D-1", "picked_up")
    cmds.http_answered(requests(cmds)[0].request_id, 422, '{"detail": ' + "[" * 150 + "]" * 150 + "}")
    assert "[[[" in cmds.row_status("D-1").error.message


def test_only_words_are_quoted_from_an_error_body():
    from app.rollback import server_says

    assert server_says('{"detail": "Delivery D-1 is closed"}') == "Delivery D-1 is closed"
    assert server_says("Bad gateway") == "Bad gateway"
    assert server_says('"busy"') == "busy"
    for junk in ("[1, 2, 3]", "12", '{"other": 1}', "<html><body>502</body></html>", "x" * 201, ""):
        assert server_says(junk) == "", junk


# --- every failure keeps its own text and retry; discard; set aside; adopt ------------------------------


def test_every_failed_message_keeps_its_own_text_and_its_own_retry():
    cmds = make()
    cmds.send_message("S-1", "first")
    cmds.http_answered(requests(cmds)[0].request_id, 503, '{"detail": "busy one"}')
    cmds.send_message("S-2", "second")
    cmds.http_failed(requests(cmds)[0].request_id, "network down")
    failed = {c.id: (c.fields["body"], e.message) for c, e, state in cmds.outbox() if state == "failed"}
    assert failed.keys() == {"key1", "key2"} and "busy one" in failed["key1"][1] and "network down" in failed["key2"][1]
    assert cmds.retry("key1") == Accepted("key1")
    [again] = requests(cmds)
    assert again.body["body"] == "first" and again.headers["Idempotency-Key"] == "key1"
    assert [c.id for c, _, state in cmds.outbox() if state == "failed"] == ["key2"]
    assert cmds.retry("key2") == Accepted("key2")


def test_a_new_command_on_a_row_hides_the_old_error_but_keeps_the_failed_command():
    cmds = make()
    cmds.set_status("D-1", "picked_up")
    cmds.http_failed(requests(cmds)[0].request_id, TIMEOUT)
    cmds.assign("D-1", "S-1")
    assert cmds.row_status("D-1").error is None
    assert [(c.id, state) for c, _, state in cmds.outbox()] == [("key2", "sending"), ("key1", "failed")]


def test_discard_drops_a_failed_or_waiting_command_but_not_one_under_way():
    cmds = make(online=False)
    cmds.set_status("D-1", "picked_up")
    cmds.set_status("D-2", "picked_up")
    assert cmds.discard("key2") and not cmds.has_overlay("D-2")
    cmds.set_online(True)
    [request] = requests(cmds)
    assert not cmds.discard("key1")  # under way: the server may already have it
    cmds.http_answered(request.request_id, 409, "")
    assert cmds.discard("key1") and cmds.outbox() == [] and cmds.row_status("D-1").error is None
    assert not cmds.discard("key1") and requests(cmds) == []


def test_a_command_older_than_24_hours_is_never_sent():
    now = [0.0]
    cmds = make(online=False, wall_clock=lambda: now[0])
    cmds.set_status("D-1", "picked_up")
    now[0] = MAX_AGE_MS + 1
    cmds.set_online(True)
    assert requests(cmds) == []
    [(command, error, state)] = cmds.outbox()
    assert state == "failed" and error.reason is Reason.EXPIRED and not error.retryable


def test_set_aside_hands_over_every_unconfirmed_command_and_forgets_them():
    cmds = make()
    cmds.set_status("D-1", "picked_up")
    cmds.send_message("S-1", "hello")
    [request] = requests(cmds)
    taken = cmds.set_aside()
    assert [c.id for c, _ in taken] == ["key1", "key2"]
    assert cmds.outbox() == [] and not cmds.has_overlay("D-1") and cmds.messages() == []
    cmds.http_answered(request.request_id, 200, patch_answer(11, status="picked_up"))  # a late answer
    assert requests(cmds) == [] and cmds.outbox() == []


def test_adopt_takes_back_stored_commands_once_each():
    made_ms = 1_764_151_200_000.0  # T0
    cmds = make(online=False, wall_clock=lambda: made_ms + 1000)
    command = Command("stored-1", Kind.ASSIGN, "D-1", {"assignedTo": "S-1"}, T0, made_ms)
    assert cmds.adopt(command) and not cmds.adopt(command)
    assert cmds.effective(delivery()).assignedTo == "S-1"
    cmds.set_online(True)
    [request] = requests(cmds)
    assert request.headers == {"Idempotency-Key": "stored-1"}


def test_suspend_puts_the_request_under_way_back_at_the_head_of_the_queue():
    cmds = make()
    cmds.set_status("D-1", "picked_up")
    cmds.set_status("D-2", "picked_up")
    [first] = requests(cmds)
    cmds.suspend()
    cmds.http_answered(first.request_id, 200, patch_answer(11, status="picked_up"))  # from the old token: ignored
    assert requests(cmds) == [] and [c.id for c, _, s in cmds.outbox()] == ["key1", "key2"]
    cmds.resume()
    assert [r.headers["Idempotency-Key"] for r in requests(cmds)] == ["key1"]


@pytest.mark.parametrize("name", ["commands", "command", "rollback"])
def test_the_doctests_hold(name):
    import doctest
    import importlib

    module = importlib.import_module(f"app.{name}")
    assert doctest.testmod(module).failed == 0 and doctest.testmod(module).attempted > 0
