"""The sync engine against the stub's fault injection, in Chromium: one test per failure.

Every test boots the app with a shortened clock (PROTOCOL.md's schedule, fast):
heartbeat 500 ms, dead after 2 s, backoff 200 * 2**n ms (5 attempts, about 6 s
in all), commands time out after 3 s. A token is handed in the fragment, so
the login form is skipped. The tests read the page only through the stable
hooks of PROTOCOL.md 6 and the diagnostics ``data-*`` counters.

Markers: the simulation never changes a delivery's ``customer``, so events
emitted here set it to a unique text and a test waits for that text.

Booting Pyodide is the slow part (3-8 s; 20-50 s on a loaded machine), so
the tests share one dashboard tab (``live``) on the module's stub: before
each test it is checked (ready, connection open) and booted again if a test
left it otherwise. Only the snapshot race needs a fresh load (its own tab).
The revoke test ends the shared dashboard, so it comes last; in another
order it only costs one more boot.
"""

from __future__ import annotations

import itertools
import json
import time
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from tests.e2e.harness import Stub, recording_tab, show_crash, wait_until

pytestmark = pytest.mark.e2e

FAST = {"heartbeatMs": 500, "deadAfterMs": 2000, "backoffBaseMs": 200, "commandTimeoutMs": 3000,
        "pageRows": 300}  # every row of the default world in the page, found by id
BOOT_TIMEOUT = 120_000  # ms: Pyodide boots in 3-8 s, but took 20-50 s on a machine shared with other runs
CONNECTION = "[data-testid=connection-status]"
DIAGNOSTICS = "[data-testid=diagnostics]"
FINAL = {"delivered", "failed", "cancelled"}

_markers = itertools.count(1)


# --- helpers ------------------------------------------------------------------------------


def boot(page, stub: Stub, **timings) -> str:
    """Open the app with a fresh token in the fragment; wait for the first snapshot and an open socket."""
    token = stub.login_token()
    if page.url != "about:blank":
        page.goto("about:blank")  # a new fragment alone would not load the page again
    page.goto(f"{stub.url}?{urlencode({**FAST, **timings})}#token={token}")
    page.wait_for_selector("html[data-app-state=ready]", state="attached", timeout=BOOT_TIMEOUT)
    wait_state(page, "open")
    return token


def wait_state(page, state: str, timeout: float = 20_000) -> None:
    page.wait_for_selector(f"{CONNECTION}[data-state={state}]", state="attached", timeout=timeout)


def state(page) -> str:
    return page.get_attribute(CONNECTION, "data-state")


def diag(page) -> dict:
    """The diagnostics counters as ints (``data-last-seq`` -> ``last_seq``); empty text -> None."""
    raw = page.eval_on_selector(DIAGNOSTICS, "el => Object.assign({}, el.dataset)")
    out = {}
    for key, value in raw.items():
        name = "".join("_" + c.lower() if c.isupper() else c for c in key)
        out[name] = int(value) if value.lstrip("-").isdigit() else (None if value == "" else value)
    return out


def fresh_diag(page) -> dict:
    """The counters once the panel has refreshed after this call (it does on renders and every
    second; a frame arrives at least every heartbeat, so ``data-received`` moves each time)."""
    received = page.get_attribute(DIAGNOSTICS, "data-received")
    page.wait_for_function(
        f"(r) => document.querySelector('{DIAGNOSTICS}').getAttribute('data-received') !== r",
        arg=received, timeout=10_000,
    )
    return diag(page)


def wait_diag(page, key: str, op: str, value: int, timeout: float = 15_000) -> None:
    """Wait until ``data-<key> <op> value`` on the diagnostics panel (refreshed every second)."""
    assert op in (">", ">=", "==")
    page.wait_for_function(
        f"([key, value]) => {{ const el = document.querySelector('{DIAGNOSTICS}');"
        f" return !!el && el.getAttribute('data-' + key) !== '' && +el.getAttribute('data-' + key) {op.replace('==', '===')} value; }}",
        arg=[key, value], timeout=timeout,
    )


