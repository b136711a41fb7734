"""app/roster.py: the derived staff and zone values follow every delivery change, touching only what moved."""

import doctest
import random

from hypothesis import given, settings
from hypothesis import strategies as st

import app.roster as roster
from app.models import Delivery, DeliveryStatus, Staff
from app.roster import (
    ALERT_FACTOR,
    ANY,
    NO_ZONE,
    OpenWork,
    backlog_alert,
    by_name,
    current_delivery,
    staff_visible,
    status_counts,
    to_append,
)


def delivery(id="D-1", status="pending", zone="Z-1", to=None, eta=None):
    return Delivery(id=id, status=status, customer="Ada", address="1 Main St", zoneId=zone, assignedTo=to,
                    eta=eta, updatedAt="2026-11-26T10:00:00Z")


def member(id="S-1", name="Ada", status="available", zone="Z-1"):
    return Staff(id=id, name=name, role="driver", status=status, zoneId=zone, lastSeenAt="2026-11-26T10:00:00Z")


def test_the_module_docstring_runs():
    assert doctest.testmod(roster).failed == 0


def test_the_alert_rule_counts_nobody_as_one():
    assert not backlog_alert(pending=3, available=0)
    assert backlog_alert(pending=4, available=0)
    assert not backlog_alert(pending=3 * ALERT_FACTOR, available=3)
    assert backlog_alert(pending=3 * ALERT_FACTOR + 1, available=3)
    assert not backlog_alert(pending=0, available=0)


def test_assigning_moving_and_finishing_touch_the_old_and_new_carrier():
    work = OpenWork()
    assert work.update("D-1", delivery(status="assigned", to="S-1")).staff == {"S-1"}
    touched = work.update("D-1", delivery(status="assigned", to="S-2"))
    assert touched.staff == {"S-1", "S-2"}
    assert work.carried_by("S-1") == frozenset() and work.carried_by("S-2") == {"D-1"}
    assert work.update("D-1", delivery(status="delivered", to="S-2")).staff == {"S-2"}
    assert work.carried_by("S-2") == frozenset()
    # A finished delivery is nobody's any more: a later change to it touches no one.
    assert work.update("D-1", delivery(status="delivered", to="S-2")).staff == set()


def test_a_status_change_touches_the_carrier_even_if_the_carrier_stays():
    work = OpenWork()
    work.update("D-1", delivery(status="assigned", to="S-1"))
    assert work.update("D-1", delivery(status="in_transit", to="S-1")).staff == {"S-1"}


def test_waiting_deliveries_per_zone():
    work = OpenWork()
    work.update("D-1", delivery("D-1", zone="Z-1"))
    work.update("D-2", delivery("D-2", zone="Z-1"))
    assert work.pending_in("Z-1") == 2
    assert work.update("D-1", delivery("D-1", status="assigned", zone="Z-1", to="S-1")).zones == {"Z-1"}
    assert work.update("D-2", delivery("D-2", zone="Z-2")).zones == {"Z-1", "Z-2"}
    assert (work.pending_in("Z-1"), work.pending_in("Z-2")) == (0, 1)
    assert work.update("D-2", None).zones == {"Z-2"}
    assert work.pending_in("Z-2") == 0 and work.pending_in("Z-9") == 0


def test_reset_forgets_the_old_world():
    work = OpenWork()
    work.update("D-1", delivery(status="assigned", to="S-1"))
    work.reset([delivery("D-2", zone="Z-3")])
    assert work.carried_by("S-1") == frozenset() and work.pending_in("Z-3") == 1


OPEN = [s for s in DeliveryStatus if s.value not in ("delivered", "failed", "cancelled")]


ETAS = [None, "2026-11-26T10:05:00Z", "2026-11-26T10:20:00Z", "2026-11-26T11:00:00Z"]


def shown_work(state: dict, staff_id: str):
    """What a staff row and dot show of a person's work, from scratch: count, current id and status."""
    carried = [d for d in state.values() if d.assignedTo == staff_id and d.status not in
               (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.CANCELLED)]
    current = current_delivery(carried)
    return len(carried), current.id if current else None, str(current.status) if current else None


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(list(DeliveryStatus)),
                          st.sampled_from([None, "S-1", "S-2", "S-3"]), st.sampled_from(["Z-1", "Z-2"]),
                          st.sampled_from(ETAS)),
                max_size=40))
