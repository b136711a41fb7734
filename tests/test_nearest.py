"""app/nearest.py: the assign candidates, available first, nearest first, fewer open deliveries first."""

from hypothesis import given, settings, strategies as st

from app.geo import distance_m
from app.models import Delivery, Staff
from app.nearest import PAST_PICKUP, distance_text, nearest_order, open_counts, target

T0 = "2026-11-26T10:00:00Z"
STATUSES = ("available", "on_delivery", "on_break", "offline")


def person(i, status="available", at=None, name=None):
    where = None if at is None else {"lat": at[0], "lon": at[1], "at": T0}
    return Staff.model_validate({"id": f"S-{i}", "name": name or f"Person {i:03d}", "role": "driver",
                                 "status": status, "lastSeenAt": T0, "location": where})


def job(status="pending", pickup=(52.52, 13.40), dropoff=(52.50, 13.45)):
    point = lambda p: None if p is None else {"lat": p[0], "lon": p[1]}  # noqa: E731
    return Delivery.model_validate({"id": "D-1", "status": status, "customer": "Ada", "address": "1 Main St",
                                    "zoneId": "Z-1", "updatedAt": T0, "pickup": point(pickup),
                                    "dropoff": point(dropoff)})


def ids(candidates):
    return [c.member.id for c in candidates]


def test_the_target_is_the_pickup_until_picked_up_then_the_dropoff():
    for status in ("pending", "assigned"):
        assert target(job(status)) == (52.52, 13.40)
    for status in PAST_PICKUP:
        assert target(job(str(status))) == (52.50, 13.45)
    assert target(job(pickup=None)) is None and target(job("in_transit", dropoff=None)) is None


def test_available_people_come_first_then_by_distance():
    people = [person(1, at=(52.60, 13.40)), person(2, "on_delivery", at=(52.52, 13.40)),
              person(3, at=(52.53, 13.40)), person(4, "on_break", at=(52.70, 13.40))]
    order = nearest_order(people, (52.52, 13.40), {})
    assert ids(order) == ["S-3", "S-1", "S-2", "S-4"]
    assert round(order[0].metres) == round(distance_m((52.52, 13.40), (52.53, 13.40)))


def test_a_picked_up_delivery_ranks_from_its_dropoff():
    people = [person(1, at=(52.52, 13.40)), person(2, at=(52.50, 13.45))]
    assert ids(nearest_order(people, target(job("pending")), {})) == ["S-1", "S-2"]
    assert ids(nearest_order(people, target(job("in_transit")), {})) == ["S-2", "S-1"]


def test_at_equal_distance_fewer_open_deliveries_first():
    people = [person(1, at=(52.53, 13.40)), person(2, at=(52.53, 13.40)), person(3, at=(52.53, 13.40))]
    order = nearest_order(people, (52.52, 13.40), {"S-1": 3, "S-3": 1})
    assert ids(order) == ["S-2", "S-3", "S-1"] and [c.open_deliveries for c in order] == [0, 1, 3]


def test_people_without_a_location_come_after_by_name_and_show_no_distance():
    people = [person(1, name="Zed"), person(2, at=(52.9, 13.4)), person(3, name="Amy"),
              person(4, "offline", name="Bob"), person(5, "offline", at=(52.52, 13.40))]
    order = nearest_order(people, (52.52, 13.40), {"S-3": 5})
    assert ids(order) == ["S-2", "S-3", "S-1", "S-5", "S-4"]
    assert [c.metres is None for c in order] == [False, True, True, False, True]


def test_a_delivery_with_no_point_lists_available_people_then_the_rest_by_name():
    people = [person(1, name="Cy", at=(52.5, 13.4)), person(2, "on_break", name="Al"), person(3, name="Bo")]
    order = nearest_order(people, None, {"S-3": 9})
    assert ids(order) == ["S-3", "S-1", "S-2"] and all(c.metres is None for c in order)


def test_open_counts_count_assignees_and_skip_nobody():
    assert open_counts(["S-1", None, "S-2", "S-1"]) == {"S-1": 2, "S-2": 1}
    assert open_counts([]) == {}


def test_distance_text_steps_from_metres_to_kilometres():
    assert distance_text(None) == ""
    assert distance_text(0.4) == "0 m" and distance_text(99.4) == "99 m"
    assert distance_text(349) == "350 m" and distance_text(994) == "990 m" and distance_text(996) == "1.0 km"
    assert distance_text(1249) == "1.2 km" and distance_text(99_949) == "99.9 km"
    assert distance_text(99_960) == "100 km" and distance_text(1_234_567) == "1,235 km"


# --- the property -------------------------------------------------------------------------------------

lat = st.floats(min_value=52.3, max_value=52.7, allow_nan=False)
lon = st.floats(min_value=13.1, max_value=13.7, allow_nan=False)
point = st.tuples(lat, lon)
members = st.lists(st.tuples(st.sampled_from(STATUSES), st.none() | point, st.integers(0, 4)),
                   min_size=0, max_size=40)


@settings(max_examples=150, deadline=None)
@given(members, st.none() | point)
def test_a_farther_available_driver_never_comes_before_a_nearer_available_one(drawn, here):
    people = [person(i, status, at) for i, (status, at, _) in enumerate(drawn)]
    counts = {f"S-{i}": n for i, (_, _, n) in enumerate(drawn) if n}
    order = nearest_order(people, here, counts)
    assert sorted(ids(order)) == sorted(m.id for m in people)  # everyone, once
    available = [c for c in order if c.member.status == "available"]
    assert order[:len(available)] == available  # available first
    located = [c.metres for c in available if c.metres is not None]
    assert located == sorted(located)  # nearest first
    assert [c.metres is None for c in available] == sorted(c.metres is None for c in available)  # located first
    if here is None:
        assert all(c.metres is None for c in order)
    for a, b in zip(order, order[1:]):  # a tie in distance goes to the one with less open work
        if a.member.status == b.member.status == "available" and a.metres is not None and a.metres == b.metres:
            assert a.open_deliveries <= b.open_deliveries
