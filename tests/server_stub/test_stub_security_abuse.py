"""The stub refuses abuse (issue 14): size limits, login and socket limits, no 500s, the control
header, the Host allowlist, logout, token pruning. In-process first; a real server where only
uvicorn can show it (a 65 KiB frame, a chunked body, a handshake's Host)."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from urllib.parse import urlsplit

import pytest
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect
from websockets.asyncio.client import connect as aconnect
from websockets.exceptions import ConnectionClosed

from server_stub.__main__ import main, parse_args
from server_stub.auth import Tokens
from server_stub.hosts import allowed_names, host_of
from server_stub.inbound import MAX_BODY_BYTES, MAX_CONTROL_BODY_BYTES, MAX_JSON_DEPTH, json_depth
from server_stub.limits import LoginLimits, SlidingWindow, Waiting
from server_stub.settings import Settings
from server_stub.testing import control, hello, login, make_client
from tests.e2e.harness import stop_process, wait_until
from tests.server_stub.test_stub_security import EVIL, bounded, run_stub

DEMO = {"username": "demo", "password": "demo"}
WRONG = {"username": "demo", "password": "nope"}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


class Clock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


# --- size limits -----------------------------------------------------------------------------------


def test_a_body_over_64_kib_is_a_413_and_one_at_the_limit_is_read(client, auth):
    big = b'{"username": "' + b"x" * MAX_BODY_BYTES + b'"}'
    for path in ("/api/login", "/api/communications"):
        answer = client.post(path, content=big, headers=auth | {"Content-Type": "application/json"})
        assert answer.status_code == 413, path
        assert str(MAX_BODY_BYTES) in answer.json()["detail"]
    # The fault routes carry over-size test frames on purpose (raw): 1 MiB, and no more.
    assert client.post("/_control/emit", content=big, headers=auth).status_code != 413
    huge = b'{"text": "' + b"x" * MAX_CONTROL_BODY_BYTES + b'"}'
    assert client.post("/_control/raw", content=huge, headers=auth).status_code == 413
    prefix = b'{"to": "S-01", "body": "hi", "pad": "'
    exactly = prefix + b"y" * (MAX_BODY_BYTES - len(prefix) - 2) + b'"}'
    assert len(exactly) == MAX_BODY_BYTES
    assert client.post("/api/communications", content=exactly, headers=auth).status_code == 201


def test_a_413_for_a_listed_origin_carries_cors():
    hosted = "http://127.0.0.1:8080"
    with make_client(allow_origins=(hosted,)) as client:
        answer = client.post("/api/login", content=b"x" * (MAX_BODY_BYTES + 1), headers={"Origin": hosted})
        assert answer.status_code == 413 and answer.headers["access-control-allow-origin"] == hosted


@pytest.fixture(scope="module")
def real():
    """One real stub (uvicorn) for the checks only a real server can show; always stopped."""
    proc, url, lines = run_stub("--faults")
    try:
        yield url, lines
    finally:
        stop_process(proc)


def raw_http(url: str, head: bytes, chunks=(), timeout: float = 10.0) -> bytes:
    """Send ``head`` and ``chunks`` on a fresh connection, then read the answer's first bytes."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as conn:
        conn.sendall(head)
        for chunk in chunks:
            conn.sendall(chunk)
        conn.settimeout(timeout)
        return conn.recv(4096)


def test_a_real_server_refuses_a_big_content_length_before_the_body_is_sent(real):
    url, _ = real
    head = (b"POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 10000000\r\n\r\n")
    answer = raw_http(url, head)  # not a byte of the 10 MB sent: a server reading it first would time out
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


def test_a_real_server_refuses_a_chunked_body_as_it_streams(real):
    url, _ = real
    head = (b"POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"4000\r\n" + b" " * 0x4000 + b"\r\n"  # 16 KiB each
    # Five chunks (80 KiB) and no final chunk: the body never ends, so only a server that
    # counts as it streams can answer at all.
    answer = raw_http(url, head, [chunk] * 5)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]


