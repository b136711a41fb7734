"""Fuzzing the client's socket input with hypothesis (issue 14): whatever a server sends, nothing raises.

At least 10,000 generated frames go through ``app.frames.decode`` and as
many through ``Client.socket_messages`` of a ready client (its state, its
actions, its diagnostics). Frames are a mix of: arbitrary text, arbitrary
JSON, and the contract's own messages (PROTOCOL.md 3 and 4) with one or more
fields replaced by hostile values (wrong types, out-of-range numbers, huge or
control-character text, unknown enums, markup, nulls), dropped or added.

What must hold: ``decode`` never raises and returns a message, ``Unknown`` or
``Rejected`` with a known reason; anything that is not JSON is rejected; the
client never raises, counts every frame received, counts every rejected frame
as invalid (``data-invalid``), and its queued actions can be drained.

Deterministic for CI (``derandomize=True``, no example database); the counts
of one run are printed (``pytest -s``).
"""

from __future__ import annotations

import json
import math
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.frames import REASONS, Message, Rejected, Unknown, decode
from app.models import EVENT_TYPES, MAX_FRAME_BYTES, Reauthed, StaffLocationUpdate
from tests.fake_shell import ready_client

BATCH = 25
EXAMPLES = 400  # 400 batches of 25: 10,000 frames per test
WANTED = 10_000
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

T = "2026-11-26T10:00:00Z"
#: One valid frame of every kind the server sends (PROTOCOL.md 3 and 4).
TEMPLATES = [
    {"type": "welcome", "seq": 10, "epoch": "e1", "resumed": True},
    {"type": "pong", "t": 5},
    {"type": "reauthed", "expiresAt": T},
    {"type": "delivery_update", "seq": 11, "deliveryId": "D-1",
     "changes": {"status": "in_transit", "assignedTo": "S-1", "eta": T, "dropoff": {"lat": 52.5, "lon": 13.4}},
     "cause": {"idempotencyKey": "k1", "userId": "U-1"}},
    {"type": "delivery_update", "seq": 11, "deliveryId": "D-new",
     "changes": {"id": "D-new", "status": "pending", "customer": "C", "address": "A", "zoneId": "Z-1",
                 "assignedTo": None, "priority": "high", "eta": None, "updatedAt": T}},
    {"type": "staff_status_update", "seq": 11, "staffId": "S-1", "status": "on_break"},
    {"type": "zone_update", "seq": 11, "zoneId": "Z-1", "changes": {"status": "busy", "activeDeliveries": 3}},
    {"type": "new_communication", "seq": 11, "communication": {
        "id": "C-1", "from": "S-1", "to": "coordinators", "deliveryId": "D-1", "body": "left at reception",
        "sentAt": T}},
    {"type": "staff_location_update", "seq": 11, "staffId": "S-1",
     "location": {"lat": 52.52, "lon": 13.40, "heading": 90, "speed": 8.3, "at": T}},
]

HOSTILE_TEXT = st.sampled_from([
    "", " ", "x" * 65, "x" * 1001, "x" * 2001, "<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
    "\u0000", "\ud800", "\u202e", "NaN", "Infinity", "-0", "1e400", "null", "true", "🚚" * 300,
    "2026-13-45T99:99:99Z", "delivered ", "DELIVERED", "__proto__", "constructor",
])
HOSTILE_NUMBER = st.one_of(
    st.sampled_from([-1, 0, 2**53 - 1, 2**53, 2**63, -(2**63), 10**400, 1.5, -0.0, 91, -181, 361, 1e308]),
    st.integers(), st.floats(allow_nan=False, allow_infinity=False))
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | HOSTILE_NUMBER | st.text(max_size=30) | HOSTILE_TEXT,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=12)


