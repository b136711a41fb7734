"""app/frames.py: untrusted text in, a typed message, an Unknown or a Rejected out; never an exception."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.frames import (
    INVALID,
    NOT_JSON,
    PREVIEW_CHARS,
    TOO_LARGE,
    Rejected,
    Unknown,
    decode,
    encode_auth,
    encode_ping,
)
from app.models import (
    MAX_FRAME_BYTES,
    Auth,
    DeliveryUpdate,
    NewCommunication,
    Pong,
    Reauthed,
    StaffLocationUpdate,
    StaffStatusUpdate,
    Welcome,
    ZoneUpdate,
)

COMM = {
    "id": "C-88", "from": "S-07", "to": "coordinators", "deliveryId": "D-1042",
    "body": "Customer not home, left at reception", "sentAt": "2026-11-26T13:58:00Z",
}


def frame(**fields) -> str:
    return json.dumps(fields)


def test_the_four_protocol_event_examples_decode_to_their_models():
    assert isinstance(decode(frame(type="delivery_update", seq=101, deliveryId="D-1042",
                                   changes={"status": "in_transit", "assignedTo": "S-07",
                                            "eta": "2026-11-26T14:05:00Z"})), DeliveryUpdate)
    assert isinstance(decode(frame(type="staff_status_update", seq=102, staffId="S-07", status="on_break")),
                      StaffStatusUpdate)
    assert isinstance(decode(frame(type="zone_update", seq=103, zoneId="Z-2",
                                   changes={"status": "busy", "activeDeliveries": 14})), ZoneUpdate)
    assert isinstance(decode(frame(type="new_communication", seq=104, communication=COMM)), NewCommunication)


def test_welcome_and_pong_decode():
    assert decode(frame(type="welcome", seq=5, resumed=True)) == Welcome(seq=5, resumed=True)
    assert decode(frame(type="pong", t=12.5)) == Pong(t=12.5)


def test_unknown_type_is_forward_compatible_not_an_error():
    assert decode(frame(type="route_update", seq=9, anything={"x": 1})) == Unknown("route_update")


@pytest.mark.parametrize("tag", [5, None, True, ["delivery_update"], "x" * 65, ""])
def test_a_type_that_is_not_a_short_string_is_rejected_not_unknown(tag):
    result = decode(frame(type=tag))
    assert isinstance(result, Rejected) and result.reason == INVALID


def test_missing_type_is_rejected():
    result = decode(frame(seq=1))
    assert result.reason == INVALID and "type" in result.detail


@pytest.mark.parametrize("text", ["not json", "{", "", "{'type': 'pong'}", "\ud800"])
def test_text_that_is_not_json_is_rejected_as_not_json(text):
    result = decode(text)
    assert isinstance(result, Rejected) and result.reason == NOT_JSON


@pytest.mark.parametrize("text", ["[1, 2]", '"pong"', "42", "null"])
def test_json_that_is_not_an_object_is_rejected_as_invalid(text):
    assert decode(text).reason == INVALID


@pytest.mark.parametrize(
    "fields, where",
    [
        (dict(type="staff_status_update", seq=1, staffId="S-1", status="sleeping"), "status"),  # unknown enum
        (dict(type="staff_status_update", seq="one", staffId="S-1", status="offline"), "seq"),  # wrong type
        (dict(type="staff_status_update", seq=-1, staffId="S-1", status="offline"), "seq"),  # negative seq
        (dict(type="delivery_update", seq=1, deliveryId="D" * 65, changes={}), "deliveryId"),  # id > 64
        (dict(type="delivery_update", seq=1, deliveryId="D-1", changes={"priority": "asap"}), "priority"),
        (dict(type="delivery_update", seq=1, deliveryId="D-1", changes={"eta": "tomorrow"}), "eta"),
        (dict(type="new_communication", seq=1, communication={**COMM, "body": "x" * 2001}), "body"),
        (dict(type="welcome", seq=1), "resumed"),  # missing field
    ],
)
def test_schema_violations_are_rejected_with_where_and_what(fields, where):
    result = decode(frame(**fields))
    assert isinstance(result, Rejected) and result.reason == INVALID
    assert where in result.detail


def test_a_body_of_exactly_2000_characters_and_an_id_of_64_are_accepted():
    assert isinstance(decode(frame(type="new_communication", communication={**COMM, "body": "x" * 2000})),
                      NewCommunication)
    assert isinstance(decode(frame(type="staff_status_update", staffId="S" * 64, status="offline")),
                      StaffStatusUpdate)


def test_frame_over_64_kib_is_rejected_before_parsing():
    body = "x" * (MAX_FRAME_BYTES + 1)  # not even JSON: it must not get as far as the parser
    result = decode(body)
    assert result.reason == TOO_LARGE and str(MAX_FRAME_BYTES) in result.detail
    assert result.preview == body[:PREVIEW_CHARS]


def test_frame_size_is_measured_in_utf8_bytes_not_characters():
    # Raw UTF-8 text (json.dumps would escape the euro sign to 6 ASCII bytes).
    under = '{"type":"route_update","note":"' + "€" * 20_000 + '"}'  # ~60,000 bytes
    assert decode(under) == Unknown("route_update")
    over = '{"type":"route_update","note":"' + "€" * 22_000 + '"}'  # ~66,000 bytes, 22,000 characters
    assert len(over) < MAX_FRAME_BYTES < len(over.encode())
    assert decode(over).reason == TOO_LARGE


def test_frame_of_exactly_64_kib_is_parsed():
    pad = MAX_FRAME_BYTES - len(frame(type="route_update", pad=""))
    text = frame(type="route_update", pad="x" * pad)
    assert len(text.encode()) == MAX_FRAME_BYTES
    assert decode(text) == Unknown("route_update")


def test_html_in_text_fields_stays_plain_data():
    evil = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    message = decode(frame(type="new_communication", seq=1, communication={**COMM, "body": evil, "to": "<b>"}))
    assert message.communication.body == evil  # kept verbatim, neither escaped nor stripped
    assert message.communication.to == "<b>"


def test_rejection_preview_is_the_first_120_characters_verbatim():
    text = "<script>" + "y" * 500
    result = decode(text)
    assert result.preview == text[:120] and len(result.preview) == PREVIEW_CHARS


def test_rejection_detail_is_one_short_line():
    result = decode(frame(type="delivery_update", seq=1, deliveryId="D-1",
                          changes={"status": "x\ny", "priority": "z", "eta": "w"}))
    assert "\n" not in result.detail and len(result.detail) <= 200
    assert "more" in result.detail  # several errors: the first, and how many others


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from(["delivery_update", "welcome", "x", "D-1"]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(["type", "seq", "changes", "deliveryId", "status", "resumed"]), inner,
                      max_size=4),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=80), JSONISH.map(json.dumps)))
def test_decode_never_raises(text):
    result = decode(text)
    assert result is not None


def test_decode_of_a_non_string_does_not_raise():
    assert decode(b'{"type":"pong","t":1}').reason == INVALID  # type: ignore[arg-type]


def test_encode_auth_carries_token_resume_point_and_epoch():
    assert json.loads(encode_auth("tok", 41, "e-7")) == {"type": "auth", "token": "tok", "resumeFrom": 41,
                                                        "epoch": "e-7"}
    first = json.loads(encode_auth("tok", None))
    assert first["resumeFrom"] is None and first["epoch"] is None
    assert Auth.model_validate_json(encode_auth("tok", 41, "e-7")).epoch == "e-7"  # the stub's own schema


def test_encode_ping_carries_the_time_to_echo():
    assert json.loads(encode_ping(1234.5)) == {"type": "ping", "t": 1234.5}


# --- PROTOCOL v2: the new frames, strict values ---------------------------------------------------

LOCATION = {"lat": 52.5201, "lon": 13.4049, "heading": 90, "speed": 8.3, "at": "2026-11-26T13:58:02Z"}


def test_the_v2_frames_decode_to_their_models():
    located = decode(frame(type="staff_location_update", seq=105, staffId="S-07", location=LOCATION))
    assert isinstance(located, StaffLocationUpdate) and located.location.lat == 52.5201
    assert decode(frame(type="reauthed", expiresAt="2026-11-26T20:00:00Z")) == Reauthed(
        expiresAt="2026-11-26T20:00:00Z")
    assert decode(frame(type="welcome", seq=5, epoch="e-2", resumed=False)).epoch == "e-2"


def _deep(depth: int) -> str:
    return '{"type": "delivery_update", "seq": 1, "deliveryId": "D-1", "changes": ' + "[" * depth + "]" * depth + "}"


STRICT_CASES = {
    "seq as a string": frame(type="staff_status_update", seq="7", staffId="S-1", status="on_break"),
    "resumed as a string": frame(type="welcome", seq=7, resumed="yes"),
    "resumed as a number": frame(type="welcome", seq=7, resumed=1),
    "seq as a float": frame(type="staff_status_update", seq=7.0, staffId="S-1", status="on_break"),
    "NaN in a pong": '{"type": "pong", "t": NaN}',
    "Infinity in a pong": '{"type": "pong", "t": Infinity}',
    "-Infinity in a location": frame(type="staff_location_update", seq=1, staffId="S-1",
                                     location={**LOCATION, "lat": 0}).replace('"lat": 0', '"lat": -Infinity'),
    "NaN in a seq": '{"type": "welcome", "seq": NaN, "resumed": true}',
    "NaN in a count": frame(type="zone_update", seq=1, zoneId="Z-1",
                            changes={"activeDeliveries": 0}).replace(": 0}", ": NaN}"),
    "seq of 2**53": frame(type="staff_status_update", seq=2**53, staffId="S-1", status="on_break"),
    "negative seq": frame(type="staff_status_update", seq=-1, staffId="S-1", status="on_break"),
    "lat of 91": frame(type="staff_location_update", seq=1, staffId="S-1", location={**LOCATION, "lat": 91}),
    "lon of -180.5": frame(type="staff_location_update", seq=1, staffId="S-1", location={**LOCATION, "lon": -180.5}),
    "1001-character zone name": frame(type="zone_update", seq=1, zoneId="Z-1", changes={"name": "n" * 1001}),
    "1001-character customer": frame(type="delivery_update", seq=1, deliveryId="D-1",
                                     changes={"customer": "c" * 1001}),
    "epoch of 65 characters": frame(type="welcome", seq=1, epoch="e" * 65, resumed=False),
    "10,000-deep nesting": _deep(10_000),
    "10,000-deep nesting at the top": "[" * 10_000 + "]" * 10_000,
}


@pytest.mark.parametrize("text", list(STRICT_CASES.values()), ids=list(STRICT_CASES))
def test_values_outside_the_protocol_limits_are_rejected_never_coerced(text):
    result = decode(text)
    assert isinstance(result, Rejected), result
    assert result.reason in (INVALID, NOT_JSON) and result.detail


def test_the_limits_themselves_are_accepted():
    assert decode(frame(type="staff_status_update", seq=2**53 - 1, staffId="S-1", status="on_break")).seq == 2**53 - 1
    edge = decode(frame(type="staff_location_update", seq=0, staffId="S-1", location={**LOCATION, "lat": -90,
                                                                                      "lon": 180}))
    assert (edge.location.lat, edge.location.lon) == (-90, 180)
    assert decode(frame(type="zone_update", seq=1, zoneId="Z-1", changes={"name": "n" * 1000})).changes.name


def test_the_frames_doctests_hold():
    import doctest

    from app import frames

    assert doctest.testmod(frames).failed == 0
