"""app/rollback.py: the words of a rollback, whether retrying may help, and a decoder of answers that never raises."""

from __future__ import annotations

import json

import pytest

from app.rollback import (
    INVALID_JSON,
    MAX_ANSWER_CHARS,
    RETRYABLE,
    Kind,
    Reason,
    read_json,
    reason_for,
    rollback_for,
    server_says,
)


@pytest.mark.parametrize("status, reason", [
    (401, Reason.UNAUTHORIZED), (404, Reason.NOT_FOUND), (409, Reason.CONFLICT), (422, Reason.INVALID),
    (500, Reason.SERVER_ERROR), (503, Reason.SERVER_ERROR), (400, Reason.REJECTED), (418, Reason.REJECTED),
])
def test_each_status_has_its_reason(status, reason):
    assert reason_for(status) is reason


def test_only_server_errors_network_and_timeouts_may_be_retried():
    assert RETRYABLE == {Reason.SERVER_ERROR, Reason.NETWORK, Reason.TIMEOUT}
    assert rollback_for("k", Kind.ASSIGN, "D-1", 503, "").retryable
    assert not rollback_for("k", Kind.ASSIGN, "D-1", 409, "").retryable


def test_the_message_names_the_http_status_of_a_server_error_and_quotes_the_server():
    rollback = rollback_for("k", Kind.SET_STATUS, "D-1", 503, "maintenance")
    assert "(HTTP 503)" in rollback.message and rollback.message.endswith("Server: maintenance")
    assert (rollback.command_id, rollback.kind, rollback.delivery_id, rollback.status) == \
        ("k", Kind.SET_STATUS, "D-1", 503)


def test_no_answer_is_a_network_failure_unless_told_it_timed_out():
    assert rollback_for("k", Kind.SEND_MESSAGE, None, None, "offline").reason is Reason.NETWORK
    timed_out = rollback_for("k", Kind.SEND_MESSAGE, None, None, "", reason=Reason.TIMEOUT)
    assert timed_out.reason is Reason.TIMEOUT and timed_out.retryable and "HTTP" not in timed_out.message


def test_read_json_never_raises():
    assert read_json('{"a": [1, 2]}') == {"a": [1, 2]}
    assert read_json("null") is None
    for junk in ("{not json", "[" * 10_000, None, 42, " " * (MAX_ANSWER_CHARS + 1)):
        assert read_json(junk) is INVALID_JSON


@pytest.mark.parametrize("body, words", [
    ('{"detail": "already delivered"}', "already delivered"),
    ('{"message": "no such   driver"}', "no such driver"),
    ('{"error": {"code": 7}}', '{"code": 7}'),
    ('"just a string"', "just a string"),
    ("Service Unavailable", "Service Unavailable"),
    ("[1, 2, 3]", ""),
    ("<html><body>502</body></html>", ""),
    ("x" * 300, ""),
    ("[" * 10_000, ""),
])
def test_server_says_quotes_only_words(body, words):
    assert server_says(body) == words


def test_server_words_are_cut_to_200_characters():
    assert len(server_says(json.dumps({"detail": "word " * 100}))) == 200


def test_a_refusal_with_the_servers_words_says_them_and_no_guess_of_its_own():
    """A 409 "a delivery assigned needs someone assigned" read "the delivery changed meanwhile" first."""
    said = rollback_for("c-1", "set_status", "D-1", 409, "a delivery assigned needs someone assigned (assignedTo)")
    assert said.message == "The server refused the change: a delivery assigned needs someone assigned (assignedTo)"
    invalid = rollback_for("c-1", "set_status", "D-1", 422, "status: not a status")
    assert invalid.message == "The server refused the change: status: not a status"
    silent = rollback_for("c-1", "set_status", "D-1", 409, "")
    assert "changed meanwhile" in silent.message  # no words of its own: the likeliest reason
