"""app/eta.py: an ETA reads right for people in any time zone, and "late" means exactly late."""

import doctest
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import app.eta as eta
from app.eta import NO_ETA, countdown, duration, eta_text, is_late, timestamp
from app.models import is_open

NOW = datetime(2026, 11, 26, 14, 0, tzinfo=timezone.utc)


def at(minutes: float) -> str:
    return (NOW + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_doctests_hold():
    assert doctest.testmod(eta).failed == 0


@pytest.mark.parametrize("seconds, text", [
    (0, "1 min"), (29, "1 min"), (60, "1 min"), (12 * 60, "12 min"), (59 * 60, "59 min"),
    (60 * 60, "1 h"), (65 * 60, "1 h 5 min"), (-65 * 60, "1 h 5 min"), (24 * 3600, "1 d"),
    (27 * 3600, "1 d 3 h"),
])
def test_durations_are_whole_minutes_hours_and_days(seconds, text):
    assert duration(seconds) == text


@pytest.mark.parametrize("minutes, text", [
    (12, "in 12 min"), (0.5, "due now"), (0, "due now"), (1, "in 1 min"), (125, "in 2 h 5 min"),
    (-0.5, "<1 min late"), (-1, "1 min late"), (-3, "3 min late"), (-90, "1 h 30 min late"),
])
def test_relative_text_for_an_open_delivery(minutes, text):
    assert eta_text(at(minutes), open_=True, now=NOW).relative == text
    assert countdown(minutes * 60) == text


def test_an_open_delivery_is_late_only_once_its_eta_has_passed():
    assert eta_text(at(-0.1), open_=True, now=NOW).late
    assert not eta_text(at(0), open_=True, now=NOW).late
    assert not eta_text(at(5), open_=True, now=NOW).late


def test_a_closed_delivery_is_never_late_and_has_no_relative_text():
    text = eta_text(at(-30), open_=False, now=NOW)
    assert (text.late, text.relative, text.time) == (False, "", "13:30")
    assert countdown(-1800, open_=False) == ""


@pytest.mark.parametrize("offset, clock", [(0, "14:12"), (60, "15:12"), (-300, "09:12"), (330, "19:42")])
def test_the_clock_time_is_local_to_the_browser_offset(offset, clock):
    text = eta_text(at(12), open_=True, now=NOW, offset_minutes=offset)
    assert text.time == clock
    assert text.relative == "in 12 min"  # relative text does not depend on the zone


def test_an_eta_on_another_local_day_says_which():
    assert eta_text(at(11 * 60), open_=True, now=NOW).time == "27 Nov 01:00"
    assert eta_text(at(-15 * 60), open_=False, now=NOW).time == "Yesterday 23:00"
    # Midnight falls differently in another zone: 01:00 UTC on the 27th is still the 26th in New York.
    assert eta_text(at(11 * 60), open_=True, now=NOW, offset_minutes=-300).time == "20:00"


def test_the_title_is_the_whole_date():
    assert eta_text(at(12), open_=True, now=NOW, offset_minutes=60).title == "Thu 26 Nov 2026, 15:12"


@pytest.mark.parametrize("raw", [None, "", "soon", "2026-13-40T00:00:00Z"])
def test_missing_or_broken_input_gives_empty_text(raw):
    assert eta_text(raw, open_=True, now=NOW) == NO_ETA
    assert timestamp(raw) is None


def test_offsets_in_the_text_are_honoured():
    assert timestamp("2026-11-26T15:00:00+01:00") == NOW.timestamp()
    assert timestamp("2026-11-26T14:00:00") == NOW.timestamp()  # no offset: UTC


def test_is_late_on_timestamps_matches_the_text():
    now_ts = NOW.timestamp()
    assert is_late(now_ts - 1, True, now_ts)
    assert not is_late(now_ts - 1, False, now_ts)
    assert not is_late(None, True, now_ts)
    assert not is_late(now_ts, True, now_ts)


@pytest.mark.parametrize("status, open_", [
    ("pending", True), ("assigned", True), ("picked_up", True), ("in_transit", True),
    ("delivered", False), ("failed", False), ("cancelled", False),
])
def test_open_statuses(status, open_):
    assert is_open(status) is open_


@settings(max_examples=300, deadline=None)
@given(st.integers(-3 * 86400, 3 * 86400), st.integers(0, 86400 * 2), st.sampled_from([0, 60, -300, 330, 840, -720]),
       st.booleans())
def test_cached_words_match_a_fresh_computation(eta_offset_s, now_s, offset, open_):
    """The string path (cached parse and words) reads the same as the datetime path, which computes afresh."""
    now = datetime(2026, 11, 26, tzinfo=timezone.utc) + timedelta(seconds=now_s)
    moment = now + timedelta(seconds=eta_offset_s)
    text = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    fresh = eta_text(moment.replace(microsecond=0), open_=open_, now=now, offset_minutes=offset)
    assert eta_text(text, open_=open_, now=now, offset_minutes=offset) == fresh
    assert eta_text(text, open_=open_, now=now, offset_minutes=offset) == fresh  # now from the cache
    assert timestamp(text) == moment.replace(microsecond=0).timestamp()


def test_unparseable_text_is_cached_as_nothing():
    assert eta_text("soon", open_=True, now=NOW) == NO_ETA and timestamp("soon") is None
    assert eta_text("soon", open_=True, now=NOW) == NO_ETA
