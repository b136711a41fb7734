"""app/command.py: one command's data (its key, row and phase) and the queue's output types."""

from __future__ import annotations

from app.command import COMPOSE, MAX_AGE_MS, Command, Phase, RowStatus, iso_of, new_key
from app.models import Communication
from app.rollback import Kind


def test_a_command_is_shown_on_its_delivery_row_and_a_message_on_the_compose_form():
    assert Command("k1", Kind.SET_STATUS, "D-1", {"status": "delivered"}).row == "D-1"
    message = Command("k2", Kind.SEND_MESSAGE, None, {"to": "all", "body": "hi", "deliveryId": None})
    assert message.row == COMPOSE == ""


def test_a_new_command_is_queued_unsent_and_knows_no_server_copy():
    command = Command("k1", Kind.ASSIGN, "D-1", {"assignedTo": None})
    assert command.phase is Phase.QUEUED and command.attempts == 0 and command.seq is None
    assert command.communication_id is None and command.request_ids == set()
    command.communication = Communication.model_validate(
        {"id": "C-1", "from": "me", "to": "all", "body": "hi", "sentAt": "2026-11-26T10:00:00Z"})
    assert command.communication_id == "C-1"


def test_commands_are_compared_by_identity():
    assert Command("k", Kind.ASSIGN, "D-1", {}) != Command("k", Kind.ASSIGN, "D-1", {})


def test_keys_are_unique_and_times_are_iso_utc_to_the_second():
    assert len({new_key() for _ in range(100)}) == 100
    assert iso_of(1_764_151_200_000.0) == "2025-11-26T10:00:00Z"
    assert MAX_AGE_MS == 24 * 3600 * 1000


def test_a_row_with_nothing_to_show_is_neither_pending_nor_failed():
    assert RowStatus() == RowStatus(pending=False, error=None)
