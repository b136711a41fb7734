"""app/outbox.py: the stored form of commands, read back strictly, and when to save and show."""

import pytest

from app.command import MAX_AGE_MS, Command
from app.models import DeliveryStatus
from app.outbox import (
    MAX_ENTRIES,
    OutboxItem,
    Published,
    SaveOutbox,
    ShowOutbox,
    dropped_notice,
    entry_of,
    item_of,
    restore,
    set_aside_notice,
    storage_key,
    summary,
)
from app.rollback import Kind, Reason, rollback_for
from app.session import expires_ms

T0 = "2026-11-26T10:00:00Z"
NOW = expires_ms(T0) + 60_000


def status_cmd(key="k1", status="picked_up", did="D-1042", made=T0) -> Command:
    return Command(key, Kind.SET_STATUS, did, {"status": DeliveryStatus(status)}, made, expires_ms(made))


def assign_cmd(key="k2", staff="S-07") -> Command:
    return Command(key, Kind.ASSIGN, "D-1", {"assignedTo": staff}, T0, expires_ms(T0))


def message_cmd(key="k3", body="Customer not home", did=None) -> Command:
    return Command(key, Kind.SEND_MESSAGE, did, {"to": "S-07", "body": body, "deliveryId": did}, T0, expires_ms(T0))


def same(a: Command, b: Command) -> bool:
    return (a.id, a.kind, a.delivery_id, a.fields, a.made_at) == (b.id, b.kind, b.delivery_id, b.fields, b.made_at)


# --- round trip -----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [status_cmd(), assign_cmd(), assign_cmd(staff=None), message_cmd(did="D-1")])
def test_each_kind_of_command_comes_back_as_it_was_stored(command):
    restored = restore([entry_of(command, None, "waiting")], NOW)
    [(back, error)] = restored.commands
    assert same(back, command) and error is None and restored.invalid == restored.expired == 0


def test_a_sending_command_comes_back_waiting_with_the_same_key():
    [(back, error)] = restore([entry_of(status_cmd("key-7"), None, "sending")], NOW).commands
    assert back.id == "key-7" and error is None


def test_a_failed_command_comes_back_with_its_own_rollback():
    command = message_cmd()
    error = rollback_for(command.id, command.kind, None, 503, "busy")
    [(back, back_error)] = restore([entry_of(command, error, "failed")], NOW).commands
    assert back_error == error and back_error.retryable


def test_entries_are_json_ready():
    import json

    command = status_cmd()
    entry = entry_of(command, rollback_for("k1", Kind.SET_STATUS, "D-1042", 409, "no"), "failed")
    assert json.loads(json.dumps(entry)) == entry
    assert entry["status"] == "picked_up" and entry["reason"] == "conflict"


# --- storage is untrusted ----------------------------------------------------------------------------

GOOD = entry_of(status_cmd(), None, "waiting")


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "a string",
        [1, 2],
        {**GOOD, "v": 2},
        {**GOOD, "v": "1"},  # no coercion
        {**GOOD, "kind": "delete_everything"},
        {**GOOD, "status": "teleported"},
        {**GOOD, "deliveryId": ""},
        {**GOOD, "deliveryId": "D" * 65},
        {**GOOD, "key": ""},
        {**GOOD, "madeAt": "yesterday"},
        {**GOOD, "madeAt": "2026-11-26T10:00:00"},  # no zone: no instant
        {**GOOD, "state": "done"},
        {**GOOD, "state": "failed"},  # failed but no reason
        {**GOOD, "reason": "conflict"},  # a reason but not failed
        {**GOOD, "retryable": "yes"},
        {k: v for k, v in entry_of(assign_cmd(), None, "waiting").items() if k != "assignedTo"},
        {**entry_of(message_cmd(), None, "waiting"), "body": ""},
        {**entry_of(message_cmd(), None, "waiting"), "body": "x" * 2001},
        {**GOOD, "error": "x" * 1001, "state": "failed", "reason": "conflict"},
    ],
)
def test_a_bad_entry_is_dropped_and_counted_and_the_good_ones_kept(bad):
    restored = restore([bad, entry_of(assign_cmd(), None, "waiting")], NOW)
    assert [c.id for c, _ in restored.commands] == ["k2"] and restored.invalid == 1