async def send_big_frame(ws_url: str, size: int) -> tuple[int | None, str]:
    async with aconnect(ws_url, open_timeout=10, close_timeout=5, max_size=None) as ws:
        await ws.send("x" * size)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        received = closed.value.rcvd
        return (received.code if received else None), (received.reason if received else "")


def test_a_real_server_closes_a_socket_that_sends_a_frame_over_64_kib_with_1009(real):
    """uvicorn runs the websockets sans-I/O protocol with max_size 64 KiB: it refuses the
    frame from its header and closes with 1009 (message too big) before ws.py sees it."""
    url, _ = real
    ws_url = url.replace("http://", "ws://") + "ws"
    assert bounded(send_big_frame(ws_url, 65 * 1024 + 1), 30)[0] == 1009
    # Just under the limit the frame reaches ws.py, which refuses it as a bad first message.
    assert bounded(send_big_frame(ws_url, 64 * 1024 - 100), 30)[0] == 4400


def test_in_process_a_frame_over_64_kib_is_still_a_4400(client):
    with client.websocket_connect("/ws") as ws:
        ws.send_text("x" * (MAX_BODY_BYTES + 1))
        assert ws.receive()["code"] == 4400


# --- login limits ----------------------------------------------------------------------------------


def test_logins_per_address_get_a_429_with_retry_after():
    with make_client(login_attempts_per_address=3) as client:
        for _ in range(3):
            assert client.post("/api/login", json=DEMO).status_code == 200
        refused = client.post("/api/login", json=DEMO)
        assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "too many" in refused.json()["detail"]


def test_failed_logins_per_user_get_a_429_even_with_the_right_password_then_others_pass():
    with make_client(login_failures_per_user=2) as client:
        assert [client.post("/api/login", json=WRONG).status_code for _ in range(2)] == [401, 401]
        refused = client.post("/api/login", json=DEMO)  # not even checked
        assert refused.status_code == 429 and 200 < int(refused.headers["Retry-After"]) <= 300
        assert client.post("/api/login", json={"username": "coordinator", "password": "coordinator"}).status_code == 200
        assert client.post("/api/login", json={"username": "nobody", "password": "x"}).status_code == 401


def test_login_windows_slide_and_a_success_clears_the_users_failures():
    clock = Clock()
    limits = LoginLimits(per_address=2, failures_per_user=2, clock=clock)
    limits.record("a", "demo", ok=False)
    limits.record("b", "demo", ok=False)
    assert limits.wait("c", "demo") == pytest.approx(300)  # the user's failures, from any address
    assert limits.wait("a", "other") is None
    limits.record("a", "other", ok=True)
    assert limits.wait("a", "other") == pytest.approx(60)  # two attempts from "a" this minute
    clock.now += 60
    assert limits.wait("a", "other") is None and limits.wait("c", "demo") == pytest.approx(240)
    limits.record("c", "demo", ok=True)
    assert limits.wait("c", "demo") is None


def test_a_sliding_window_forgets_old_keys_and_stays_bounded():
    clock = Clock()
    window = SlidingWindow(limit=1, seconds=10, clock=clock, max_keys=3)
    for key in "abcd":
        window.add(key)
    assert len(window) == 3 and window.wait("a") is None and window.wait("d") == 10
    clock.now += 10
    assert window.prune() == 3 and len(window) == 0


# --- unauthenticated sockets -----------------------------------------------------------------------


def test_sockets_waiting_for_auth_are_capped_and_an_auth_frees_a_place():
    with make_client(max_waiting_sockets=2) as client:
        token = login(client)
        with client.websocket_connect("/ws") as first, client.websocket_connect("/ws") as second:
            with pytest.raises(WebSocketDisconnect) as refused:
                with client.websocket_connect("/ws"):
                    pass
            assert refused.value.code == 1013
            hello(first, token)
            with client.websocket_connect("/ws") as third:  # first is no longer waiting
                assert hello(third, token)["type"] == "welcome"
            assert hello(second, token)["type"] == "welcome"
        assert len(client.app.state.stub.waiting) == 0


def test_a_socket_that_does_not_authenticate_in_time_is_closed_with_1008():
    with make_client(auth_timeout=0.2) as client:
        with client.websocket_connect("/ws") as ws:
            closed = ws.receive()
        assert closed["type"] == "websocket.close" and closed["code"] == 1008
        assert len(client.app.state.stub.waiting) == 0


