"""From an https page the app uses only https:// and wss://, and refuses a plain endpoint out loud.

The stub runs with ``--certfile/--keyfile`` (a throwaway self-signed
certificate made with the openssl CLI). Chromium must ignore that the
certificate is self-signed, which is a property of a browser context; the
session's shared persistent context cannot have it, so this module drives
its own browser (``ignore_https_errors=True``) in a thread of its own, as
Playwright's sync API allows one instance per thread.

(a) Defaults (the page origin): the socket is ``wss://``, the page goes
    live, and no request or socket uses plain http:// or ws://.
(b) ``?api=http://...&ws=ws://...`` in a link: not the page's origin (another
    scheme), so ignored with a notice; the login form shows, and nothing is
    ever asked of those URLs.
(c) The same endpoints in config.json (the host's own setting):
    html[data-app-state=error] with the reason on screen, and nothing is ever
    asked of those URLs.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.harness import (
    CHROMIUM_ARGS,
    RENDERER_CRASHED,
    Stub,
    browser_log_lines,
    chromium_path,
    playwright_with_browser_log,
    show_browser_log,
)
from tests.e2e.hosting import Recorder, self_signed_cert, sign_in_live

BROWSER_TIMEOUT_S = 300  # three Pyodide boots over TLS on a shared machine


def in_own_browser(scenario):
    """Run ``scenario(context)`` in a fresh Chromium whose context ignores certificate errors.

    A renderer that crashes fails this run with "Target crashed", what Chromium said is printed
    (``harness.show_browser_log``), and the test runs once more like any browser test
    (``harness.rerun_renderer_crashes``).
    """
    outcome: dict = {}

    log = Path(tempfile.mkdtemp(prefix="dc-tls-")) / "chromium.log"

    def run():
        try:
            with playwright_with_browser_log(log) as playwright:
                browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True,
                                                     args=CHROMIUM_ARGS)
                try:
                    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 720})
                    context.set_default_timeout(20_000)
                    outcome["value"] = scenario(context)
                finally:
                    browser.close()
        except BaseException as exc:  # handed to the test's thread below
            outcome["error"] = exc


    worker = threading.Thread(target=run, name="tls-browser", daemon=True)
    worker.start()
    worker.join(BROWSER_TIMEOUT_S)
    if worker.is_alive():
        raise AssertionError(f"the TLS browser run took over {BROWSER_TIMEOUT_S}s")
    try:
        if "error" in outcome:
            if any(words in str(outcome["error"]) for words in RENDERER_CRASHED):
                show_browser_log(browser_log_lines(log))
            raise outcome["error"]
        return outcome["value"]
    finally:
        shutil.rmtree(log.parent, ignore_errors=True)


@pytest.fixture(scope="module")
def tls_runs(tmp_path_factory):
    cert, key = self_signed_cert(tmp_path_factory.mktemp("tls"))
    stub = Stub("--seed", "7", "--rate", "4", "--certfile", str(cert), "--keyfile", str(key))
    netloc = urlsplit(stub.url).netloc
    plain = {"api": f"http://{netloc}/api", "ws": f"ws://{netloc}/ws"}

    def scenarios(context):
        page = context.new_page()
        secure = Recorder(page)
        rows = sign_in_live(page, stub.url, login_timeout_ms=90_000)
        secure_result = {"recorder": secure, "rows": rows, "violations": Recorder.csp_violations(page),
                         "state": page.get_attribute("[data-testid=connection-status]", "data-state")}
        page.close()

        page = context.new_page()
        refused = Recorder(page)
        page.goto(f"{stub.url}?api={plain['api']}&ws={plain['ws']}")
        page.wait_for_selector("html:not([data-app-state=loading])", timeout=90_000)
        # A deliberate absence check: room for a request that must not happen (no event marks "none came").
        page.wait_for_timeout(500)
        refused_result = {"recorder": refused, "state": page.get_attribute("html", "data-app-state"),
                          "notice": page.inner_text("[data-testid=config-notice]"),
                          "login_visible": page.is_visible("form[data-testid=login]")}
        page.close()

        page = context.new_page()
        configured = Recorder(page)
        page.route("**/static/config.json", lambda route: route.fulfill(
            status=200, content_type="application/json",
            body=json.dumps({"api_base_url": plain["api"], "ws_base_url": plain["ws"]})))
        page.goto(stub.url)
        page.wait_for_selector("html:not([data-app-state=loading])", timeout=90_000)
        # A deliberate absence check: room for a request that must not happen (no event marks "none came").
        page.wait_for_timeout(500)
        configured_result = {"recorder": configured, "state": page.get_attribute("html", "data-app-state"),
                             "text": page.inner_text("#boot-text"), "visible": page.is_visible("#boot-text"),
                             "login_visible": page.is_visible("form[data-testid=login]")}
        page.close()
        return secure_result, refused_result, configured_result

    try:
        assert stub.url.startswith("https://127.0.0.1:")
        secure, refused, configured = in_own_browser(scenarios)
        yield {"stub": stub, "plain": plain, "secure": secure, "refused": refused, "configured": configured}
    finally:
        stub.stop()


def test_over_https_the_app_goes_live_over_wss_and_never_uses_plain_http_or_ws(tls_runs):
    secure, stub = tls_runs["secure"], tls_runs["stub"]
    recorder = secure["recorder"]
    assert secure["rows"] > 0 and secure["state"] == "open"
    assert recorder.sockets and set(recorder.sockets) == {f"wss://{urlsplit(stub.url).netloc}/ws"}
    network = [url for url in recorder.urls() if not url.startswith(("data:", "blob:"))]
    assert any(url.endswith("/api/snapshot") for url in network)
    assert [url for url in network if not url.startswith(("https://", "wss://"))] == []
    assert secure["violations"] == [] and recorder.csp_console() == []


def test_an_https_page_ignores_http_and_ws_endpoints_from_a_link_with_a_notice(tls_runs):
    refused, plain = tls_runs["refused"], tls_runs["plain"]
    assert refused["state"] == "login" and refused["login_visible"]
    assert "http://" + plain["api"].split("/")[2] in refused["notice"], refused["notice"]
    recorder = refused["recorder"]
    assert [url for url in recorder.urls() if url.startswith((plain["api"], plain["ws"]))] == []
    assert [url for url in recorder.urls() if url.startswith(("http://", "ws://"))] == []


def test_an_https_page_refuses_configured_http_and_ws_endpoints_visibly(tls_runs):
    refused, plain = tls_runs["configured"], tls_runs["plain"]
    assert refused["state"] == "error"
    assert refused["visible"] and not refused["login_visible"]
    assert "https" in refused["text"] and plain["api"] in refused["text"], refused["text"]
    recorder = refused["recorder"]
    asked = [url for url in recorder.urls() if url.startswith((plain["api"], plain["ws"]))]
    assert asked == []
    assert [url for url in recorder.urls() if url.startswith(("http://", "ws://"))] == []
