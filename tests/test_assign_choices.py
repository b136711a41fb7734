"""app/assign_choices.py: the assign combobox's options, filtered by name, id or zone, by name order."""

import doctest

import app.assign_choices as module
from app.assign_choices import assign_choices
from app.models import Staff


def person(i, name, zone=None, status="available"):
    return Staff(id=f"S-{i}", name=name, role="driver", status=status, zoneId=zone, lastSeenAt="2026-11-26T10:00:00Z")


PEOPLE = [person(1, "Grace Okafor", "Z-1"), person(2, "dev silva", "Z-2", "on_delivery"), person(3, "Ada Brooks")]
ZONES = {"Z-1": "Harbour", "Z-2": "Old Town"}


def test_doctests_hold():
    assert doctest.testmod(module).failed == 0


def test_no_query_lists_unassigned_then_everyone_by_name():
    assert [c.value for c in assign_choices(PEOPLE, ZONES, "")] == ["", "S-3", "S-2", "S-1"]


def test_every_word_must_match_name_id_or_zone():
    assert [c.value for c in assign_choices(PEOPLE, ZONES, "old town")] == ["S-2"]
    assert [c.value for c in assign_choices(PEOPLE, ZONES, "S-1")] == ["S-1"]
    assert [c.value for c in assign_choices(PEOPLE, ZONES, "grace z-1")] == ["S-1"]
    assert [c.value for c in assign_choices(PEOPLE, ZONES, "unass")] == [""]
    assert assign_choices(PEOPLE, ZONES, "nobody here") == []


def test_each_option_says_status_and_zone():
    choice = assign_choices(PEOPLE, ZONES, "silva")[0]
    assert (choice.label, choice.detail) == ("dev silva (S-2)", "On delivery · Old Town (Z-2)")
    assert assign_choices(PEOPLE, ZONES, "ada")[0].detail == "Available · No zone"
