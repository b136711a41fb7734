"""security.py: CORS on /api for --allow-origin, the WebSocket Origin check, the page's CSP, TLS."""

from __future__ import annotations

import asyncio
import json
import queue
import re
import ssl
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from starlette.websockets import WebSocketDisconnect
from websockets.asyncio.client import connect as aconnect
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from server_stub.__main__ import parse_args
from server_stub.security import content_security_policy, html_headers, normalize_origin
from server_stub.settings import Settings
from server_stub.testing import hello, login, make_client
from tests.e2e.harness import stop_process

ROOT = Path(__file__).resolve().parents[2]
HOSTED = "http://127.0.0.1:8080"  # where the built app is served from in these tests
EVIL = "http://127.0.0.1:6666"
PREFLIGHT = {"Access-Control-Request-Method": "PATCH",
             "Access-Control-Request-Headers": "authorization,content-type,idempotency-key"}


@pytest.fixture
def allowed():
    with make_client(allow_origins=(HOSTED,)) as client:
        yield client


# --- origins and settings ------------------------------------------------------------------------


@pytest.mark.parametrize("given, origin", [
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"), ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
    ("HTTPS://Dispatch.Example.COM:443", "https://dispatch.example.com"), ("http://localhost:80", "http://localhost"),
    ("http://[::1]:9000", "http://[::1]:9000"),
])
def test_origins_are_normalized(given, origin):
    assert normalize_origin(given) == origin
    assert Settings(allow_origins=(given, given)).allow_origins == (origin,)


@pytest.mark.parametrize("bad", ["*", "null", "127.0.0.1:8080", "ftp://x", "http://x/app", "http://x?y=1",
                                 "http://user@x", "ws://x", "http://", "http://x:99999", "http://a b"])
def test_anything_but_an_origin_is_refused(bad):
    with pytest.raises(ValueError):
        Settings(allow_origins=(bad,))


def test_the_cli_takes_repeated_origins_and_both_tls_files(tmp_path):
    settings = parse_args(["--allow-origin", HOSTED, "--allow-origin", "https://dispatch.example.com/"])
    assert settings.allow_origins == (HOSTED, "https://dispatch.example.com")
    assert parse_args([]).allow_origins == () and parse_args([]).certfile is None
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("x")
    key.write_text("x")
    assert parse_args(["--certfile", str(cert), "--keyfile", str(key)]).keyfile == key
    with pytest.raises(SystemExit):
        parse_args(["--certfile", str(tmp_path / "missing.pem"), "--keyfile", str(key)])
    with pytest.raises(ValueError, match="both"):
        parse_args(["--certfile", str(cert)])


# --- CORS on /api --------------------------------------------------------------------------------


def test_a_listed_origin_gets_a_preflight_answer_for_what_the_app_sends(allowed):
    answer = allowed.options("/api/deliveries/D-1", headers={"Origin": HOSTED, **PREFLIGHT})
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == HOSTED
    assert set(answer.headers["access-control-allow-methods"].split(", ")) == {"GET", "POST", "PATCH"}
    assert {h.lower() for h in answer.headers["access-control-allow-headers"].split(", ")} == {
        "authorization", "content-type", "idempotency-key"}
    assert "access-control-allow-credentials" not in answer.headers
    assert int(answer.headers["access-control-max-age"]) > 0