def row_selector(delivery_id: str, field: str | None = None) -> str:
    row = f'[data-testid=delivery-row][data-id="{delivery_id}"]'
    return f"{row} [data-field={field}]" if field else row


def field_value(page, delivery_id: str, field: str) -> str | None:
    return page.get_attribute(row_selector(delivery_id, field), "data-value")


def wait_field(page, delivery_id: str, field: str, value: str, timeout: float = 15_000) -> None:
    page.wait_for_function(
        "([sel, value]) => document.querySelector(sel)?.getAttribute('data-value') === value",
        arg=[row_selector(delivery_id, field), value], timeout=timeout,
    )


def open_deliveries(stub: Stub, token: str, n: int) -> list[str]:
    """The ``n`` newest deliveries not in a final status: the last the stub would retire."""
    status, snapshot = stub.api("GET", "snapshot", token=token)
    assert status == 200, snapshot
    ids = [d["id"] for d in snapshot["deliveries"] if d["status"] not in FINAL]
    assert len(ids) >= n
    return ids[-n:]


def marker(label: str) -> str:
    return f"E2E {label} #{next(_markers)} {time.monotonic():.3f}"


def emit_customer(stub: Stub, delivery_id: str, customer: str, broadcast: bool = True) -> int:
    """Emit a delivery_update that sets ``customer``; return its seq."""
    event = {"type": "delivery_update", "deliveryId": delivery_id, "changes": {"customer": customer}}
    return stub.control("emit", {"event": event, "broadcast": broadcast})["seq"]


def count_opens(page) -> None:
    """Count, in the page, every switch of the connection indicator to ``open`` (window.__opens)."""
    page.evaluate(
        """(sel) => {
            const node = document.querySelector(sel);
            window.__opens = 0;
            window.__states = [node.getAttribute('data-state')];
            new MutationObserver(() => {
                const s = node.getAttribute('data-state');
                if (s !== window.__states[window.__states.length - 1]) {
                    window.__states.push(s);
                    if (s === 'open') window.__opens += 1;
                }
            }).observe(node, {attributes: true, attributeFilter: ['data-state']});
        }""",
        CONNECTION,
    )


def opens(page) -> int:
    return page.evaluate("() => window.__opens")


@pytest.fixture(scope="module")
def shared_tab(browser_context):
    """The module's one dashboard tab, in a holder: ``live`` replaces a tab whose renderer crashed."""
    held = {"tab": recording_tab(browser_context)}
    yield held
    show_crash(held["tab"])
    held["tab"].close()


@pytest.fixture
def live(shared_tab, stub, browser_context):
    """The shared dashboard, ready and open on the module's stub; booted (again) when it is not, in a
    new tab when its renderer crashed (the crashed test's rerun)."""
    if shared_tab["tab"].crashed:
        show_crash(shared_tab["tab"])
        shared_tab["tab"].close()
        shared_tab["tab"] = recording_tab(browser_context)
    tab = shared_tab["tab"]
    tab.log_from = len(tab.console_messages_seen)
    healthy = tab.url.startswith(stub.url) and tab.evaluate(
        "() => document.documentElement.dataset.appState") == "ready"
    if healthy:
        try:
            wait_state(tab, "open", timeout=10_000)
        except Exception:
            healthy = False
    if not healthy:
        boot(tab, stub)
    tab.token = stub.login_token()  # for REST reads: the tab's own token stays in the tab
    return tab


@pytest.fixture(autouse=True)
def _report(request, stub):
    """On failure, pytest shows what the page logged (the client logs every state change)."""
    yield
    for name in ("live", "page"):
        tab = request.node.funcargs.get(name)
        if tab is not None:
            lines = tab.console_messages_seen[getattr(tab, "log_from", 0):]
            print(f"--- {name}: console (last 80 of {len(lines)}) ---")
            print("\n".join(lines[-80:]))
    print("--- stub (last 20) ---")
    print("\n".join(stub.lines[-20:]))