def test_incremental_updates_equal_a_rebuild(steps):
    """However deliveries change, the index matches one built from scratch, every person's current
    delivery is rule 3's, and every staff row or zone card whose derived value changed was reported
    as touched."""
    work, state = OpenWork(), {}
    people = ("S-1", "S-2", "S-3")
    for number, status, to, zone, eta in steps:
        did = f"D-{number}"
        before = ({s: (work.carried_by(s), shown_work(state, s)) for s in people},
                  {z: work.pending_in(z) for z in ("Z-1", "Z-2")})
        new = None if status is DeliveryStatus.CANCELLED and number == 0 else delivery(did, status.value, zone, to, eta)
        if new is None:
            state.pop(did, None)
        else:
            state[did] = new
        touched = work.update(did, new)
        after = ({s: (work.carried_by(s), shown_work(state, s)) for s in people},
                 {z: work.pending_in(z) for z in ("Z-1", "Z-2")})
        assert {s for s in after[0] if after[0][s] != before[0][s]} <= touched.staff
        assert {z for z in after[1] if after[1][z] != before[1][z]} <= touched.zones
        assert {s: work.current(s) for s in people} == {s: shown_work(state, s)[1] for s in people}
    fresh = OpenWork()
    fresh.reset(state.values())
    for s in people:
        assert work.carried_by(s) == fresh.carried_by(s) and work.current(s) == fresh.current(s)
        assert work.carried_count(s) == len(fresh.carried_by(s))
    for z in ("Z-1", "Z-2"):
        assert work.pending_in(z) == fresh.pending_in(z)


def test_a_change_that_leaves_what_a_row_shows_touches_no_one():
    work = OpenWork()
    work.update("D-1", delivery("D-1", status="in_transit", to="S-1", eta="2026-11-26T10:05:00Z"))
    work.update("D-2", delivery("D-2", status="assigned", to="S-1", eta="2026-11-26T10:20:00Z"))
    assert work.current("S-1") == "D-1"
    assert work.update("D-2", delivery("D-2", status="assigned", to="S-1", eta="2026-11-26T11:00:00Z")).staff == set()
    assert work.update("D-2", delivery("D-2", status="in_transit", to="S-1", eta="2026-11-26T10:01:00Z")).staff \
        == {"S-1"}
    assert work.current("S-1") == "D-2"
    assert work.update("D-2", delivery("D-2", status="delivered", to="S-1")).staff == {"S-1"}
    assert work.current("S-1") == "D-1"
    work.update("D-1", None)
    assert work.current("S-1") is None and work.carried_by("S-1") == frozenset()


def test_current_delivery_is_the_most_advanced_then_the_soonest():
    a = delivery("D-1", "assigned", eta="2026-11-26T10:00:00Z", to="S-1")
    b = delivery("D-2", "in_transit", eta="2026-11-26T12:00:00Z", to="S-1")
    c = delivery("D-3", "in_transit", eta="2026-11-26T11:00:00Z", to="S-1")
    d = delivery("D-4", "in_transit", eta=None, to="S-1")
    items = [a, b, c, d]
    random.Random(1).shuffle(items)
    assert current_delivery(items).id == "D-3"
    assert current_delivery([a, d]).id == "D-4"
    assert current_delivery([]) is None


def test_filters_and_counts():
    people = [member("S-1", status="available", zone="Z-1"), member("S-2", status="on_break", zone="Z-2"),
              member("S-3", status="available", zone=None)]
    assert [m.id for m in people if staff_visible(m, "available", ANY)] == ["S-1", "S-3"]
    assert [m.id for m in people if staff_visible(m, ANY, "Z-2")] == ["S-2"]
    assert [m.id for m in people if staff_visible(m, ANY, NO_ZONE)] == ["S-3"]
    assert status_counts(people) == {"available": 2, "on_delivery": 0, "on_break": 1, "offline": 0}
    assert status_counts(people, "Z-1") == {"available": 1, "on_delivery": 0, "on_break": 0, "offline": 0}


def test_staff_sort_by_name_ignoring_case():
    people = [member("S-2", "bea"), member("S-1", "Ada"), member("S-3", "Bea")]
    assert [m.id for m in sorted(people, key=by_name)] == ["S-1", "S-2", "S-3"]


@given(st.lists(st.integers(0, 30), unique=True), st.lists(st.integers(0, 30), unique=True))
def test_appending_what_to_append_leaves_the_list_in_the_wanted_order(placed, wanted):
    placed, wanted = [str(i) for i in placed], [str(i) for i in wanted]
    shown = [i for i in placed if i in wanted]  # the rows of people who left are gone; placed still names them
    for row in to_append(placed, wanted):
        if row in shown:
            shown.remove(row)
        shown.append(row)
    assert shown == wanted


def test_a_roster_drawn_in_chunks_appends_only_the_new_rows():
    assert to_append(["a", "b"], ["a", "b", "c", "d"]) == ["c", "d"]
    assert to_append(["a", "c"], ["a", "b", "c"]) == ["a", "b", "c"]  # a row drawn early, in its place