def test_waiting_admits_up_to_its_limit():
    waiting = Waiting(1)
    assert waiting.admit("a") and not waiting.admit("b")
    waiting.done("a")
    waiting.done("a")
    assert waiting.admit("b") and len(waiting) == 1


# --- tokens: pruning, bound, logout ----------------------------------------------------------------


def test_expired_tokens_are_pruned_and_the_table_is_bounded():
    clock = Clock()
    tokens = Tokens(ttl=60, clock=clock, max_tokens=3)
    first = tokens.login("demo", "demo").token
    tokens.login("demo", "demo")
    clock.now += 30
    tokens.login("coordinator", "coordinator")
    assert tokens.prune() == 0 and len(tokens) == 3
    tokens.login("demo", "demo")  # at the bound: the oldest goes
    assert len(tokens) == 3 and tokens.user(first) is None
    clock.now += 31
    assert tokens.prune() == 1 and len(tokens) == 2


def test_the_server_prunes_tokens_on_its_timer():
    with make_client(prune_interval=0.02) as client:
        stub = client.app.state.stub
        login(client)
        login(client)
        assert len(stub.tokens) == 2
        stub.tokens.clock = lambda: time.time() + stub.settings.token_ttl + 1  # both expired
        wait_until(lambda: len(stub.tokens) == 0, timeout=10, message="the timer to prune the tokens")


def test_logout_revokes_that_token_only(client):
    first, second = login(client), login(client)
    assert client.post("/api/logout", headers=bearer(first)).status_code == 204
    assert client.get("/api/snapshot", headers=bearer(first)).status_code == 401
    assert client.post("/api/logout", headers=bearer(first)).status_code == 401
    assert client.post("/api/logout").status_code == 401
    assert client.get("/api/snapshot", headers=bearer(second)).status_code == 200
    with client.websocket_connect("/ws") as ws:
        ws.send_text(json.dumps({"type": "auth", "token": first, "resumeFrom": None}))
        assert ws.receive()["code"] == 4401


# --- no 500s ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/deliveries/%00", "/static/%00", "/%00", "/api/deliveries/a%0Ab",
                                  "/_control/stats%00", "/app/%7F.py"])
def test_a_control_character_in_the_path_is_a_400(client, auth, path):
    for headers in (auth, {}):
        answer = client.get(path, headers=headers)
        assert answer.status_code == 400 and "control character" in answer.json()["detail"], path


@pytest.mark.parametrize("method, path", [("POST", "/api/login"), ("PATCH", "/api/deliveries/D-1001"),
                                          ("POST", "/api/communications"), ("POST", "/_control/emit"),
                                          ("POST", "/api/logout")])
def test_json_nested_10000_deep_is_a_400(client, auth, method, path):
    for body in (nested(10_000), b'{"a":' * 10_000 + b"1" + b"}" * 10_000):
        answer = client.request(method, path, content=body,
                                headers=auth | {"Idempotency-Key": "deep", "Content-Type": "application/json"})
        assert answer.status_code == 400 and "nests deeper" in answer.json()["detail"], path


def test_json_depth_counts_brackets_outside_strings_only(client, auth):
    assert json_depth(b'{"a": [1, {"b": "[[[{{{"}], "c": "\\"[["}') == 3
    assert json_depth(nested(MAX_JSON_DEPTH)) == MAX_JSON_DEPTH and json_depth(b"not json") == 0
    at_limit = client.post("/api/communications", content=nested(MAX_JSON_DEPTH), headers=auth)
    assert at_limit.status_code == 422  # parsed, then refused for what it is, not for its depth
    assert client.post("/api/communications", content=nested(MAX_JSON_DEPTH + 1), headers=auth).status_code == 400


# --- the control header and --faults ---------------------------------------------------------------


