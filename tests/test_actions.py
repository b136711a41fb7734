"""app/actions.py: the actions a client asks its shell to perform; every one it emits is of the ``Action`` union."""

from __future__ import annotations

import dataclasses
import typing

import pytest

from app.actions import Action, Log, OpenSocket, ShowConnection, describe
from app.connection import State
from tests.fake_shell import new_client, reopen, snapshot


def test_describe_says_the_state_the_attempt_and_the_next_try():
    assert describe(ShowConnection(State.OPEN, 0, 5, None)) == "connection open"
    assert describe(ShowConnection(State.RECONNECTING, 2, 5, 4000)) == \
        "connection reconnecting (attempt 2 of 5, next try in 4.0 s)"
    assert describe(ShowConnection(State.RECONNECTING, 5, 5, None)) == "connection reconnecting (attempt 5 of 5)"


def test_actions_are_frozen_values():
    assert OpenSocket("wss://x/ws") == OpenSocket("wss://x/ws")
    with pytest.raises(dataclasses.FrozenInstanceError):
        OpenSocket("wss://x/ws").url = "wss://y/ws"


def test_every_action_a_client_emits_through_a_sync_and_a_reconnect_is_an_action():
    kinds = typing.get_args(Action)
    client, shell, _ = new_client()
    emitted = []
    client.start()
    emitted += shell.drain()
    client.socket_opened()
    shell.socket = "open"
    emitted += shell.drain()
    client.socket_message('{"type": "welcome", "seq": 10, "resumed": false}')
    emitted += shell.drain()
    shell.answer(shell.request("/snapshot"), 200, snapshot(10))
    emitted += shell.drain()
    reopen(client, shell)
    emitted += shell.drain()
    assert emitted and all(isinstance(action, kinds) for action in emitted)
    assert {type(action).__name__ for action in emitted} >= {"OpenSocket", "SendText", "HttpRequest", "Render",
                                                             "ShowConnection", "ShowSync", "StartTimer", "Log"}
    assert all(action.direction in "<>=" for action in emitted if isinstance(action, Log))