def _paths(value, prefix=()):
    """Every path to a value inside a template (dict keys and list indexes)."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _replace(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    out = list(value)
    out[head] = _replace(value[head], rest, new)
    return out


def _drop(value, path):
    if len(path) == 1:
        return {k: v for k, v in value.items() if k != path[0]} if isinstance(value, dict) else value
    return _replace(value, path[:-1], _drop(_dig(value, path[:-1]), path[-1:]))


def _dig(value, path):
    for part in path:
        value = value[part]
    return value


@st.composite
def mutated(draw):
    """A contract message with 1-3 changes: a value replaced, a field dropped, or a field added."""
    frame = draw(st.sampled_from(TEMPLATES))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(frame))[1:]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        how = draw(st.sampled_from(["replace", "replace", "drop", "add", "type"]))
        if how == "replace":
            frame = _replace(frame, path, draw(JSON_VALUE))
        elif how == "drop" and isinstance(_dig(frame, path[:-1]), dict):
            frame = _drop(frame, path)
        elif how == "add" and isinstance(frame, dict):
            frame = {**frame, draw(st.text(max_size=8)): draw(JSON_VALUE)}
        elif how == "type" and isinstance(frame, dict):
            frame = {**frame, "type": draw(st.sampled_from([*EVENT_TYPES, "welcome", "pong", "route_update", "",
                                                             None, 5, "x" * 65]))}
    return json.dumps(frame, allow_nan=True)


def _raw_text_variants(text: str) -> st.SearchStrategy[str]:
    return st.sampled_from([text, text[:len(text) // 2], text + "}", text.replace('"', "'"), " " + text])


FRAME = st.one_of(
    mutated(),
    mutated().flatmap(_raw_text_variants),  # broken JSON that looks nearly right
    st.sampled_from([json.dumps(t) for t in TEMPLATES]),  # valid frames, so the state moves too
    JSON_VALUE.map(lambda v: json.dumps(v, allow_nan=True)),
    st.text(max_size=200),
    st.sampled_from(["x" * (MAX_FRAME_BYTES + 1), json.dumps({"type": "pong", "t": 1, "pad": "x" * MAX_FRAME_BYTES}),
                     "[" * 5000 + "]" * 5000, '{"a":' * 2000 + "1" + "}" * 2000, "NaN", "\ufeff{}"]),
)

KNOWN = (*Message.__args__, StaffLocationUpdate, Reauthed)


def _is_json(text: str) -> bool:
    try:
        json.loads(text, parse_constant=lambda name: math.nan)
    except (ValueError, RecursionError):
        return False
    return True


def test_ten_thousand_frames_through_the_decoder_never_raise_and_every_invalid_one_is_rejected():
    tried: Counter = Counter()

    @FUZZ
    @given(st.lists(FRAME, min_size=BATCH, max_size=BATCH))
    def run(batch):
        for text in batch:
            result = decode(text)  # a raise fails the test: rule 1 of app/frames.py
            tried["frames"] += 1
            assert isinstance(result, (Rejected, Unknown, *KNOWN)), result
            if isinstance(result, Rejected):
                tried[f"rejected:{result.reason}"] += 1
                assert result.reason in REASONS and len(result.detail) <= 200 and len(result.preview) <= 120
            else:
                tried["accepted" if not isinstance(result, Unknown) else "unknown"] += 1
                assert _is_json(text), text[:80]  # what is not JSON is never accepted

    run()
    print(f"\ndecoder fuzz: {dict(sorted(tried.items()))}")
    assert tried["frames"] >= WANTED
    # The mix reaches every outcome, so the assertions above were exercised.
    assert tried["accepted"] and tried["unknown"] and all(tried[f"rejected:{r}"] for r in REASONS)


#: Crashes the fuzzer found in app/client.py that are not fixed yet: (exception, its first line) -> why.
#: The test fails on any other crash, and on one of these once it no longer happens (remove it then).
KNOWN_CRASHES: dict = {}  # (exception, message) -> why; a fixed crash is removed from here


def _crash(exc: Exception) -> tuple[str, str]:
    """What raised, and the message class it raised on (pydantic names it in the message)."""
    text = str(exc).split("\n")[0]
    return type(exc).__name__, text[:120]


def test_ten_thousand_frames_through_a_ready_client_never_raise_and_every_rejected_one_is_counted():
    tried: Counter = Counter()
    crashes: Counter = Counter()

    @FUZZ
    @given(st.lists(FRAME, min_size=BATCH, max_size=BATCH), st.lists(st.integers(1, 8), min_size=BATCH, max_size=BATCH))
    def run(batch, sizes):
        client, shell, _ = ready_client()
        start = 0
        for size in sizes:  # arrivals, as the driver feeds them (one per animation frame)
            arrival = batch[start:start + size]
            start += size
            if not arrival:
                break
            before = client.diagnostics()
            rejected = sum(isinstance(decode(text), Rejected) for text in arrival)
            tried["frames"] += len(arrival)
            try:
                client.socket_messages(arrival)
                shell.drain()
            except Exception as exc:  # noqa: BLE001 - counted and checked below; the rest goes to a fresh client
                tried["frames_in_arrivals_that_raised"] += len(arrival)
                crashes[_crash(exc)] += 1
                client, shell, _ = ready_client()
                continue
            after = client.diagnostics()
            tried["rejected"] += rejected
            tried["counted_invalid"] += after["invalid"] - before["invalid"]
            assert after["received"] - before["received"] == len(arrival)
            assert after["invalid"] - before["invalid"] >= rejected  # every dropped frame counted
            assert after["applied"] >= before["applied"]

    run()
    print(f"\nclient fuzz: {dict(sorted(tried.items()))}; crashes (exception, frame type): {dict(crashes)}")
    assert tried["frames"] >= WANTED and tried["rejected"] > 0
    assert set(crashes) <= set(KNOWN_CRASHES), f"new crashes: {set(crashes) - set(KNOWN_CRASHES)}"
    assert set(crashes) == set(KNOWN_CRASHES), f"fixed, remove from KNOWN_CRASHES: {set(KNOWN_CRASHES) - set(crashes)}"
