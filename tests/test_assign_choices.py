"""app/assign_choices.py: the assign combobox's options, filtered by name, id or zone, nearest available first."""

import doctest

import app.assign_choices as module
from app.assign_choices import assign_choices
from app.models import Staff

HERE = (52.52, 13.40)


def person(i, name, zone=None, status="available", at=None):
    where = None if at is None else {"lat": at[0], "lon": at[1], "at": "2026-11-26T10:00:00Z"}
    return Staff.model_validate({"id": f"S-{i}", "name": name, "role": "driver", "status": status, "zoneId": zone,
                                 "lastSeenAt": "2026-11-26T10:00:00Z", "location": where})


PEOPLE = [person(1, "Grace Okafor", "Z-1"), person(2, "dev silva", "Z-2", "on_delivery"), person(3, "Ada Brooks")]
ZONES = {"Z-1": "Harbour", "Z-2": "Old Town"}
CITY = [person(1, "Grace Okafor", "Z-1", at=(52.56, 13.40)), person(2, "dev silva", "Z-2", "on_delivery", at=HERE),
        person(3, "Ada Brooks", at=(52.5236, 13.40)), person(4, "Bo Kim", "Z-2"),
        person(5, "Cy Pan", "Z-1", at=(52.5236, 13.40))]


def values(choices):
    return [c.value for c in choices]


def test_doctests_hold():
    assert doctest.testmod(module).failed == 0


def test_without_points_unassigned_then_available_people_by_name_then_the_rest():
    assert values(assign_choices(PEOPLE, ZONES, "")) == ["", "S-3", "S-1", "S-2"]


def test_with_a_point_available_people_nearest_first_then_fewer_open_deliveries():
    choices = assign_choices(CITY, ZONES, "", point=HERE, counts={"S-3": 2, "S-5": 1})
    assert values(choices) == ["", "S-5", "S-3", "S-1", "S-4", "S-2"]
    assert [round(c.metres or 0) for c in choices[1:4]] == [400, 400, 4448]
    assert choices[4].metres is None


def test_each_option_says_status_distance_when_known_and_zone():
    by_id = {c.value: c for c in assign_choices(CITY, ZONES, "", point=HERE)}
    assert (by_id["S-2"].label, by_id["S-2"].detail) == ("dev silva (S-2)", "On delivery · 0 m · Old Town (Z-2)")
    assert by_id["S-1"].detail == "Available · 4.4 km · Harbour (Z-1)"
    assert by_id["S-3"].detail == "Available · 400 m · No zone"
    assert by_id["S-4"].detail == "Available · Old Town (Z-2)"  # no location: no distance
    assert by_id[""].detail == "Nobody"


def test_every_word_must_match_name_id_or_zone_and_the_matches_keep_the_order():
    assert values(assign_choices(PEOPLE, ZONES, "old town")) == ["S-2"]
    assert values(assign_choices(PEOPLE, ZONES, "S-1")) == ["S-1"]
    assert values(assign_choices(PEOPLE, ZONES, "grace z-1")) == ["S-1"]
    assert values(assign_choices(PEOPLE, ZONES, "unass")) == [""]
    assert assign_choices(PEOPLE, ZONES, "nobody here") == []
    assert values(assign_choices(CITY, ZONES, "harbour", point=HERE)) == ["S-5", "S-1"]