def test_control_calls_without_the_header_get_a_403():
    with make_client(control_header=False) as client:
        for answer in (client.post("/_control/drop", json={"code": None}), client.get("/_control/stats"),
                       client.post("/_control/emit", content=nested(10)), client.post("/_control/nothing")):
            assert answer.status_code == 403 and "X-DC-Control" in answer.json()["detail"]
        assert client.post("/_control/drop", json={"code": None}, headers={"X-DC-Control": "0"}).status_code == 403
        assert control(client, "drop", {"code": None}).json() == {"sockets": 0}
        # A page on another site would have to ask first, and is never told yes.
        preflight = client.options("/_control/drop", headers={
            "Origin": EVIL, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-dc-control"})
        assert preflight.status_code >= 400 and "access-control-allow-origin" not in preflight.headers
    with make_client(faults=False, control_header=False) as client:
        assert client.get("/_control/stats").status_code == 404


def test_faults_on_a_public_interface_need_a_second_flag(capsys):
    with pytest.raises(ValueError, match="faults-on-public-interface"):
        parse_args(["--faults", "--host", "0.0.0.0"])
    with pytest.raises(SystemExit) as exited:
        main(["--faults", "--host", "192.168.1.5", "--port", "0"])
    assert "faults-on-public-interface" in str(exited.value.code)
    assert parse_args(["--faults", "--host", "0.0.0.0", "--faults-on-public-interface"]).faults
    assert parse_args(["--faults", "--host", "127.0.0.2"]).faults  # all of 127/8 is loopback
    assert parse_args(["--faults", "--host", "::1"]).faults and not parse_args(["--host", "0.0.0.0"]).faults


# --- the Host allowlist ----------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.1:8000", "localhost:1", "LOCALHOST", "[::1]:9000",
                                  "127.1.2.3:80", "testserver"])
def test_loopback_hosts_are_answered(client, host):
    assert client.get("/", headers={"Host": host}).status_code in (200, 404)  # 404: no runtime vendored here
    assert client.post("/api/login", json=DEMO, headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", "", "a b",
                                  "[::1", "localhost:http", "0.0.0.0:8000"])
def test_other_hosts_get_a_400_on_http_and_on_the_socket(client, host):
    answer = client.post("/api/login", json=DEMO, headers={"Host": host})
    assert answer.status_code == 400 and "Host" in answer.json()["detail"]
    with pytest.raises(WebSocketDenialResponse) as refused:
        with client.websocket_connect("/ws", headers={"Host": host}):
            pass
    assert refused.value.status_code == 400


def test_allow_host_adds_names_and_the_bound_address_is_allowed():
    settings = parse_args(["--allow-host", "Dispatch.Example.COM.", "--allow-host", "[2001:db8::1]"])
    assert settings.allow_hosts == ("dispatch.example.com", "2001:db8::1")
    assert allowed_names("10.1.2.3", ()) == {"10.1.2.3"} and allowed_names("0.0.0.0", ("x",)) == {"x"}
    for bad in ("http://x", "x:80", "a b", "", "*"):
        with pytest.raises(ValueError):
            Settings(allow_hosts=(bad,))
    assert host_of("Dispatch.example.com:443") == "dispatch.example.com"
    with make_client(allow_hosts=("dispatch.example.com",)) as client:
        assert client.post("/api/login", json=DEMO, headers={"Host": "dispatch.example.com"}).status_code == 200
        assert client.post("/api/login", json=DEMO, headers={"Host": "testserver"}).status_code == 400


def test_a_real_server_refuses_an_unknown_host_on_http_and_on_the_handshake(real):
    url, lines = real
    answer = raw_http(url, b"GET /api/snapshot HTTP/1.1\r\nHost: rebound.evil.example\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    handshake = (b"GET /ws HTTP/1.1\r\nHost: rebound.evil.example\r\nUpgrade: websocket\r\n"
                 b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                 b"Sec-WebSocket-Version: 13\r\n\r\n")
    answer = raw_http(url, handshake)
    assert answer.startswith(b"HTTP/1.1 400") and b"Host" in answer, answer[:300]
    good = handshake.replace(b"rebound.evil.example", b"localhost")
    assert raw_http(url, good).startswith(b"HTTP/1.1 101")  # the same handshake, a loopback name
    wait_until(lambda: any("rebound.evil.example" in line and "--allow-host" in line for line in lines),
               timeout=10, message="the refusal on stderr")

