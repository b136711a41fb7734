"""app/models.py: the wire schema is strict (PROTOCOL.md 5): no coercion, bounded, finite, and partial changes stay partial."""

from __future__ import annotations

import typing

import pytest
from pydantic import ValidationError

from app.models import (
    EVENT_TYPES,
    FINAL_STATUSES,
    MAX_ID_CHARS,
    MAX_TEXT_CHARS,
    SEQ_LIMIT,
    Delivery,
    DeliveryChanges,
    DeliveryStatus,
    DeliveryUpdate,
    Event,
    Location,
    Point,
    Welcome,
    ZoneChanges,
    is_open,
    sent_fields,
)

T0 = "2026-11-26T10:00:00Z"
DELIVERY = {"id": "D-1", "status": "pending", "customer": "Ada", "address": "1 Quay St", "zoneId": "Z-1",
            "updatedAt": T0}


def test_a_delivery_takes_its_defaults_and_keeps_raw_timestamps():
    delivery = Delivery.model_validate(DELIVERY | {"eta": "2026-11-26T10:30:00+01:00"})
    assert delivery.priority == "normal" and delivery.assignedTo is None and delivery.pickup is None
    assert delivery.eta == "2026-11-26T10:30:00+01:00", "the text as received (data-value)"
    assert delivery.wire()["eta"] == delivery.eta and delivery.wire()["assignedTo"] is None


@pytest.mark.parametrize("field, value", [
    ("seq", "7"), ("seq", -1), ("seq", SEQ_LIMIT), ("seq", 1.5), ("resumed", "yes"), ("resumed", 1),
])
def test_no_coercion_and_bounded_numbers(field, value):
    with pytest.raises(ValidationError):
        Welcome.model_validate({"seq": 1, "resumed": False} | {field: value})


@pytest.mark.parametrize("changes", [
    {"id": ""}, {"id": "x" * (MAX_ID_CHARS + 1)}, {"customer": "x" * (MAX_TEXT_CHARS + 1)},
    {"status": "lost"}, {"eta": "tomorrow"}, {"updatedAt": 1764151200},
])
def test_bad_values_are_refused(changes):
    with pytest.raises(ValidationError):
        Delivery.model_validate(DELIVERY | changes)


@pytest.mark.parametrize("place", [{"lat": 91, "lon": 0}, {"lat": 0, "lon": -181}, {"lat": float("nan"), "lon": 0},
                                   {"lat": 0, "lon": float("inf")}])
def test_places_are_finite_and_on_the_globe(place):
    with pytest.raises(ValidationError):
        Point.model_validate(place)


def test_a_location_heading_is_a_compass_bearing():
    assert Location.model_validate({"lat": 1, "lon": 2, "heading": 360, "at": T0}).heading == 360
    with pytest.raises(ValidationError):
        Location.model_validate({"lat": 1, "lon": 2, "heading": 361, "at": T0})


def test_models_are_frozen_and_ignore_extra_fields():
    delivery = Delivery.model_validate(DELIVERY | {"colour": "red"})
    assert not hasattr(delivery, "colour")
    with pytest.raises(ValidationError):
        delivery.status = "delivered"


def test_partial_changes_carry_only_what_was_sent_an_explicit_null_included():
    changes = DeliveryChanges.model_validate({"assignedTo": None, "status": "assigned"})
    assert sent_fields(changes) == {"assignedTo": None, "status": "assigned"}
    assert changes.model_dump() == {"assignedTo": None, "status": "assigned"}
    assert ZoneChanges.model_validate({}).model_dump() == {}


def test_closed_statuses_are_the_final_three():
    assert FINAL_STATUSES == {"delivered", "failed", "cancelled"}
    assert [s for s in DeliveryStatus if is_open(s)] == ["pending", "assigned", "picked_up", "in_transit"]
    assert not is_open("delivered") and is_open("pending")


def test_the_event_type_names_match_the_event_union():
    names = [typing.get_args(model.model_fields["type"].annotation)[0] for model in typing.get_args(Event)]
    assert tuple(names) == EVENT_TYPES
    assert DeliveryUpdate.model_validate({"deliveryId": "D-1", "changes": {}}).type == "delivery_update"
