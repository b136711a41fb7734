"""app/filters.py: the table shows what the filters say, in the order the sort says, counted right."""

import doctest
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import app.filters as filters_module
from app.filters import (
    STAFF_PREFIX,
    UNASSIGNED,
    Filters,
    count,
    facts,
    matches,
    natural,
    order_key,
    staff_choice,
)
from app.models import Delivery

NOW = datetime(2026, 11, 26, 14, 0, tzinfo=timezone.utc)
NOW_TS = NOW.timestamp()


def delivery(id="D-1", status="pending", customer="Ada Brooks", address="12 Mill Lane, North", zone="Z-1",
             assignee=None, priority="normal", eta_minutes=30):
    eta = None if eta_minutes is None else (NOW + timedelta(minutes=eta_minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Delivery(id=id, status=status, customer=customer, address=address, zoneId=zone, assignedTo=assignee,
                    priority=priority, eta=eta, updatedAt="2026-11-26T13:00:00Z")


def shown(item, **kw):
    return matches(facts(item), Filters(**kw), NOW_TS)


def test_doctests_hold():
    assert doctest.testmod(filters_module).failed == 0


# --- filters -------------------------------------------------------------------------------------


def test_no_filter_shows_everything():
    assert shown(delivery()) and not Filters().active


@pytest.mark.parametrize("status, wanted, expect", [
    ("pending", "pending", True), ("pending", "assigned", False),
    ("in_transit", "open", True), ("delivered", "open", False), ("cancelled", "open", False),
])
def test_status_filter_one_status_or_every_open_one(status, wanted, expect):
    assert shown(delivery(status=status, assignee="S-1" if status != "pending" else None), status=wanted) is expect


def test_late_filter_keeps_open_deliveries_whose_eta_has_passed():
    assert shown(delivery(status="in_transit", assignee="S-1", eta_minutes=-5), status="late")
    assert not shown(delivery(status="in_transit", assignee="S-1", eta_minutes=5), status="late")
    assert not shown(delivery(status="delivered", assignee="S-1", eta_minutes=-5), status="late")
    assert not shown(delivery(eta_minutes=None), status="late")


def test_zone_and_priority_filters():
    item = delivery(zone="Z-2", priority="urgent")
    assert shown(item, zone="Z-2") and not shown(item, zone="Z-1")
    assert shown(item, priority="urgent") and not shown(item, priority="high")


def test_assignee_filter_anyone_unassigned_or_one_person():
    free, taken = delivery(), delivery(assignee="S-07", status="assigned")
    assert shown(free, assignee=UNASSIGNED) and not shown(taken, assignee=UNASSIGNED)
    assert shown(taken, assignee=staff_choice("S-07")) and not shown(free, assignee=staff_choice("S-07"))
    assert not shown(taken, assignee=staff_choice("S-08"))


def test_a_staff_member_whose_id_is_none_is_not_the_unassigned_choice():
    item = delivery(assignee="none", status="assigned")
    assert not shown(item, assignee=UNASSIGNED)
    assert shown(item, assignee=STAFF_PREFIX + "none")


def test_filters_combine_with_and():
    item = delivery(zone="Z-2", priority="high", status="pending")
    assert shown(item, zone="Z-2", priority="high", status="pending")
    assert not shown(item, zone="Z-2", priority="high", status="assigned")


# --- search --------------------------------------------------------------------------------------


@pytest.mark.parametrize("query, expect", [
    ("ada", True), ("ADA", True), ("mill", True), ("d-1", True), ("north", True), ("  ", True),
    ("ada mill", True), ("mill ada", True), ("ada zoe", False), ("Z-1", False), ("S-", False),
])
def test_search_finds_every_word_in_id_customer_or_address(query, expect):
    assert shown(delivery(), query=query) is expect


def test_search_is_case_insensitive_beyond_ascii():
    item = delivery(customer="Élodie Straße")
    assert shown(item, query="ÉLODIE STRASSE")  # casefold: ß is ss
    assert not shown(item, query="elodie")  # accents are kept, not stripped


def test_search_text_is_literal_not_a_pattern():
    assert shown(delivery(customer="<img src=x onerror=alert(1)>"), query="<img")
    assert not shown(delivery(), query=".*")


# --- sort ----------------------------------------------------------------------------------------


def order(items, **kw):
    f = Filters(**kw)
    return [d.id for d in sorted(items, key=lambda d: order_key(facts(d), f))]


def test_eta_sort_puts_open_deliveries_first_soonest_first_then_no_eta_then_closed():
    items = [
        delivery("D-1", eta_minutes=30), delivery("D-2", eta_minutes=-10), delivery("D-3", eta_minutes=None),
        delivery("D-4", status="delivered", assignee="S-1", eta_minutes=-60), delivery("D-5", eta_minutes=5),
    ]
    assert order(items) == ["D-2", "D-5", "D-1", "D-3", "D-4"]
    assert order(items, descending=True) == ["D-1", "D-5", "D-2", "D-3", "D-4"]


def test_priority_sort_is_urgent_high_normal_then_eta():
    items = [delivery("D-1", priority="normal", eta_minutes=1), delivery("D-2", priority="urgent", eta_minutes=50),
             delivery("D-3", priority="high"), delivery("D-4", priority="urgent", eta_minutes=10)]
    assert order(items, sort="priority") == ["D-4", "D-2", "D-3", "D-1"]
    assert order(items, sort="priority", descending=True) == ["D-1", "D-3", "D-4", "D-2"]


def test_status_sort_follows_the_lifecycle():
    statuses = ["cancelled", "in_transit", "pending", "delivered", "assigned", "failed", "picked_up"]
    items = [delivery(f"D-{i}", status=s, assignee=None if s == "pending" else "S-1") for i, s in enumerate(statuses)]
    by_status = {d.id: d.status for d in items}
    assert [by_status[i] for i in order(items, sort="status")] == [
        "pending", "assigned", "picked_up", "in_transit", "delivered", "failed", "cancelled"]


def test_ties_break_by_natural_id():
    items = [delivery(f"D-{n}", eta_minutes=10) for n in (10, 2, 1)]
    assert order(items) == ["D-1", "D-2", "D-10"]
    assert natural("D-2") < natural("D-10") and natural("A") < natural("B-1")


def test_every_order_key_is_unique_even_for_ids_that_read_alike():
    a, b = facts(delivery("D-01")), facts(delivery("D-1"))
    assert order_key(a, Filters()) != order_key(b, Filters())


# --- counts --------------------------------------------------------------------------------------


def test_counts_per_status_open_and_late():
    items = [facts(d) for d in (
        delivery("D-1"), delivery("D-2", eta_minutes=-5), delivery("D-3", status="delivered", assignee="S-1"),
        delivery("D-4", status="in_transit", assignee="S-1", eta_minutes=-1),
    )]
    counts = count(items, NOW_TS)
    assert (counts["all"], counts["open"], counts["late"]) == (4, 3, 2)
    assert (counts["pending"], counts["in_transit"], counts["delivered"], counts["failed"]) == (2, 1, 1, 0)


# --- prefs ---------------------------------------------------------------------------------------


def test_filters_survive_a_round_trip_through_prefs():
    f = Filters(status="late", zone="Z-3", assignee=staff_choice("S-1"), priority="high", query="mill",
                sort="priority", descending=True)
    assert Filters.from_prefs(f.as_prefs()) == f
    assert f.active and f.with_(status="").status == ""


@pytest.mark.parametrize("junk", [None, 3, "x", [], {"status": "flying", "sort": "colour", "descending": "yes",
                                                     "zone": 4, "priority": "meh", "query": None}])
def test_junk_prefs_fall_back_to_defaults(junk):
    assert Filters.from_prefs(junk) == Filters()
