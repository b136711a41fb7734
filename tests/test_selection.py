"""app.selection: one selected delivery or staff member, told to listeners only when it changes."""

import pytest

from app.selection import DELIVERY, STAFF, Selection


def test_listeners_hear_each_change_once_with_old_and_new():
    selection, seen = Selection(), []
    selection.subscribe(lambda old, new: seen.append((old, new)))
    selection.select(DELIVERY, "D-1")
    selection.select(DELIVERY, "D-1")  # the same: no news
    selection.select(STAFF, "S-2")
    selection.clear()
    assert seen == [(None, (DELIVERY, "D-1")), ((DELIVERY, "D-1"), (STAFF, "S-2")), ((STAFF, "S-2"), None)]


def test_of_answers_only_for_the_selected_kind():
    selection = Selection()
    selection.select(STAFF, "S-2")
    assert selection.of(STAFF) == "S-2" and selection.of(DELIVERY) is None


def test_selecting_no_id_clears():
    selection = Selection()
    selection.select(DELIVERY, "D-1")
    selection.select(DELIVERY, None)
    assert selection.current is None


def test_an_unknown_kind_is_a_clear_error_and_changes_nothing():
    selection = Selection()
    selection.select(DELIVERY, "D-1")
    with pytest.raises(ValueError, match="unknown kind"):
        selection.select("zone", "Z-1")
    assert selection.current == (DELIVERY, "D-1")


def test_a_listener_that_stops_hears_nothing_more_and_may_stop_twice():
    selection, seen = Selection(), []
    stop = selection.subscribe(lambda old, new: seen.append(new))
    selection.select(DELIVERY, "D-1")
    stop()
    stop()
    selection.select(DELIVERY, "D-2")
    assert seen == [(DELIVERY, "D-1")]


def test_a_listener_may_unsubscribe_while_being_told():
    selection, seen = Selection(), []
    stops = []
    stops.append(selection.subscribe(lambda old, new: (seen.append("first"), stops[0]())))
    selection.subscribe(lambda old, new: seen.append("second"))
    selection.select(STAFF, "S-1")
    selection.select(STAFF, "S-2")
    assert seen == ["first", "second", "second"]