@pytest.fixture(autouse=True)
def _faults_off(stub):
    """Leave the shared stub as found, whatever a test did to it."""
    yield
    for route, body in (("refuse", {"seconds": 0}), ("silence", {"on": False}), ("snapshot_delay", {"ms": 0})):
        try:
            stub.control(route, body)
        except Exception as exc:  # pragma: no cover - a dead stub fails the next test anyway
            print(f"could not reset {route}: {exc}")


# --- 1. abrupt drop, resume --------------------------------------------------------------------


def test_abrupt_drop_resumes_with_nothing_lost(live, stub):
    page = live
    ids = open_deliveries(stub, live.token, 5)
    before = fresh_diag(page)

    stub.control("refuse", {"seconds": 60})  # lifted by hand below, once the events are in
    stub.control("drop", {"code": None})  # no close frame: what a dead network looks like
    wait_state(page, "reconnecting", timeout=10_000)
    values = {delivery_id: marker("drop") for delivery_id in ids}
    seqs = [emit_customer(stub, delivery_id, value) for delivery_id, value in values.items()]
    shown = page.evaluate("(sels) => sels.map(s => document.querySelector(s).getAttribute('data-value'))",
                          [row_selector(delivery_id, "customer") for delivery_id in ids])
    stub.control("refuse", {"seconds": 0})  # before the ~5 s schedule runs out
    assert not set(shown) & set(values.values()), "nothing can have come through a dead socket"

    wait_state(page, "open", timeout=20_000)
    for delivery_id, value in values.items():
        wait_field(page, delivery_id, "customer", value)
    wait_diag(page, "last-seq", ">=", max(seqs))
    after = fresh_diag(page)
    assert after["sockets"] > before["sockets"]
    assert after["resyncs"] == before["resyncs"], "the welcome should have resumed: no snapshot reload"
    assert after["invalid"] == before["invalid"]


# --- 2. refused past the schedule: offline, then "retry now" -----------------------------------------


def test_refused_past_the_schedule_goes_offline_and_retry_now_recovers(live, stub):
    page = live
    before = fresh_diag(page)
    button = page.locator("[data-testid=reconnect-now]")
    count_opens(page)
    bar_height = page.locator("header.topbar").bounding_box()["height"]

    stub.control("refuse", {"seconds": 120})
    stub.control("drop", {"code": 1012})
    wait_state(page, "reconnecting", timeout=10_000)
    wait_state(page, "offline", timeout=30_000)  # 5 attempts after 200 * 2**n ms (+-20%): about 6 s
    button.wait_for(state="visible", timeout=5_000)
    banner_reads_whole_and_stays_in_view(page, bar_height)
    totals = stub.stats()["totalConnections"]

    stub.control("refuse", {"seconds": 0})
    button.click()
    wait_state(page, "open", timeout=15_000)
    assert stub.stats()["totalConnections"] == totals + 1, "retry now makes one attempt, and it works"
    assert page.evaluate("() => window.__states") == ["open", "reconnecting", "offline", "connecting", "open"]
    button.wait_for(state="hidden", timeout=5_000)
    after = fresh_diag(page)
    assert after["sockets"] > before["sockets"]
    assert after["resyncs"] == before["resyncs"], "resumed after the outage, not reloaded"


def banner_reads_whole_and_stays_in_view(page, bar_height: float) -> None:
    """At 1280 px the sentence was cut ("...; tryin…"), "Retry now" broke onto two lines and the bar
    grew; scrolled down to the messages, the bar (and with it the banner) was off screen."""
    text = page.locator("#connection-text")
    assert text.evaluate("e => e.scrollHeight <= e.clientHeight + 1 && e.scrollWidth <= e.clientWidth"), \
        text.text_content()
    retry = page.locator("[data-testid=reconnect-now]").bounding_box()
    assert retry["height"] < 30, retry  # one line
    assert page.locator("header.topbar").bounding_box()["height"] == pytest.approx(bar_height, abs=0.5)
    page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
    try:
        box = page.locator("[data-testid=connection-status]").bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"], box
    finally:
        page.evaluate("() => window.scrollTo(0, 0)")


