"""Drive one coordinator's shift in Chromium: sign in, change rows, send messages, watch what the page goes through.

Shared by ``test_lost_work.py`` (one fault per test) and ``bench/soak.py``
(every fault, ten minutes). Everything reads the page through PROTOCOL.md 6's
hooks; every wait is a selector or a polled predicate with a deadline.

    page.add_init_script(script=WATCH_JS)      # before the first goto: records every state
    sign_in(page, stub, FAST)                  # the login form, then ready and open
    set_status(page, "D-1042", "picked_up")    # through the row's select, as a user would
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from tests.e2e.harness import Stub, wait_until

#: A shortened clock (PROTOCOL.md 3's schedule, fast), as test_sync_faults.py uses, plus a
#: slow retry of 3 s so that a page that went offline comes back within a test's patience.
FAST = {"heartbeatMs": 500, "deadAfterMs": 2000, "backoffBaseMs": 200, "commandTimeoutMs": 5000,
        "slowRetryMs": 3000, "pageRows": 300}
BOOT_TIMEOUT = 120_000  # ms: Pyodide boots in 3-8 s, but 20-50 s on a machine shared with other runs
CONNECTION = "[data-testid=connection-status]"
DIAGNOSTICS = "[data-testid=diagnostics]"
OUTBOX = "[data-testid=outbox]"
LOGIN = "form[data-testid=login]"
FINAL = {"delivered", "failed", "cancelled"}
CARRYING = ("assigned", "picked_up", "in_transit")

#: Installed before the page's own scripts (Playwright init script, so outside the CSP): every
#: app state, connection state and banner text the page shows, and every time the login form
#: is shown, in order. ``window.__watch`` is cleared by ``reset_watch``.
WATCH_JS = """(() => {
    const w = window.__watch = {app: [], conn: [], texts: [], loginShown: 0};
    const last = (list) => list[list.length - 1];
    const note = () => {
        const html = document.documentElement;
        if (!html) return;  // the init script runs before the document exists
        const app = html.getAttribute('data-app-state');
        if (app !== last(w.app)) w.app.push(app);
        const conn = document.querySelector('[data-testid=connection-status]');
        if (conn) {
            const s = conn.getAttribute('data-state');
            if (s !== last(w.conn)) w.conn.push(s);
            const text = conn.querySelector('#connection-text');
            if (text && text.textContent !== last(w.texts)) w.texts.push(text.textContent);
        }
        const login = document.getElementById('login-view');
        const shown = !!login && !login.hidden;
        if (shown && !w.loginVisible) w.loginShown += 1;
        w.loginVisible = shown;
    };
    new MutationObserver(note).observe(document, {attributes: true, subtree: true, childList: true,
        characterData: true, attributeFilter: ['data-app-state', 'data-state', 'hidden']});
    note();
})();"""


def url(stub: Stub, timings: dict, fragment: str = "") -> str:
    return f"{stub.url}?{urlencode(timings)}{fragment}"


def sign_in(page, stub: Stub, timings: dict, username: str = "demo", password: str = "demo") -> None:
    """Open the app with no stored outbox, sign in through the form, wait for the board and an open socket."""
    forget_stored_outboxes(page, stub)
    page.goto(url(stub, timings))
    page.wait_for_selector("html[data-app-state=login]", state="attached", timeout=BOOT_TIMEOUT)
    fill_login(page, username, password)
    wait_ready(page)


def forget_stored_outboxes(page, stub: Stub) -> None:
    """Delete the origin's IndexedDB databases (the stored outboxes) from a page of the origin that holds none
    open: a test that failed must not hand its commands to the next one through the shared profile."""
    page.goto(stub.url + "static/favicon.svg")
    page.evaluate("""async () => {
        const dbs = await indexedDB.databases();
        await Promise.all(dbs.map(d => new Promise(done => {
            const request = indexedDB.deleteDatabase(d.name);
            request.onsuccess = request.onerror = request.onblocked = () => done();
        })));
    }""")


def fill_login(page, username: str = "demo", password: str = "demo") -> None:
    page.wait_for_selector(LOGIN, state="visible", timeout=30_000)
    page.fill(f"{LOGIN} [name=username]", username)
    page.fill(f"{LOGIN} [name=password]", password)
    page.click(f"{LOGIN} [type=submit]")


def wait_ready(page, timeout: float = BOOT_TIMEOUT) -> None:
    page.wait_for_selector("html[data-app-state=ready]", state="attached", timeout=timeout)
    wait_state(page, "open", timeout=timeout)


def wait_state(page, state: str, timeout: float = 20_000) -> None:
    page.wait_for_selector(f"{CONNECTION}[data-state={state}]", state="attached", timeout=timeout)


def watch(page) -> dict:
    return page.evaluate("() => window.__watch")


def reset_watch(page) -> None:
    page.evaluate("""() => { const w = window.__watch; w.app = [w.app[w.app.length - 1]];
        w.conn = [w.conn[w.conn.length - 1]]; w.texts = []; w.loginShown = 0; }""")


def page_errors(page) -> list[str]:
    return [line for line in page.console_messages_seen if line.startswith("pageerror")]


# --- rows ------------------------------------------------------------------------------------


def row(delivery_id: str) -> str:
    return f'[data-testid=delivery-row][data-id="{delivery_id}"]'


def field(page, delivery_id: str, name: str) -> str | None:
    return page.get_attribute(f"{row(delivery_id)} [data-field={name}]", "data-value")


def pending(page, delivery_id: str) -> bool:
    return page.get_attribute(row(delivery_id), "data-pending") == "true"


def wait_row(page, delivery_id: str, name: str, value: str, *, settled: bool = True,
             timeout: float = 30_000) -> None:
    """Until the row shows ``value`` in ``name`` (and, if ``settled``, is no longer pending)."""
    base = row(delivery_id) + (":not([data-pending])" if settled else "")
    page.wait_for_selector(f'{base} [data-field={name}][data-value="{value}"]', state="attached",
                           timeout=timeout)


def set_status(page, delivery_id: str, status: str) -> None:
    page.locator(f"{row(delivery_id)} select[data-action=set-status]").select_option(status)  # every status, always


def assign(page, delivery_id: str, staff_id: str) -> None:
    """Through the assign combobox (PROTOCOL.md 6): type the id, pick its option."""
    combobox = page.locator(f"{row(delivery_id)} input[data-action=assign][role=combobox]")
    combobox.fill(staff_id)
    page.locator(f"{row(delivery_id)} [role=option][data-value='{staff_id}']").click()


def send_message(page, body: str, to: str = "coordinators") -> None:
    """Through the compose form; returns once the form took it (the box empties on acceptance)."""
    form = "form[data-testid=comms-compose]"
    page.select_option(f"{form} [name=to]", to)
    page.fill(f"{form} textarea[name=body]", body)
    page.click(f"{form} [type=submit]")


def compose_accepted(page) -> bool:
    return page.input_value("form[data-testid=comms-compose] textarea[name=body]") == ""


# --- outbox and diagnostics ----------------------------------------------------------------------


def outbox_counts(page) -> tuple[int, int]:
    return (int(page.get_attribute(OUTBOX, "data-count")), int(page.get_attribute(OUTBOX, "data-failed")))


def wait_outbox(page, count: int, failed: int = 0, timeout: float = 30_000) -> None:
    page.wait_for_selector(f'{OUTBOX}[data-count="{count}"][data-failed="{failed}"]', state="attached",
                           timeout=timeout)


def outbox_items(page) -> list[dict]:
    """Every ``[data-testid=outbox-item]``: id (the command's idempotency key), state, kind, summary, error, buttons."""
    return page.eval_on_selector_all("[data-testid=outbox-item]", """items => items.map(i => ({
        id: i.dataset.id, state: i.dataset.state, kind: i.dataset.kind,
        summary: i.querySelector('[data-field=summary]').textContent,
        error: i.querySelector('[data-field=error]').textContent,
        buttons: [...i.querySelectorAll('button[data-action]')].map(b => b.dataset.action)}))""")


def diag(page, key: str) -> int | None:
    value = page.get_attribute(DIAGNOSTICS, f"data-{key}")
    return int(value) if value and value.lstrip("-").isdigit() else None


def wait_diag_at_least(page, key: str, value: int, timeout: float = 20.0) -> int:
    return wait_until(lambda: (n := diag(page, key)) is not None and n >= value and n, timeout=timeout,
                      interval=0.2, message=f"diagnostics {key} >= {value}")


# --- the server's side ------------------------------------------------------------------------------


def applied(stub: Stub, user_id: str | None = None) -> dict:
    """``{idempotency key: times it changed the world}`` (``/_control/applied``)."""
    return stub.control("applied" + (f"?userId={user_id}" if user_id else ""), method="GET")


def carried(stub: Stub, token: str, n: int) -> list[dict]:
    """``n`` deliveries that have someone assigned and are not final: any CARRYING status is allowed."""
    status, snapshot = stub.api("GET", "snapshot", token=token)
    assert status == 200, snapshot
    found = [d for d in snapshot["deliveries"] if d["status"] in CARRYING and d["assignedTo"]]
    assert len(found) >= n, f"only {len(found)} deliveries with a carrier"
    return found[-n:]


def other_status(delivery: dict) -> str:
    return next(s for s in CARRYING if s != delivery["status"])


def other_staff(stub: Stub, token: str, delivery: dict) -> str:
    status, snapshot = stub.api("GET", "snapshot", token=token)
    assert status == 200
    return next(s["id"] for s in snapshot["staff"] if s["id"] != delivery["assignedTo"])


def countdown_seconds(texts: list[str]) -> list[int]:
    """The seconds of every "trying again in N ..." banner text, in order."""
    out = []
    for text in texts:
        match = re.search(r"trying again in (\d+)", text or "")
        if match:
            out.append(int(match.group(1)))
    return out