@pytest.mark.parametrize("junk", [None, 7, "[]", object()])
def test_storage_that_is_not_a_list_restores_nothing_and_never_raises(junk):
    restored = restore(junk, NOW)
    assert restored.commands == ()


def test_a_key_stored_twice_is_kept_once():
    restored = restore([GOOD, GOOD], NOW)
    assert len(restored.commands) == 1 and restored.invalid == 1


def test_entries_older_than_24_hours_are_dropped_and_counted():
    old = entry_of(status_cmd("old"), None, "waiting")
    now = expires_ms(T0) + MAX_AGE_MS + 1
    fresh = entry_of(status_cmd("fresh", made="2026-11-27T09:00:00Z"), None, "waiting")
    restored = restore([old, fresh], now)
    assert [c.id for c, _ in restored.commands] == ["fresh"] and restored.expired == 1


def test_at_most_max_entries_are_restored():
    entries = [entry_of(status_cmd(f"k{n}"), None, "waiting") for n in range(MAX_ENTRIES + 3)]
    restored = restore(entries, NOW)
    assert len(restored.commands) == MAX_ENTRIES and restored.expired == 3


def test_the_user_is_told_what_could_not_be_restored():
    assert dropped_notice(0, 0) is None
    assert dropped_notice(1, 2) == ("2 stored changes older than 24 hours were not sent; "
                                    "1 stored change could not be read.")


# --- what people see -----------------------------------------------------------------------------------


def test_summaries_are_short_plain_lines():
    assert summary(status_cmd()) == "D-1042: status to picked up"
    assert summary(assign_cmd()) == "D-1: assign to S-07"
    assert summary(assign_cmd(staff=None)) == "D-1: unassign"
    long = summary(message_cmd(body="<b>" + "x" * 100 + "</b>"))
    assert long.startswith("Message to S-07: <b>xxx") and len(long) == len("Message to S-07: ") + 60


def test_an_item_carries_its_error_and_whether_it_may_be_retried():
    command = status_cmd()
    error = rollback_for("k1", Kind.SET_STATUS, "D-1042", None, "", Reason.TIMEOUT)
    assert item_of(command, error, "failed") == OutboxItem(
        "k1", "set_status", "D-1042", "D-1042: status to picked up", "failed", error.message, True, T0)
    assert item_of(command, None, "waiting").error is None


def test_the_set_aside_notice_names_the_user():
    assert set_aside_notice(3, "Ada") == ("3 changes made by Ada were set aside and will be sent when Ada signs in "
                                          "again.")
    assert set_aside_notice(1, "Ada").startswith("1 change made by Ada was set aside")


def test_storage_keys_are_per_user():
    assert storage_key("u1") != storage_key("u2") and storage_key("u1").endswith("u1")


# --- when to save and show ----------------------------------------------------------------------------


def test_save_only_on_a_change_per_user_and_never_without_a_user():
    published = Published()
    entries = (GOOD,)
    assert published.save("u1", entries) == SaveOutbox("u1", entries)
    assert published.save("u1", entries) is None
    assert published.save("u2", entries) == SaveOutbox("u2", entries)
    assert published.save("u1", ()) == SaveOutbox("u1", ())  # empty: delete
    assert published.save("u1", (), force=True) == SaveOutbox("u1", ())
    assert published.save(None, entries) is None


def test_show_only_when_the_items_change():
    published = Published()
    waiting = item_of(status_cmd(), None, "waiting")
    failed = item_of(assign_cmd(), rollback_for("k2", Kind.ASSIGN, "D-1", 409, ""), "failed")
    assert published.show([waiting, failed]) == ShowOutbox(2, 1)
    assert published.show([waiting, failed]) is None
    assert published.show([waiting]) == ShowOutbox(1, 0)


def test_the_outbox_doctests_hold():
    import doctest

    from app import outbox

    assert doctest.testmod(outbox).failed == 0
