"""What a link can do to a signed-in coordinator, in Chromium (issue 14, PROTOCOL.md 1).

- ``?api=``/``?ws=`` naming another origin: ignored with a visible notice; a
  sign-in through the form reaches the page's own server, and a listener on
  the link's port (a plain socket server started here) hears nothing.
- ``#token=``: out of the address bar before Python starts, also when the
  configuration then fails; ignored while a session is active in the tab,
  whether it comes with a page load or a same-page navigation; used again
  once a 4401 has ended the session.
- The login form posts (``method="post"``): a native submit, before or
  without Python, never puts the password in a URL.
- Logout asks the server to end the session (``POST {api}/logout``). The
  stub of this branch may not have that route, so the test answers it with
  Playwright's route interception and checks the app's request.
"""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ALL_ROWS, log_in
from tests.e2e.harness import Stub, wait_until
from tests.e2e.hosting import Recorder

pytestmark = pytest.mark.e2e

BOOT_MS = 120_000  # Pyodide boots in 3-8 s, 20-50 s on a machine shared with other runs
NOTICE = "[data-testid=config-notice]"
STATE = "html[data-app-state={}]"


class Listener:
    """A plain TCP server on a free loopback port: records every connection and the bytes it sent."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.heard: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(1.0)
                try:
                    self.heard.append(conn.recv(65536) or b"(connected, sent nothing)")
                except OSError:
                    self.heard.append(b"(connected)")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


def session_token(page) -> str | None:
    return page.evaluate("() => sessionStorage.getItem('dc.token')")


def boot_with_token(page, stub: Stub, token: str) -> None:
    page.goto(f"{stub.url}?{ALL_ROWS}#token={token}")
    page.wait_for_selector(STATE.format("ready"), state="attached", timeout=BOOT_MS)


def test_a_link_to_another_origin_sends_it_nothing_and_says_so(page, stub):
    listener = Listener()
    try:
        # The listener does hear a connection: the absence below means something.
        with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as probe:
            probe.sendall(b"probe")
        wait_until(lambda: listener.heard == [b"probe"], timeout=10, message="the listener to hear the probe")
        listener.heard.clear()

        recorder = Recorder(page)
        other = f"127.0.0.1:{listener.port}"
        # With the timings too: out of bounds, so ignored and listed (app/config.py TIMING_BOUNDS).
        page.goto(f"{stub.url}?api=http://{other}/api&ws=ws://{other}/ws&commandTimeoutMs=1&deadAfterMs=1&{ALL_ROWS}")
        page.wait_for_selector(STATE.format("login"), state="attached", timeout=BOOT_MS)
        notice = page.locator(NOTICE)
        expect(notice).to_be_visible()
        expect(notice).to_contain_text(f"http://{other}")
        lines = notice.locator("p").all_inner_texts()
        assert len(lines) == 3 and any("commandTimeoutMs=1" in line for line in lines), lines
        assert any("deadAfterMs=1" in line for line in lines), lines
        assert notice.evaluate("n => n.innerHTML.includes('<script') || n.querySelector('a') !== null") is False
        log_in(page, "demo", "demo")
        page.wait_for_selector("[data-testid=connection-status][data-state=open]", state="attached", timeout=30_000)
        expect(notice).to_be_visible()  # still there on the board
        own = urlsplit(stub.url).netloc
        assert any(url == f"http://{own}/api/login" for url in recorder.requests), recorder.requests
        assert recorder.sockets == [f"ws://{own}/ws"]
        assert [url for url in recorder.urls() if urlsplit(url).netloc == other] == []
    finally:
        listener.stop()
    assert listener.heard == []


def test_a_fragment_token_leaves_the_address_at_once_even_when_the_configuration_fails(page, stub):
    page.route("**/static/config.json", lambda route: route.fulfill(status=200, body="{not json",
                                                                     content_type="application/json"))
    entries = page.evaluate("() => history.length")  # the new tab's own entry
    page.goto(f"{stub.url}?{ALL_ROWS}#view=map&token=secret-1234", wait_until="domcontentloaded")
    # Module scripts have run by DOMContentLoaded; Python has not started yet.
    assert page.evaluate("() => document.documentElement.dataset.appState") == "loading"
    assert "secret-1234" not in page.url and page.url.endswith("#view=map"), page.url
    page.wait_for_selector(STATE.format("error"), state="attached", timeout=BOOT_MS)
    expect(page.locator("#boot-text")).to_contain_text("config.json")
    assert "secret-1234" not in page.url and "token" not in page.evaluate("() => location.hash")
    assert page.evaluate("() => history.length") == entries + 1  # replaced, not a second entry holding it
    assert page.evaluate("() => sessionStorage.getItem('dc.handed-fragment')") is None


@pytest.fixture
def own_stub():
    """A stub of its own: the fixation test revokes every token of it."""
    server = Stub("--seed", "7", "--rate", "4")
    yield server
    server.stop()


def test_no_session_fixation_from_a_link_or_a_same_page_navigation(page, own_stub):
    stub = own_stub
    first, second = stub.login_token(), stub.login_token()
    assert first != second
    boot_with_token(page, stub, first)
    assert "token" not in page.url
    # The handed token is refreshed at once (PROTOCOL.md 1: it learns its user); the session is still the first.
    wait_until(lambda: page.evaluate("() => sessionStorage.getItem('dc.user-id')"), timeout=20, message="a refresh")
    held = session_token(page)
    assert held and held != second

    # A same-page navigation (hashchange) with another token: removed from the address, not used.
    page.evaluate("(t) => { location.hash = 'token=' + t; }", second)
    wait_until(lambda: "token" not in page.evaluate("() => location.hash")
               and page.evaluate("() => sessionStorage.getItem('dc.handed-fragment')") is None,
               timeout=15, message="the hashchange token to be taken out and dropped")
    assert session_token(page) == held
    expect(page.locator(STATE.format("ready"))).to_be_attached()

    # A page load in the same tab with another token: the session stays the first one.
    page.goto("about:blank")
    boot_with_token(page, stub, second)
    assert session_token(page) not in (None, second) and "token" not in page.url

    # A 4401 ends the session; now a handed token is used, by a same-page navigation too.
    stub.control("revoke")
    page.wait_for_selector(STATE.format("login"), state="attached", timeout=30_000)
    assert session_token(page) is None
    third = stub.login_token()
    page.evaluate("(t) => { location.hash = 'token=' + t; }", third)
    page.wait_for_selector(STATE.format("ready"), state="attached", timeout=60_000)
    assert "token" not in page.url
    wait_until(lambda: session_token(page) not in (None, first, second), timeout=20, message="the third token used")


def test_a_native_submit_of_the_login_form_posts_and_keeps_the_password_out_of_the_url(page, stub):
    # Without Python (its start is blocked) and without early.mjs (which queues a submit made during the
    # boot), nothing intercepts the submit: the browser's own runs. The posted document is answered here,
    # so the navigation ends before the tab is closed (closing a tab mid-POST once hung page.close()).
    posted: list = []

    def document(route):
        if route.request.resource_type == "document" and route.request.method == "POST":
            posted.append(route.request)
            route.fulfill(status=200, content_type="text/html", body="<!doctype html><p>posted</p>")
        else:
            route.fallback()

    page.route("**/static/js/pyscript-csp.mjs", lambda route: route.abort())
    page.route("**/static/js/early.mjs", lambda route: route.abort())
    page.route(f"{stub.url}**", document)
    page.goto(f"{stub.url}?{ALL_ROWS}")
    form = page.locator("form[data-testid=login]")
    assert form.evaluate("f => f.method") == "post"
    page.evaluate("() => { document.getElementById('login-view').hidden = false; }")
    page.fill("form[data-testid=login] [name=username]", "demo")
    page.fill("form[data-testid=login] [name=password]", "pw-not-in-url")
    page.click("form[data-testid=login] [type=submit]")
    page.wait_for_selector("text=posted", state="attached")
    (request,) = posted
    assert request.method == "POST"
    assert "pw-not-in-url" not in request.url and "password" not in request.url
    assert "password=pw-not-in-url" in (request.post_data or "")
    assert "pw-not-in-url" not in page.url


def test_logout_asks_the_server_to_end_the_session(page, stub):
    asked: list[dict] = []

    def answer(route):
        asked.append({"method": route.request.method, "headers": route.request.headers})
        route.fulfill(status=204, body="")

    page.route("**/api/logout", answer)
    token = stub.login_token()
    boot_with_token(page, stub, token)
    wait_until(lambda: page.evaluate("() => sessionStorage.getItem('dc.user-id')"), timeout=20, message="a refresh")
    token = session_token(page)  # the handed token, refreshed (PROTOCOL.md 1)
    page.click("#logout")
    page.wait_for_selector(STATE.format("login"), state="attached", timeout=15_000)
    wait_until(lambda: asked, timeout=15, message="POST /api/logout")
    assert asked == [{"method": "POST", "headers": asked[0]["headers"]}]
    assert asked[0]["headers"].get("authorization") == f"Bearer {token}"
    assert session_token(page) is None