# --- 4. silent server -------------------------------------------------------------------------------


def test_silent_server_is_detected_and_data_catches_up(live, stub):
    page = live
    (delivery_id,) = open_deliveries(stub, live.token, 1)
    before = fresh_diag(page)
    connections = stub.stats()["totalConnections"]

    stub.control("silence", {"on": True})
    value = marker("silence")
    seq = emit_customer(stub, delivery_id, value)  # journaled, never sent while silent
    wait_state(page, "reconnecting", timeout=10_000)  # nothing heard for deadAfterMs (2 s)
    wait_until(lambda: stub.stats()["totalConnections"] > connections, timeout=10,
               message="a new socket in place of the silent one")
    assert field_value(page, delivery_id, "customer") != value
    stub.control("silence", {"on": False})

    wait_state(page, "open", timeout=20_000)
    wait_field(page, delivery_id, "customer", value)
    wait_diag(page, "last-seq", ">=", seq)
    assert fresh_diag(page)["resyncs"] == before["resyncs"], "resumed, not reloaded"


# --- 5. seq gap ---------------------------------------------------------------------------------------


def test_seq_gap_reloads_the_snapshot(live, stub):
    page = live
    hidden_id, shown_id = open_deliveries(stub, live.token, 2)
    before = fresh_diag(page)

    hidden, shown = marker("gap hidden"), marker("gap shown")
    emit_customer(stub, hidden_id, hidden, broadcast=False)  # never sent live: a lost frame
    seq = emit_customer(stub, shown_id, shown)

    wait_diag(page, "resyncs", ">", before["resyncs"])
    wait_field(page, hidden_id, "customer", hidden)
    wait_field(page, shown_id, "customer", shown)
    wait_diag(page, "last-seq", ">=", seq)
    assert state(page) == "open"
    assert fresh_diag(page)["sockets"] == before["sockets"], "a gap reloads the snapshot, not the socket"


# --- 6. duplicates and malformed frames ---------------------------------------------------------------


def test_duplicate_and_malformed_frames_are_counted_and_later_events_apply(live, stub):
    page = live
    target, later_id = open_deliveries(stub, live.token, 2)
    value = marker("applied")
    seq = emit_customer(stub, target, value)
    wait_field(page, target, "customer", value)
    wait_diag(page, "last-seq", ">=", seq)
    before = fresh_diag(page)

    def update(seq_, changes):
        return json.dumps({"type": "delivery_update", "seq": seq_, "deliveryId": target, "changes": changes})

    frames = {
        "duplicate": update(seq, {"customer": value}),  # the applied event again, with its old seq
        "stale": update(seq, {"customer": "stale: must not show"}),  # its old seq with other data
        "not json": "not json",
        "unknown enum": update(10**9, {"status": "teleported"}),
        "too large": json.dumps({"type": "new_communication", "seq": 10**9, "communication": {
            "id": "C-big", "from": "S-1", "to": "coordinators", "body": "x" * (70 * 1024),
            "sentAt": "2026-11-26T13:58:00Z"}}),
        "unknown type": json.dumps({"type": "route_update", "seq": 10**9, "routeId": "R-1"}),
    }
    for frame in frames.values():
        assert stub.control("raw", {"frame": frame})["sockets"] >= 1

    later = marker("later")
    later_seq = emit_customer(stub, later_id, later)  # sent after the bad frames, on the same socket
    wait_field(page, later_id, "customer", later)
    wait_diag(page, "last-seq", ">=", later_seq)
    wait_diag(page, "unknown", ">=", before["unknown"] + 1)

    after = fresh_diag(page)
    assert after["duplicates"] == before["duplicates"] + 2
    assert after["invalid"] == before["invalid"] + 3
    assert after["unknown"] == before["unknown"] + 1
    assert after["resyncs"] == before["resyncs"]
    assert after["sockets"] == before["sockets"], "bad frames do not cost the connection"
    assert field_value(page, target, "customer") == value
    assert state(page) == "open"


