"""A whole shift without lost work, in Chromium against the stub: one test per thing that goes wrong (issue 12).

Token refresh, a revoked session with commands queued, a reload while
offline, an epoch restart, a 45 s outage, another user's identical change, a
deeply nested error body, a version-1 backend, and the outbox's Retry and
Discard. "Applied exactly once" is read from the stub (``/_control/applied``:
idempotency key -> times it changed the world); a command's key is its outbox
item's ``data-id``. Each test opens its own tab (conftest's ``page``, which
records page errors); the module's stub runs with the simulation off, so only
the test changes the deliveries it picks. Timings: ``shift.FAST``.
"""

from __future__ import annotations

import time

import pytest

from tests.e2e import shift
from tests.e2e.harness import Stub, module_stub, wait_until
from tests.e2e.shift import (FAST, LOGIN, applied, carried, field, outbox_items, page_errors, pending, row,
                             sign_in, wait_outbox, wait_ready, wait_row, wait_state, watch)

pytestmark = pytest.mark.e2e


stub = module_stub("--seed", "11", "--rate", "0")


@pytest.fixture
def page(page):
    """conftest's tab, watched from its first script on (``shift.WATCH_JS``)."""
    page.add_init_script(script=shift.WATCH_JS)
    return page


@pytest.fixture(autouse=True)
def _faults_off(stub):
    """Leave the module's stub as found, whatever a test did to it."""
    yield
    for route, body in (("refuse", {"seconds": 0}), ("fail_commands", {"count": 0, "status": 500})):
        try:
            stub.control(route, body)
        except Exception as exc:  # pragma: no cover - a dead stub fails the next test anyway
            print(f"could not reset {route}: {exc}")


@pytest.fixture(autouse=True)
def _report(request):
    """On failure, pytest shows what the page logged and the stub's last lines."""
    yield
    tab = request.node.funcargs.get("page")
    if tab is not None:
        print(f"--- page console (last 60 of {len(tab.console_messages_seen)}) ---")
        print("\n".join(tab.console_messages_seen[-60:]))
    server = request.node.funcargs.get("stub")
    if server is not None:
        print("--- stub (last 20) ---")
        print("\n".join(server.lines[-20:]))


def refreshes(page) -> list[int]:
    """Record the status of every answer to POST /session/refresh this tab receives."""
    seen: list[int] = []
    page.on("response", lambda r: seen.append(r.status) if r.url.endswith("/api/session/refresh") else None)
    return seen


def take_offline(page, stub: Stub) -> None:
    """The socket down and kept down (handshakes refused), so that commands queue."""
    stub.control("refuse", {"seconds": 600})
    stub.control("drop", {"code": None})
    wait_state(page, "reconnecting", timeout=15_000)


def two_queued_changes(page, stub: Stub, token: str) -> tuple[dict, dict]:
    """A status change and an assignment made in the UI while offline: both pending, outbox 2."""
    first, second = carried(stub, token, 2)
    first["want"] = shift.other_status(first)
    second["want"] = shift.other_staff(stub, token, second)
    shift.set_status(page, first["id"], first["want"])
    shift.assign(page, second["id"], second["want"])
    wait_row(page, first["id"], "status", first["want"], settled=False)
    wait_row(page, second["id"], "assignedTo", second["want"], settled=False)
    assert pending(page, first["id"]) and pending(page, second["id"])
    wait_outbox(page, 2)
    return first, second


def offline_with_two_changes(page, stub: Stub) -> tuple[int, dict, dict, list[str]]:
    """Signed in, then offline with two changes made in the UI: the server's applied count before them,
    the two rows, and the outbox's keys."""
    token = stub.login_token()
    sign_in(page, stub, FAST)
    before = applied(stub, "U-demo")
    take_offline(page, stub)
    first, second = two_queued_changes(page, stub, token)
    return before, first, second, sorted(item["id"] for item in outbox_items(page))


def applied_once_each(stub: Stub, keys: list[str], before: dict) -> None:
    now = applied(stub, "U-demo")
    new = {k: v for k, v in now.items() if k not in before}
    assert sorted(new) == sorted(keys), (new, keys)
    assert all(now[k] == 1 for k in keys), {k: now[k] for k in keys}


