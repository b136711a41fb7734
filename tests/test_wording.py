"""app/wording.py: raw values read as plain words; the banner says attempt n of 5 and the seconds left."""

import doctest

import app.wording as wording
from app.wording import (
    announce_messages,
    connection_announcement,
    connection_text,
    count_of,
    current_work,
    person,
    recipient,
    sender,
    words,
    zone_backlog,
)

NAMES = {"S-07": "Dev Silva"}.get


def test_the_module_docstring_runs():
    assert doctest.testmod(wording).failed == 0


def test_words():
    assert words("on_break") == "On break" and words("open") == "Open" and words(None) == ""


def test_people_have_their_name_beside_their_id():
    assert person("S-07", "Dev Silva") == "Dev Silva (S-07)"
    assert person("S-99", None) == "S-99"
    assert sender("U-demo", "U-demo", NAMES) == "You"
    assert sender("S-07", "U-demo", NAMES) == "Dev Silva (S-07)"
    assert recipient("all", NAMES) == "Everyone" and recipient("S-07", NAMES) == "Dev Silva (S-07)"


def test_counter_says_how_far_over():
    assert count_of(0, 2000) == "0 / 2000"
    assert count_of(2003, 2000) == "3 too many"


def test_current_work():
    assert current_work(None, None, 0) == "No delivery"
    assert current_work("D-1", "in_transit", 0) == "D-1, in transit"
    assert current_work("D-1", "assigned", 2) == "D-1, assigned (+2 more)"


def test_zone_backlog_is_text_only_when_alerting():
    assert zone_backlog(10, 0, True) == "Short of staff: 10 waiting, nobody free"
    assert zone_backlog(10, 2, True) == "Short of staff: 10 waiting, only 2 free"
    assert zone_backlog(1, 2, False) == ""


def test_connection_text_for_every_state():
    assert connection_text("open") == "Live"
    assert connection_text("connecting") == "Connecting…"
    assert connection_text("reconnecting", 1, 5, 1) == "Reconnecting: attempt 1 of 5, next try in 1 second"
    assert connection_text("reconnecting", 3, 5, None) == "Reconnecting: attempt 3 of 5, trying now…"
    assert connection_text("reconnecting", 3, 5, -2).endswith("next try in 0 seconds")
    assert connection_text("offline", 5, 5) == "Offline: could not reconnect after 5 attempts"
    assert connection_text("offline", 5, 5, 61) == "Offline: could not reconnect after 5 attempts; trying again in 61 seconds"
    assert connection_text("syncing").startswith("Syncing")
    assert "sign in" in connection_text("unauthorized")
    assert connection_text("stopped") == "Not connected"


def test_connection_announcements_are_for_changes_only():
    assert connection_announcement("reconnecting") == "Connection lost. Reconnecting."
    assert connection_announcement("connecting") == ""


def test_announcing_messages_is_short():
    assert announce_messages([]) == ""
    assert announce_messages([("Dev Silva (S-07)", "Left at\nreception")]) == \
        "New message from Dev Silva (S-07): Left at reception"
    long = announce_messages([("A", "x" * 500), ("B", "y")], limit=20)
    assert long.startswith("2 new messages. Latest from A: ") and long.endswith("…") and len(long) < 60