# --- 7. an event during the snapshot load ---------------------------------------------------------------


def test_event_during_snapshot_load_is_held_not_lost(page, stub):
    token = stub.login_token()
    (delivery_id,) = open_deliveries(stub, token, 1)
    stub.control("snapshot_delay", {"ms": 3000})
    # The snapshot prefetched during the boot would be shown first and resumed from (no load after the
    # welcome): refuse that one, so the app takes the contract's path, welcome then snapshot.
    refused = []

    def refuse_the_first(route):
        if refused:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.fulfill(status=503, body="busy")

    page.route("**/api/snapshot", refuse_the_first)
    page.goto(f"{stub.url}?{urlencode(FAST)}#token={token}")
    wait_state(page, "syncing", timeout=BOOT_TIMEOUT)  # welcome received: the snapshot is on its way

    value = marker("held")
    seq = emit_customer(stub, delivery_id, value)
    assert page.evaluate("() => document.documentElement.dataset.appState") == "loading", \
        "the event must arrive while the snapshot loads"
    stub.control("snapshot_delay", {"ms": 0})

    page.wait_for_selector("html[data-app-state=ready]", state="attached", timeout=20_000)
    wait_state(page, "open", timeout=20_000)  # in sync: never "open" before (PROTOCOL.md 3, v2)
    wait_field(page, delivery_id, "customer", value)
    wait_diag(page, "last-seq", ">=", seq)
    assert diag(page)["resyncs"] == 0


# --- 8. optimistic change refused: rollback -----------------------------------------------------------------


def test_refused_change_rolls_back_with_a_reason(live, stub):
    page = live
    (delivery_id,) = open_deliveries(stub, live.token, 1)
    stub.control("emit", {"event": {"type": "delivery_update", "deliveryId": delivery_id,
                                    "changes": {"status": "delivered"}}})
    wait_field(page, delivery_id, "status", "delivered")
    row = page.locator(row_selector(delivery_id))
    row.scroll_into_view_if_needed()
    page.evaluate(  # every (status, pending) the row goes through, however briefly
        """(sel) => {
            const row = document.querySelector(sel);
            const cell = row.querySelector('[data-field=status]');
            window.__seen = [];
            const note = () => window.__seen.push([cell.getAttribute('data-value'), row.getAttribute('data-pending')]);
            new MutationObserver(note).observe(row, {attributes: true, subtree: true,
                attributeFilter: ['data-value', 'data-pending']});
        }""",
        row_selector(delivery_id),
    )

    select = row.locator("select[data-action=set-status]")
    select.focus()
    select.select_option("in_transit")

    page.wait_for_function("() => window.__seen.some(([v, p]) => v === 'in_transit' && p === 'true')",
                           timeout=5_000)
    wait_field(page, delivery_id, "status", "delivered", timeout=10_000)
    page.wait_for_function("(sel) => !document.querySelector(sel).hasAttribute('data-pending')",
                           arg=row_selector(delivery_id), timeout=10_000)
    assert row.get_attribute("data-status") == "delivered"
    row.scroll_into_view_if_needed()
    expect(row).to_contain_text("refused")
    status, current = stub.api("GET", f"deliveries/{delivery_id}", token=live.token)
    assert (status, current["status"]) == (200, "delivered")


# --- 9. one socket at a time ------------------------------------------------------------------------------------