# --- 1. a short-lived token is refreshed, and the login never shows -------------------------------------


def test_a_20_s_token_is_refreshed_for_60_s_without_a_login(page):
    own = Stub("--seed", "3", "--rate", "2", "--token-ttl", "20")
    try:
        answers = refreshes(page)
        sign_in(page, own, FAST)
        shift.reset_watch(page)

        def three_refreshes() -> bool:
            seen = watch(page)  # a call into the page, which also delivers the recorded responses
            assert not seen["loginShown"], seen
            return len(answers) >= 3

        # Three quarters of 20 s is 15 s: three refreshes within about 45 s, each a condition to wait on.
        wait_until(three_refreshes, timeout=120, interval=1.0, message="three token refreshes")
        seen = watch(page)
        assert seen["app"] == ["ready"], seen
        assert seen["loginShown"] == 0, seen
        assert "unauthorized" not in seen["conn"], seen
        assert all(status == 200 for status in answers), answers
        wait_state(page, "open")
        assert own.stats()["authFailures"] == 0
        assert not page_errors(page)
    finally:
        own.stop()


# --- 2. revoked with two commands queued: sign in over the board, both applied once ------------------------


def test_revoked_session_keeps_queued_commands_and_sends_them_once_after_sign_in(page, stub):
    before, first, second, keys = offline_with_two_changes(page, stub)
    assert len(keys) == 2

    stub.control("revoke")
    stub.control("refuse", {"seconds": 0})
    page.wait_for_selector("html[data-app-state=login]", state="attached", timeout=30_000)
    page.wait_for_selector(LOGIN, state="visible", timeout=5_000)
    # Over the kept board: the rows are still there, still pending, nothing was sent.
    assert page.is_visible("[data-testid=delivery-list]")
    assert pending(page, first["id"]) and pending(page, second["id"])
    assert field(page, first["id"], "status") == first["want"]
    shift.wait_outbox(page, 2)
    assert applied(stub, "U-demo") == before

    shift.fill_login(page)
    wait_ready(page, timeout=60_000)
    wait_row(page, first["id"], "status", first["want"])
    wait_row(page, second["id"], "assignedTo", second["want"])
    wait_outbox(page, 0)
    applied_once_each(stub, keys, before)
    _, server = stub.api("GET", f"deliveries/{first['id']}", token=stub.login_token())
    assert server["status"] == first["want"]
    _, server = stub.api("GET", f"deliveries/{second['id']}", token=stub.login_token())
    assert server["assignedTo"] == second["want"]
    assert not page_errors(page)


def test_another_user_signing_in_over_the_board_gets_a_fresh_view_and_no_panel_fails(page, stub):
    """The first user's search, status filter and selection were theirs; dropping the first board's
    rows that were never built raised in the deliveries panel (``! panel ... raised KeyError``)."""
    sign_in(page, stub, FAST)
    page.fill("[data-testid=delivery-search]", "D-10")
    page.select_option("select[data-testid=filter-status]", "pending")
    page.locator(f"{row_any()} [data-field=customer]").first.click()
    page.wait_for_selector("[data-testid=delivery-row][data-selected=true]")
    stub.control("revoke")
    page.wait_for_selector("html[data-app-state=login]", state="attached", timeout=30_000)
    shift.fill_login(page, "coordinator", "coordinator")
    wait_ready(page, timeout=60_000)
    wait_until(lambda: page.input_value("[data-testid=delivery-search]") == ""
               and page.input_value("select[data-testid=filter-status]") == "", timeout=10,
               message="the second user's view starts unfiltered")
    wait_until(lambda: page.locator("[data-testid=delivery-row]").count() >= 20, timeout=15,
               message="the second user's board, unfiltered")
    assert page.locator("[data-testid=delivery-row][data-selected=true]").count() == 0
    failed = [m for m in page.console_messages_seen if "! panel" in m]
    assert not failed and not page_errors(page), failed


