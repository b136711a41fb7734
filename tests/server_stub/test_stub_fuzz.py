"""Fuzzing the stub's HTTP side with hypothesis: no generated request gets a 500 or hangs.

    .venv/bin/python -m pytest -q -s -p no:cacheprovider tests/server_stub/test_stub_fuzz.py   # prints the tally

2,200 requests, derandomized (the same ones every run, so CI is stable),
against one in-process stub with fault routes on: paths around every route
(ids and segments of any text, percent-escapes, NULs, dot segments), every
method, bodies that are JSON near the wire shapes, JSON of any shape and
depth, raw bytes, lone surrogate escapes, over-sized ones, with a valid, a
stale or no token, odd ``Idempotency-Key``s and ``Host``s. Each request runs
on a worker thread and is given ``PER_REQUEST`` seconds: longer counts as a
hang and stops the run. The control routes that are slow on purpose (``rate``,
``stream``, ``snapshot_delay``) are left out: a fuzzer setting a 600 s
snapshot delay would find exactly that.
"""

from __future__ import annotations

import json
import queue
import threading
from collections import Counter
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from server_stub.app import create_app
from server_stub.security import CONTROL_HEADER
from server_stub.settings import Settings
from server_stub.testing import SMALL
from starlette.testclient import TestClient

EXAMPLES = 2200
PER_REQUEST = 10.0
METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS", "HEAD"]
PATHS = ["/api/login", "/api/snapshot", "/api/deliveries/{}", "/api/communications", "/api/logout",
         "/api/{}", "/_control/{}", "/static/{}", "/static/vendor/{}", "/app/{}.py", "/{}", "/ws", "/{}/{}"]
CONTROL_ROUTES = ["emit", "drop", "raw", "refuse", "silence", "revoke", "stats", "reset_stats"]
KEYS = ["username", "password", "status", "assignedTo", "to", "body", "deliveryId", "event", "broadcast",
        "code", "seconds", "on", "frame", "type", "changes", "staffId", "zoneId", "seq", "communication",
        "id", "customer", "address", "priority", "eta", "updatedAt", "from", "sentAt", "resumeFrom"]
WORDS = ["demo", "coordinator", "pending", "assigned", "picked_up", "delivered", "cancelled", "S-01", "S-404",
         "D-1001", "D-9999", "Z-1", "delivery_update", "staff_status_update", "zone_update", "new_communication",
         "on_break", "closed", "urgent", "2026-11-26T10:00:00Z", "", " ", "\x00", "null"]

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | text | st.sampled_from(WORDS))
json_values = st.recursive(scalars, lambda kids: st.lists(kids, max_size=4)
                           | st.dictionaries(st.sampled_from(KEYS) | text, kids, max_size=6), max_leaves=25)
segment = text | st.sampled_from(WORDS + ["..", ".", "%00", "%zz", "%", "index.html", "pyodide", "a/b"])


@st.composite
def paths(draw) -> str:
    template = draw(st.sampled_from(PATHS[:5] * 3 + PATHS))  # the API routes three times as often
    if template == "/_control/{}" and draw(st.booleans()):
        return template.format(draw(st.sampled_from(CONTROL_ROUTES)))
    return template.format(*(quote(draw(segment), safe=draw(st.sampled_from(["", "%", "/%"])))
                             for _ in range(template.count("{}"))))


@st.composite
def bodies(draw) -> bytes | None:
    kind = draw(st.sampled_from(["deep", "json", "none", "bytes", "surrogate", "big"]))
    if kind == "none":
        return None
    if kind == "json":
        return json.dumps(draw(json_values), ensure_ascii=draw(st.booleans())).encode()
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "deep":
        depth = draw(st.sampled_from([10_000, 1000, 33, 32, 500]))
        opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
        return opener * depth + b"1" + closer * depth
    if kind == "surrogate":
        return b'{"%s": "\\ud800", "password": "demo", "to": "S-01"}' % draw(st.sampled_from(KEYS)).encode()
    return b'{"body": "' + b"x" * draw(st.sampled_from([65_500, 70_000])) + b'"}'


@dataclass
class Fuzzed:
    method: str
    path: str
    body: bytes | None
    token: str  # "valid", "stale", "none"
    key: str | None
    host: str | None
    control: bool
    content_type: str | None


NATURAL = {"/api/login": "POST", "/api/snapshot": "GET", "/api/deliveries/": "PATCH", "/api/communications": "POST",
           "/api/logout": "POST", "/_control/": "POST"}


@st.composite
def methods_and_paths(draw) -> tuple[str, str]:
    """A path, and mostly the method its route takes (else any), so that most requests reach a route."""
    path = draw(paths())
    natural = next((m for prefix, m in NATURAL.items() if path.startswith(prefix)), None)
    if natural and draw(st.integers(0, 3)):
        return natural, path
    return draw(st.sampled_from(METHODS)), path