def test_at_most_one_socket_is_open_across_reconnects(live, stub):
    page = live  # the only tab connected to the module's stub (the others are closed by now)
    count_opens(page)
    wait_until(lambda: stub.stats()["openSockets"] == 1, timeout=10, message="a closed tab's socket to go")
    stub.control("reset_stats")
    assert stub.stats()["maxOpenSockets"] == 1

    for code in (None, 1012, 4000, None, 1011):
        seen = opens(page)
        stub.control("drop", {"code": code})
        page.wait_for_function("(n) => window.__opens > n", arg=seen, timeout=15_000)
    # The client gives up on a silent socket itself (close 4000) and opens the next one.
    seen = opens(page)
    stub.control("silence", {"on": True})
    wait_state(page, "reconnecting", timeout=10_000)
    stub.control("silence", {"on": False})
    page.wait_for_function("(n) => window.__opens > n", arg=seen, timeout=20_000)
    # The browser says "online" while a retry is pending: the client tries at once, still one socket.
    seen = opens(page)
    stub.control("refuse", {"seconds": 60})
    stub.control("drop", {"code": None})
    wait_state(page, "reconnecting", timeout=10_000)
    stub.control("refuse", {"seconds": 0})
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    page.wait_for_function("(n) => window.__opens > n", arg=seen, timeout=15_000)

    stats = wait_until(lambda: (s := stub.stats())["openSockets"] == 1 and s, timeout=5,
                       message="exactly one socket open at the end")
    assert stats["maxOpenSockets"] == 1, stats
    assert stats["totalConnections"] >= 7, stats


# --- 10. no proxy leak over reconnects ---------------------------------------------------------------------------


def test_reconnects_do_not_leak_proxies(live, stub):
    page = live
    count_opens(page)

    def reconnect(code):
        seen = opens(page)
        stub.control("drop", {"code": code})
        page.wait_for_function("(n) => window.__opens > n", arg=seen, timeout=15_000)

    def proxies_now() -> int:
        # One new socket per reconnect: once the panel shows them all, its proxy count is fresh too.
        wait_diag(page, "sockets", ">=", first_sockets + opens(page))
        return diag(page)["proxies"]

    first_sockets = fresh_diag(page)["sockets"]
    reconnect(1012)
    baseline = proxies_now()
    for i in range(20):
        reconnect(None if i % 2 else 1012)
    after = proxies_now()
    assert after <= baseline, f"{after - baseline} proxies more after 20 reconnects ({baseline} -> {after})"
    assert state(page) == "open"


# --- 3. 4401: login, and no more attempts (last: it ends the shared dashboard) ------------------------------------


def test_revoked_token_shows_login_and_stops_connecting(live, stub):
    page = live
    stub.control("revoke")  # every token of this stub; each test logs in afresh
    page.wait_for_selector("html[data-app-state=login]", state="attached", timeout=15_000)
    page.wait_for_selector("form[data-testid=login]", state="visible", timeout=5_000)
    wait_state(page, "unauthorized", timeout=5_000)
    first = stub.stats()
    errors = len([line for line in page.console_messages_seen if line.startswith("pageerror")])
    # What would make a live client retry at once must not wake a signed-out one.
    page.evaluate("""() => {
        window.dispatchEvent(new Event('online'));
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    # A deliberate absence check, the one sleep kept: nothing can be waited for when the point is that
    # no attempt comes. 3 s is longer than four backoff delays (0.2 + 0.4 + 0.8 + 1.6 s).
    time.sleep(3.0)
    later = stub.stats()
    assert later["totalConnections"] == first["totalConnections"], "no attempt after 4401"
    assert later["openSockets"] == 0
    assert state(page) == "unauthorized"
    new_errors = [line for line in page.console_messages_seen if line.startswith("pageerror")][errors:]
    assert not new_errors, new_errors  # e.g. a listener of the stopped client calling a destroyed proxy
    assert page.evaluate("() => sessionStorage.getItem('dc.token')") is None, "the dead token is forgotten"
