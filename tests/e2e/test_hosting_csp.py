"""The app under the stub's strict Content-Security-Policy: no 'unsafe-eval', no 'unsafe-inline'.

The stub sends the policy of server_stub/security.py on index.html. The page
must log in and go live under it without one violation: an init script
records every ``securitypolicyviolation`` event and the console is searched
for CSP complaints. An inline script planted at the end proves the policy is
enforced and the listener hears it (else an empty list would prove nothing).
"""

from __future__ import annotations

import urllib.request
from urllib.parse import urlsplit

from tests.e2e.conftest import log_in, open_app
from tests.e2e.hosting import Recorder, wait_ready_with_live_rows


def test_the_app_runs_under_the_stubs_policy_without_a_violation(page, stub):
    with urllib.request.urlopen(stub.url, timeout=10) as answer:
        policy = answer.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self' 'wasm-unsafe-eval'"
    assert "unsafe-inline" not in policy and "'unsafe-eval'" not in policy
    assert directives["connect-src"] == f"'self' ws://{urlsplit(stub.url).netloc}"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'"

    recorder = Recorder(page)
    open_app(page, stub)
    log_in(page)
    assert wait_ready_with_live_rows(page) > 0
    assert page.get_attribute("[data-testid=connection-status]", "data-state") == "open"
    assert Recorder.csp_violations(page) == []
    assert recorder.csp_console() == []

    # The policy is really in force, and the listener really hears a violation: an
    # inline script added to the page does not run. (Playwright's own evaluate is
    # exempt from CSP, so the probe has to be a script element of the page.)
    page.evaluate("""() => {
        const probe = document.createElement("script");
        probe.textContent = "window.__inlineRan = true";
        document.head.append(probe);
    }""")
    page.wait_for_function("() => window.__cspViolations.length > 0", timeout=5_000)
    assert page.evaluate("window.__inlineRan === undefined")
    seen = Recorder.csp_violations(page)
    assert [(v["directive"], v["blocked"]) for v in seen] == [("script-src-elem", "inline")]