def test_a_listed_origin_can_read_answers_including_errors(allowed):
    token = login(allowed)
    answer = allowed.get("/api/snapshot", headers={"Origin": HOSTED, "Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == HOSTED
    assert "Origin" in answer.headers["vary"]
    login_answer = allowed.post("/api/login", json={"username": "demo", "password": "demo"},
                                headers={"Origin": HOSTED})
    assert login_answer.status_code == 200 and login_answer.headers["access-control-allow-origin"] == HOSTED
    refused = allowed.get("/api/snapshot", headers={"Origin": HOSTED})
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == HOSTED
    patched = allowed.patch("/api/deliveries/nope", json={"status": "delivered"},
                            headers={"Origin": HOSTED, "Authorization": f"Bearer {token}", "Idempotency-Key": "k-1"})
    assert patched.status_code == 404 and patched.headers["access-control-allow-origin"] == HOSTED


def test_a_non_listed_origin_gets_no_cors_headers(allowed):
    token = login(allowed)
    preflight = allowed.options("/api/snapshot", headers={"Origin": EVIL, **PREFLIGHT})
    assert preflight.status_code == 403
    assert not [h for h in preflight.headers if h.startswith("access-control-")]
    answer = allowed.get("/api/snapshot", headers={"Origin": EVIL, "Authorization": f"Bearer {token}"})
    assert not [h for h in answer.headers if h.startswith("access-control-")]
    # A prefix or a different port of a listed origin is another origin.
    for other in (HOSTED + ".evil.example", "http://127.0.0.1:8081", "https://127.0.0.1:8080", "null"):
        answer = allowed.options("/api/login", headers={"Origin": other, **PREFLIGHT})
        assert answer.status_code == 403 and "access-control-allow-origin" not in answer.headers, other


def test_a_listed_origin_may_not_use_other_methods_or_headers(allowed):
    for method, headers in (("DELETE", "authorization"), ("PUT", ""), ("PATCH", "authorization,x-custom")):
        answer = allowed.options("/api/deliveries/D-1", headers={
            "Origin": HOSTED, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers})
        assert answer.status_code == 403 and "access-control-allow-origin" not in answer.headers, method


def test_cors_is_for_api_only_and_off_without_allow_origin(allowed, client):
    page = allowed.get("/", headers={"Origin": HOSTED})
    assert "access-control-allow-origin" not in page.headers
    answer = client.options("/api/snapshot", headers={"Origin": HOSTED, **PREFLIGHT})
    assert answer.status_code == 403 and "access-control-allow-origin" not in answer.headers
    # Same-origin calls need no CORS and work as before.
    assert client.post("/api/login", json={"username": "demo", "password": "demo"},
                       headers={"Origin": "http://testserver"}).status_code == 200
    # An OPTIONS that is not a preflight still gets the routes' own answer.
    assert client.options("/api/snapshot").status_code == 405


# --- the WebSocket's Origin ---------------------------------------------------------------------------


@pytest.mark.parametrize("origin", [None, "http://testserver", HOSTED])
def test_sockets_from_this_origin_a_listed_one_or_no_browser_are_accepted(allowed, origin):
    token = login(allowed)
    headers = {} if origin is None else {"Origin": origin}
    with allowed.websocket_connect("/ws", headers=headers) as ws:
        assert hello(ws, token)["type"] == "welcome"


@pytest.mark.parametrize("origin", [EVIL, "null", "http://testserver.evil.example", "https://testserver"])
def test_sockets_from_any_other_origin_are_closed_before_accept(allowed, origin):
    with pytest.raises(WebSocketDisconnect) as refused:
        with allowed.websocket_connect("/ws", headers={"Origin": origin}):
            pass
    assert refused.value.code == 1008
    assert allowed.app.state.stub.stats.total == 0  # never accepted


# --- the page's Content-Security-Policy ------------------------------------------------------------------


def directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def test_the_policy_is_strict():
    policy = directives(content_security_policy(["https://api.example.com", "wss://api.example.com"]))
    assert policy == {
        "default-src": "'none'",
        "script-src": "'self' 'wasm-unsafe-eval'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "connect-src": "'self' https://api.example.com wss://api.example.com",
        "base-uri": "'none'",
        "object-src": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    assert "frame-ancestors" not in content_security_policy(meta=True)


def test_index_html_is_sent_with_the_policy_and_framing_rules(client):
    answer = client.get("/")
    policy = directives(answer.headers["content-security-policy"])
    assert policy["connect-src"] == "'self' ws://testserver"
    assert policy["script-src"] == "'self' 'wasm-unsafe-eval'" and policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in answer.headers["content-security-policy"]
    assert "'unsafe-eval'" not in answer.headers["content-security-policy"]
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert answer.headers["x-content-type-options"] == "nosniff"
    css = client.get("/static/app.css")
    assert "content-security-policy" not in css.headers and css.headers["x-content-type-options"] == "nosniff"


def test_connect_src_follows_the_host_and_the_configured_endpoints(tmp_path):
    (tmp_path / "static").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "static" / "config.json").write_text(json.dumps(
        {"api_base_url": "https://api.example.com:8443/v1/api", "ws_base_url": "wss://push.example.com/ws"}))
    with make_client(static_root=tmp_path) as client:
        policy = directives(client.get("/", headers={"Host": "127.0.0.1:9000"}).headers["content-security-policy"])
        assert policy["connect-src"] == ("'self' ws://127.0.0.1:9000 https://api.example.com:8443 "
                                         "wss://push.example.com")
        # A Host header cannot write into the policy: the server refuses it at the door (hosts.py) ...
        assert client.get("/", headers={"Host": "x; script-src * 'unsafe-eval'"}).status_code == 400
    # ... and the policy would not take it either.
    scope = {"type": "http", "scheme": "http", "headers": [(b"host", b"x; script-src * 'unsafe-eval'")]}
    hostile = html_headers(scope, tmp_path)["Content-Security-Policy"]
    assert "'unsafe-eval'" not in hostile and "script-src *" not in hostile
    assert directives(hostile)["connect-src"] == "'self' https://api.example.com:8443 wss://push.example.com"


# --- a real server: HTTP 403 on the socket, TLS -------------------------------------------------------------


def run_stub(*flags: str):
    proc = subprocess.Popen([sys.executable, "-m", "server_stub", "--port", "0", "--seed", "3", "--deliveries", "20",
                             "--staff", "5", "--zones", "2", "--rate", "0", *flags],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue = queue.Queue()
    seen: list[str] = []

    def read():
        for line in proc.stdout:
            seen.append(line)
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    while True:
        line = lines.get(timeout=20)
        assert line is not None, f"the stub exited: {seen}"
        found = re.search(r"listening on (https?://\S+)", line)
        if found:
            return proc, found.group(1), seen


def test_a_real_server_answers_a_foreign_origins_socket_with_http_403():
    proc, url, lines = run_stub("--allow-origin", HOSTED)
    ws_url = url.replace("http://", "ws://") + "ws"
    try:
        with pytest.raises(InvalidStatus) as refused:
            connect(ws_url, origin=EVIL, open_timeout=10).close()
        assert refused.value.response.status_code == 403
        with connect(ws_url, origin=HOSTED, open_timeout=10) as ws:  # the listed origin gets in
            ws.send(json.dumps({"type": "auth", "token": "wrong", "resumeFrom": None}))
            with pytest.raises(Exception):
                ws.recv(timeout=10)
            assert ws.close_code == 4401
        request = urllib.request.Request(url + "api/login", method="OPTIONS", headers={"Origin": HOSTED, **PREFLIGHT})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 204 and answer.headers["Access-Control-Allow-Origin"] == HOSTED
    finally:
        stop_process(proc)
    assert any(f"pages allowed from: {HOSTED}" in line for line in lines)
    assert any(f"refused a WebSocket: origin {EVIL}" in line for line in lines)


def bounded(coroutine, timeout: float):
    """Run ``coroutine`` on its own loop in a daemon thread (the e2e tests' Playwright keeps a loop
    running in this one) and wait at most ``timeout`` seconds for it."""
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = asyncio.run(asyncio.wait_for(coroutine, timeout))
        except BaseException as exc:  # handed to the test below
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout + 5)
    if worker.is_alive():
        raise TimeoutError(f"still waiting after {timeout + 5:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


async def first_frame(ws_url: str, token: str, trust: ssl.SSLContext) -> dict:
    """Authenticate over wss and return the first frame. The asyncio client: when a TLS handshake
    times out, the sync client joins its reader thread with no timeout, and a reader blocked in an
    SSL recv hung a whole CI run (seen once on this 2-core machine)."""
    async with aconnect(ws_url, ssl=trust, open_timeout=30, close_timeout=10) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token, "resumeFrom": None}))
        return json.loads(await asyncio.wait_for(ws.recv(), 30))


def test_with_a_certificate_the_stub_serves_https_and_wss(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True, timeout=60)
    proc, url, _ = run_stub("--certfile", str(cert), "--keyfile", str(key))
    trust = ssl.create_default_context(cafile=str(cert))
    try:
        assert url.startswith("https://127.0.0.1:")
        with urllib.request.urlopen(url, timeout=10, context=trust) as answer:
            policy = directives(answer.headers["Content-Security-Policy"])
        assert policy["connect-src"] == f"'self' wss://{url.removeprefix('https://').rstrip('/')}"
        body = json.dumps({"username": "demo", "password": "demo"}).encode()
        request = urllib.request.Request(url + "api/login", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10, context=trust) as answer:
            token = json.loads(answer.read())["token"]
        assert bounded(first_frame(url.replace("https://", "wss://") + "ws", token, trust), 60)["type"] == "welcome"
        with pytest.raises(OSError):  # plain http on the TLS port gets nowhere
            urllib.request.urlopen(url.replace("https://", "http://") + "api/snapshot", timeout=10)
    finally:
        stop_process(proc)