def test_a_detail_view_open_when_the_session_ends_gives_way_to_the_sign_in(page, stub):
    """A modal sheet over the board, which goes inert behind the sign-in form: left open, it took every
    click and kept the form from being typed into."""
    sign_in(page, stub, FAST)
    name = page.locator("[data-testid=staff-row] button[data-action=open-staff]").first
    name.scroll_into_view_if_needed()
    name.click()
    page.wait_for_selector("[data-testid=staff-detail]", state="visible")
    stub.control("revoke")
    page.wait_for_selector("html[data-app-state=login]", state="attached", timeout=30_000)
    page.wait_for_selector("[data-testid=staff-detail]", state="hidden", timeout=5_000)
    shift.fill_login(page)  # clicks and types into the form: a modal left open made these time out
    wait_ready(page, timeout=60_000)
    assert not page_errors(page)


def row_any() -> str:
    return "[data-testid=delivery-list] [data-testid=delivery-row]"


# --- 3. a reload while offline: the outbox survives in IndexedDB ------------------------------------------------


def test_reload_while_offline_keeps_the_outbox_and_applies_each_once(page, stub):
    before, first, second, keys = offline_with_two_changes(page, stub)

    dialogs: list[str] = []

    def accept(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", accept)
    page.click("#outbox-toggle")  # a real click: Chromium asks before unload only after a user gesture
    page.reload(wait_until="commit")
    assert dialogs == ["beforeunload"], dialogs
    # Still offline after the reload (the board stays "loading" until a snapshot): the two commands are
    # back from IndexedDB with their keys, waiting.
    page.wait_for_selector("[data-testid=connection-status]:not([data-state=connecting])", state="attached",
                           timeout=shift.BOOT_TIMEOUT)
    wait_outbox(page, 2)
    assert sorted(item["id"] for item in outbox_items(page)) == keys
    assert applied(stub, "U-demo") == before

    stub.control("refuse", {"seconds": 0})
    wait_ready(page, timeout=60_000)
    wait_row(page, first["id"], "status", first["want"])
    wait_row(page, second["id"], "assignedTo", second["want"])
    wait_outbox(page, 0)
    applied_once_each(stub, keys, before)
    assert not page_errors(page)


# --- 4. a restart with a new epoch: the snapshot of the new history -------------------------------------------


def test_restart_with_a_new_epoch_loads_the_new_history(page, stub):
    token = stub.login_token()
    sign_in(page, stub, FAST)
    (target,) = carried(stub, token, 1)
    for i in range(12):  # an old history longer than the new one will be
        old_value = f"old history {time.monotonic():.3f} step {i}"
        old_seq = stub.control("emit", {"event": {"type": "delivery_update", "deliveryId": target["id"],
                                                  "changes": {"customer": old_value}}})["seq"]
    wait_row(page, target["id"], "customer", old_value)
    shift.wait_diag_at_least(page, "last-seq", old_seq)
    old_epoch = stub.stats()["epoch"]
    resyncs = shift.diag(page, "resyncs")

    stub.control("refuse", {"seconds": 600})  # the new history moves on before the page is back
    restarted = stub.control("restart")
    assert restarted["epoch"] != old_epoch
    new_value = f"new history {time.monotonic():.3f}"
    for i in range(3):
        stub.control("emit", {"event": {"type": "delivery_update", "deliveryId": target["id"],
                                        "changes": {"customer": f"{new_value} step {i}"}}})
    stub.control("refuse", {"seconds": 0})

    wait_row(page, target["id"], "customer", f"{new_value} step 2", timeout=60_000)
    wait_state(page, "open", timeout=30_000)
    shift.wait_diag_at_least(page, "resyncs", resyncs + 1)
    new_seq = stub.stats()["seq"]
    assert new_seq < old_seq, "the new history counts from 0"
    wait_until(lambda: shift.diag(page, "last-seq") == new_seq, timeout=20,
               message="diagnostics' last-seq to follow the new history")
    # A live event of the new history (a seq the old one passed long ago) is applied, not taken for a duplicate.
    live_value = f"live after restart {time.monotonic():.3f}"
    stub.control("emit", {"event": {"type": "delivery_update", "deliveryId": target["id"],
                                    "changes": {"customer": live_value}}})
    wait_row(page, target["id"], "customer", live_value)
    assert not page_errors(page)


# --- 5. a 45 s outage: offline with a countdown, back by itself ----------------------------------------------------


def test_a_45_s_outage_goes_offline_with_a_countdown_and_comes_back_by_itself(page, stub):
    sign_in(page, stub, FAST)
    shift.reset_watch(page)
    started = time.monotonic()
    stub.control("refuse", {"seconds": 45})  # the stub lifts it by itself
    stub.control("drop", {"code": None})
    wait_state(page, "offline", timeout=30_000)
    # The page must come back with no click: wait for "open" (45 s + one slow retry of 3 s +-20%, and slack).
    wait_state(page, "open", timeout=90_000)
    took = time.monotonic() - started
    seen = watch(page)
    assert took >= 40, f"open again after {took:.0f} s, during a 45 s refusal?"
    conn = seen["conn"]
    assert conn[0] == "open" and conn[-1] == "open", conn
    assert conn.index("offline") > conn.index("reconnecting"), conn
    assert set(conn) <= {"open", "reconnecting", "offline", "connecting", "syncing"}, conn
    seconds = shift.countdown_seconds(seen["texts"])
    assert len(set(seconds)) >= 2, seen["texts"]  # the offline text counts down to the next slow try
    assert not page_errors(page)


# --- 6. another user's identical change does not confirm ours -------------------------------------------------------


def test_another_users_identical_change_leaves_ours_pending_until_our_answer(page, stub):
    token = stub.login_token()
    sign_in(page, stub, {**FAST, "commandTimeoutMs": 120_000})
    (target,) = carried(stub, token, 1)
    want = shift.other_status(target)
    held = []
    pattern = f"{stub.url}api/deliveries/{target['id']}"
    page.route(pattern, lambda route: held.append(route) if route.request.method == "PATCH" else route.continue_())
    try:
        shift.set_status(page, target["id"], want)
        wait_until(lambda: page.evaluate("1") and held, timeout=15, message="our PATCH to be held")
        wait_row(page, target["id"], "status", want, settled=False)
        (ours,) = [item["id"] for item in outbox_items(page)]

        other = stub.control("apply_as", {"userId": "U-other", "idempotencyKey": f"other-{time.monotonic()}",
                                          "deliveryId": target["id"], "patch": {"status": want}})
        assert other["status"] == 200, other
        shift.wait_diag_at_least(page, "last-seq", other["answer"]["seq"])
        # One more event after it, so the page has surely handled the other user's change.
        later = stub.control("emit", {"event": {"type": "delivery_update", "deliveryId": target["id"],
                                                "changes": {"customer": f"after other {time.monotonic()}"}}})
        shift.wait_diag_at_least(page, "last-seq", later["seq"])
        assert pending(page, target["id"]), "confirmed by someone else's change"
        assert field(page, target["id"], "status") == want
        wait_outbox(page, 1)

        held[0].continue_()
        wait_row(page, target["id"], "status", want)
        wait_outbox(page, 0)
        assert applied(stub, "U-demo").get(ours) == 1
    finally:
        page.unroute(pattern)
    assert not page_errors(page)


# --- 7. a deeply nested error body: a readable rollback, and the next command still goes --------------------------


def test_a_deeply_nested_error_body_rolls_back_readably_and_the_next_command_goes(page, stub):
    token = stub.login_token()
    sign_in(page, stub, FAST)
    first, second = carried(stub, token, 2)
    stub.control("fail_commands", {"count": 1, "status": 500, "nestedDepth": 100_000})
    shift.set_status(page, first["id"], shift.other_status(first))
    wait_row(page, first["id"], "status", first["status"])  # rolled back, not pending
    error = page.text_content(f"{row(first['id'])} .row-error-text") or ""
    assert error.strip() and "500" in error, error

    # The outbox lists it as failed, with Retry and Discard; Discard drops it for good.
    wait_outbox(page, 1, failed=1)
    (item,) = outbox_items(page)
    assert item["state"] == "failed" and item["buttons"] == ["retry", "discard"], item
    # The failure opened the outbox over the board; Escape closes it (and a press elsewhere would).
    panel = page.locator("#outbox-panel")
    panel.wait_for(state="visible")
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden")
    page.click("#outbox-toggle")
    panel.wait_for(state="visible")
    page.mouse.click(5, 400)
    panel.wait_for(state="hidden")
    page.click("#outbox-toggle")
    page.click(f'[data-testid=outbox-item][data-id="{item["id"]}"] button[data-action=discard]')
    wait_outbox(page, 0, failed=0)

    before = applied(stub, "U-demo")
    want = shift.other_status(second)
    shift.set_status(page, second["id"], want)
    wait_row(page, second["id"], "status", want)
    after = applied(stub, "U-demo")
    assert len(after) == len(before) + 1 and item["id"] not in after
    _, server = stub.api("GET", f"deliveries/{second['id']}", token=token)
    assert server["status"] == want
    _, server = stub.api("GET", f"deliveries/{first['id']}", token=token)
    assert server["status"] == first["status"], "the discarded change was never made"
    assert not page_errors(page)
    # Readable: the app's words, not the body's 100,000 brackets echoed back (checked last, so that a
    # failure here does not hide whether the rest works).
    assert len(error) < 400 and "[[[[[[[[[[" not in error, f"not readable: {error[:120]!r}..."


# --- the outbox: two failed messages, each keeps its own text and its own Retry -------------------------------------


def test_two_failed_messages_keep_their_own_text_and_retry(page, stub):
    token = stub.login_token()
    sign_in(page, stub, FAST)
    stub.control("fail_commands", {"count": 2, "status": 503})
    bodies = [f"first failed message {time.monotonic():.4f}", f"second failed message {time.monotonic():.4f}"]
    shift.send_message(page, bodies[0])
    wait_outbox(page, 1, failed=1)
    shift.send_message(page, bodies[1])  # the form gave the first text back; this replaces it
    wait_outbox(page, 2, failed=2)
    items = outbox_items(page)
    assert [i["kind"] for i in items] == ["send_message", "send_message"], items
    by_body = {}
    for body in bodies:
        (match,) = [i for i in items if body[:40] in i["summary"]]
        assert match["state"] == "failed" and "retry" in match["buttons"] and "discard" in match["buttons"]
        by_body[body] = match["id"]

    def on_server(body: str) -> int:
        _, snapshot = stub.api("GET", "snapshot", token=token)
        return sum(1 for c in snapshot["communications"] if c["body"] == body)

    assert on_server(bodies[0]) == on_server(bodies[1]) == 0
    for n, body in enumerate(reversed(bodies)):  # the second one first: each Retry sends only its own
        page.click(f'[data-testid=outbox-item][data-id="{by_body[body]}"] button[data-action=retry]')
        wait_until(lambda: on_server(body) == 1, timeout=20, message=f"{body!r} on the server")
        wait_outbox(page, 1 - n, failed=1 - n)
    assert [on_server(body) for body in bodies] == [1, 1]
    keys = applied(stub, "U-demo")
    assert all(keys.get(by_body[body]) == 1 for body in bodies)
    feed = page.eval_on_selector_all("[data-testid=comms-feed] [data-testid=communication] [data-field=body]",
                                     "els => els.map(e => e.getAttribute('data-value'))")
    assert all(feed.count(body) == 1 for body in bodies), "each shown once in the feed"
    assert not page_errors(page)


# --- 8. a version-1 backend -------------------------------------------------------------------------------------------


def test_a_version_1_backend_works(page):
    own = Stub("--seed", "5", "--rate", "0", "--protocol", "1")
    try:
        answers = refreshes(page)
        sign_in(page, own, FAST)
        token = own.login_token()
        (target,) = carried(own, token, 1)
        want = shift.other_status(target)
        shift.set_status(page, target["id"], want)
        wait_row(page, target["id"], "status", want)
        _, server = own.api("GET", f"deliveries/{target['id']}", token=token)
        assert server["status"] == want

        own.control("drop", {"code": 1012})
        wait_state(page, "open", timeout=30_000)  # version 1 resumes by seq alone (no epoch on either side)
        value = f"v1 after reconnect {time.monotonic():.3f}"
        own.control("emit", {"event": {"type": "delivery_update", "deliveryId": target["id"],
                                       "changes": {"customer": value}}})
        wait_row(page, target["id"], "customer", value)
        assert set(answers) <= {404}, answers  # no refresh, or a 404 handled
        assert page.is_hidden(LOGIN)
        assert not page_errors(page)
    finally:
        own.stop()
