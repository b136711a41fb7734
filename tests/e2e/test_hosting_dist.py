"""The built dist/ on a plain static server, the stub on another origin: the way a host runs it.

One run, three findings: ``scripts/build.py`` makes dist/, ``python -m
http.server`` serves it on one port, the stub runs on another with
``--allow-origin`` for the first, and dist/static/config.json points the app
at the stub with absolute URLs. The page logs in and goes live across
origins, under the hosting CSP (delivered here in a ``<meta>``, the way a
host that cannot send headers would; the stub's header policy is
test_hosting_csp.py), and the token never shows in a URL or a log line.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest

from server_stub.security import content_security_policy
from tests.e2e.harness import Stub
from tests.e2e.hosting import Recorder, StaticServer, build_dist, sign_in_live


@pytest.fixture(scope="module")
def hosted(tmp_path_factory, browser_context):
    dist = tmp_path_factory.mktemp("hosting") / "dist"
    dist.mkdir()
    static = StaticServer(dist)  # serves the folder by its path: the build moves into it below
    stub = Stub("--seed", "7", "--rate", "4", "--allow-origin", static.origin)
    page = None
    try:
        api = stub.url.rstrip("/")
        ws = "ws://" + urlsplit(stub.url).netloc
        # The policy travels with the build: the backend on another origin through --connect-src.
        build_dist(dist, "--connect-src", api, "--connect-src", ws)
        (dist / "static" / "config.json").write_text(json.dumps({"api_base_url": api + "/api",
                                                                 "ws_base_url": ws + "/ws"}))
        (policy,) = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">',
                               (dist / "index.html").read_text())
        assert policy == content_security_policy([api, ws], meta=True)

        page = browser_context.new_page()
        recorder = Recorder(page)
        rows = sign_in_live(page, static.url, login_timeout_ms=60_000)
        yield {
            "page": page, "recorder": recorder, "rows": rows, "static": static, "stub": stub,
            "token": page.evaluate("sessionStorage.getItem('dc.token')"),
            "local_storage": page.evaluate("Object.keys(localStorage)"),
            "violations": Recorder.csp_violations(page), "policy": policy,
        }
    finally:
        if page is not None:
            page.close()
        stub.stop()
        static.stop()


def test_the_built_app_on_a_static_server_goes_live_against_a_stub_on_another_origin(hosted):
    static, stub, recorder = hosted["static"], hosted["stub"], hosted["recorder"]
    assert hosted["page"].get_attribute("html", "data-app-state") == "ready"
    assert hosted["rows"] > 0
    stub_origin = "http://" + urlsplit(stub.url).netloc
    api_calls = [url for url in recorder.requests if url.startswith(stub_origin + "/api/")]
    assert any(url.endswith("/api/login") for url in api_calls), recorder.requests
    assert any(url.endswith("/api/snapshot") for url in api_calls), recorder.requests
    assert recorder.sockets and set(recorder.sockets) == {"ws://" + urlsplit(stub.url).netloc + "/ws"}
    # Everything else came from the static host, and from the hashed folders of the build.
    page_files = [url for url in recorder.requests if not url.startswith(stub_origin)]
    assert page_files and all(url.startswith(static.origin + "/") for url in page_files), page_files
    paths = {urlsplit(url).path for url in page_files}
    assert {"/", "/static/config.json"} <= paths
    assert any(p.startswith("/runtime/") and p.endswith("/pyodide.asm.wasm") for p in paths), paths
    assert all(p in ("/", "/static/config.json") or p.startswith(("/assets/", "/runtime/")) for p in paths), paths
    # The stub never served a page file: only /api and /ws were asked of it.
    assert all(urlsplit(url).path.startswith("/api/") for url in recorder.requests if url.startswith(stub_origin))


def test_no_csp_violation_across_origins(hosted):
    assert "'unsafe-eval'" not in hosted["policy"] and "'unsafe-inline'" not in hosted["policy"]
    assert hosted["violations"] == []
    assert hosted["recorder"].csp_console() == []
    errors = [line for line in hosted["recorder"].console if line.startswith(("error:", "pageerror:"))]
    assert errors == []


def test_the_token_stays_out_of_urls_logs_and_local_storage(hosted):
    token = hosted["token"]
    assert token and len(token) >= 16
    recorder = hosted["recorder"]
    assert [url for url in recorder.urls() if token in url] == []
    assert [line for line in recorder.console if token in line] == []
    assert [line for line in hosted["stub"].lines if token in line] == []
    assert [line for line in hosted["static"].lines if token in line] == []
    assert token not in hosted["page"].url
    assert hosted["local_storage"] == []
    # The static host's access log saw the page files only, never an /api path.
    assert hosted["static"].lines and not any("/api/" in line for line in hosted["static"].lines)


def test_the_built_policy_holds_whatever_the_query_says(hosted, browser_context):
    """The CSP is the build's <meta>: a link cannot widen connect-src (nor anything else)."""
    page = browser_context.new_page()
    try:
        page.route("**/pyscript-csp.mjs", lambda route: route.abort())  # no Python needed: the policy is the page's
        Recorder(page)
        elsewhere = "http://127.0.0.1:9/api/login"  # no origin of the policy
        page.goto(hosted["static"].url + f"?api={elsewhere}&ws=ws://127.0.0.1:9/ws&connect-src=*&csp=none")
        assert page.evaluate("(url) => fetch(url).then(() => 'fetched', () => 'refused')", elsewhere) == "refused"
        violations = Recorder.csp_violations(page)
        assert [(v["directive"], v["blocked"]) for v in violations] == [("connect-src", elsewhere)]
        # The same request to the configured backend is allowed by the same policy.
        stub_api = hosted["stub"].url + "api/snapshot"
        assert page.evaluate("(url) => fetch(url).then(() => 'fetched', () => 'refused')", stub_api) == "fetched"
    finally:
        page.close()