ROUTE_SHAPES = {"/api/login": [("username", "password")], "/api/communications": [("to", "body"), ("to", "body", "deliveryId")],
                "/api/deliveries/": [("status",), ("assignedTo",), ("status", "assignedTo")],
                "/_control/": [("event",), ("code",), ("seconds",), ("on",), ("frame",)]}


@st.composite
def routed(draw) -> tuple[str, str, bytes | None]:
    """Method, path and body; half the time the body has the fields of the path's route."""
    method, path = draw(methods_and_paths())
    shapes = next((v for prefix, v in ROUTE_SHAPES.items() if path.startswith(prefix)), None)
    if shapes and draw(st.booleans()):
        value = {name: draw(st.sampled_from(WORDS) | scalars) for name in draw(st.sampled_from(shapes))}
        return method, path, json.dumps(value).encode()
    return method, path, draw(bodies())


requests = st.builds(
    lambda request, **rest: Fuzzed(*request, **rest), request=routed(),
    token=st.sampled_from(["valid", "valid", "stale", "none"]),
    key=st.none() | st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=210),
    host=st.none() | st.none() | st.none() | st.sampled_from(["evil.example", "localhost:1", "[::1]", ""]),
    control=st.booleans(),
    content_type=st.none() | st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"]),
)


class Hang(Exception):
    """A request that took longer than PER_REQUEST."""


class Worker:
    """Runs each request on a daemon thread, so one that never returns is detected, not waited for."""

    def __init__(self) -> None:
        self.jobs: queue.Queue = queue.Queue()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while (item := self.jobs.get()) is not None:
            job, done = item
            try:
                done.put(("ok", job()))
            except BaseException as exc:  # reported to the caller as a crash
                done.put(("error", exc))

    def call(self, job, timeout: float):
        done: queue.Queue = queue.Queue(maxsize=1)
        self.jobs.put((job, done))
        try:
            return done.get(timeout=timeout)
        except queue.Empty:
            raise Hang(f"no answer within {timeout:g} s") from None

    def stop(self) -> None:
        self.jobs.put(None)


@pytest.fixture(scope="module")
def fuzz_client():
    settings_ = Settings(**SMALL)
    with TestClient(create_app(settings_), raise_server_exceptions=False) as client:
        yield client


def headers_for(client, stub, request: Fuzzed) -> dict:
    headers = {}
    if request.token == "valid":
        result = stub.tokens.login("demo", "demo")  # directly: the login limit is not what is fuzzed here
        headers["Authorization"] = f"Bearer {result.token}"
    elif request.token == "stale":
        headers["Authorization"] = "Bearer not-a-token-we-gave"
    if request.key is not None:
        headers["Idempotency-Key"] = request.key.encode("latin-1")  # as the bytes a client may send
    if request.host is not None:
        headers["Host"] = request.host
    if request.control:
        headers |= CONTROL_HEADER
    if request.content_type is not None:
        headers["Content-Type"] = request.content_type
    return headers


def test_fuzzed_requests_never_get_a_500_or_hang(fuzz_client):
    stub = fuzz_client.app.state.stub
    worker = Worker()
    tally: Counter = Counter()
    crashes: list[str] = []

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(request=requests)
    def run(request: Fuzzed) -> None:
        headers = headers_for(fuzz_client, stub, request)
        outcome, value = worker.call(lambda: fuzz_client.request(request.method, request.path, content=request.body,
                                                                 headers=headers), PER_REQUEST)
        if outcome == "error":  # the client could not even send it (a URL httpx refuses): not the server's
            tally[f"unsendable {type(value).__name__} {str(value)[:60]}"] += 1
            return
        tally["tries"] += 1
        tally[value.status_code] += 1
        if value.status_code >= 500:
            tally["crashes"] += 1
            if len(crashes) < 5:
                body = request.body or b""
                crashes.append(f"{request.method} {request.path[:100]} body {body[:80]!r} ({len(body)} bytes), "
                               f"token {request.token}, headers {sorted(headers)} -> {value.status_code}")

    try:
        run()
    except Hang as exc:
        tally["hangs"] += 1
        pytest.fail(f"a request hung: {exc}; tally so far {dict(tally)}")
    finally:
        worker.stop()
        print(f"\nfuzz: {tally['tries']} tries, {tally['crashes']} crashes (5xx), {tally['hangs']} hangs; "
              f"answers {dict(sorted((k, v) for k, v in tally.items() if isinstance(k, int)))}; "
              f"unsendable {sum(v for k, v in tally.items() if str(k).startswith('unsendable'))}")
    assert tally["tries"] >= 2000
    assert not crashes, "\n".join(crashes)
    # The run reached past the door: answers from routes, not only refusals.
    assert tally[200] and tally[204] and tally[400] and tally[401] and tally[404] and tally[422]
