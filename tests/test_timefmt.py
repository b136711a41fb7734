"""app/timefmt.py: the times people read are right for any clock and time zone."""

import doctest
from datetime import datetime, timedelta, timezone

import pytest

import app.timefmt as timefmt
from app.timefmt import clock, data_age, parse_iso, relative, seconds_text

NOW = datetime(2026, 11, 26, 14, 5, 0, tzinfo=timezone.utc)


def test_the_module_docstring_runs():
    assert doctest.testmod(timefmt).failed == 0


def test_parse_iso_is_aware_and_forgiving():
    assert parse_iso("2026-11-26T14:05:00Z") == NOW
    assert parse_iso("2026-11-26T14:05:00").tzinfo is not None  # no offset: read as UTC
    assert parse_iso("2026-11-26T15:05:00+01:00") == NOW
    assert parse_iso(None) is None
    assert parse_iso("not a time") is None


@pytest.mark.parametrize("delta, text", [
    (timedelta(seconds=0), "just now"),
    (timedelta(seconds=44), "just now"),
    (timedelta(seconds=50), "1 min ago"),
    (timedelta(minutes=7), "7 min ago"),
    (timedelta(minutes=59), "59 min ago"),
    (timedelta(minutes=61), "1 h ago"),
    (timedelta(hours=23, minutes=59), "23 h ago"),
    (timedelta(days=3, hours=2), "3 d ago"),
    (timedelta(seconds=-10), "just now"),  # clock skew is not "in the future"
    (timedelta(minutes=-5), "in 5 min"),
])
def test_relative(delta, text):
    assert relative(NOW - delta, NOW) == text


def test_relative_of_nothing_is_empty():
    assert relative(None, NOW) == "" and relative("garbage", NOW) == ""


def test_clock_uses_the_browser_offset_and_says_which_day():
    assert clock("2026-11-26T13:58:00Z", NOW) == "13:58"
    assert clock("2026-11-26T13:58:00Z", NOW, offset_minutes=-300) == "08:58"
    assert clock("2026-11-25T09:00:00Z", NOW) == "Yesterday 09:00"
    assert clock("2026-11-20T09:00:00Z", NOW) == "20 Nov 09:00"
    # Late evening UTC is already tomorrow two hours east: same day as "now" there.
    late = datetime(2026, 11, 26, 23, 30, tzinfo=timezone.utc)
    assert clock("2026-11-26T23:00:00Z", late, offset_minutes=120) == "01:00"
    assert clock(None, NOW) == ""


def test_seconds_and_age_wording():
    assert seconds_text(1) == "1 second" and seconds_text(0) == "0 seconds" and seconds_text(4) == "4 seconds"
    assert data_age(5) == "data on screen is less than a minute old"
    assert data_age(185) == "data on screen is 3 min old"
    assert data_age(3 * 3600 + 125) == "data on screen is 3 h 2 min old"
