"""The zones, staff, messages, diagnostics and connection panels in Chromium, one login for them all.

A Pyodide boot costs 3-8 s (far more on a busy machine), so this module logs
in once (``board``) and its tests run in file order on that tab, with the
simulation stopped so only the events a test emits change the world. Each
test reads the world afresh (``settled``), so it does not depend on what
the tests before it emitted. Sections: staff, zones, messages, diagnostics,
the connection banner (``?backoffBaseMs=200``: five attempts in seconds),
and logout last.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from app.models import Delivery
from app.roster import OpenWork, backlog_alert, current_delivery
from tests.e2e.harness import wait_until
from tests.e2e.panels import close_tab, emit, items, logged_in_tab, settled, touched, wait_attr, watch_mutations

STAFF_ROWS = "[data-testid=staff-list] [data-testid=staff-row]"
ZONE_CARDS = "[data-testid=zone-list] [data-testid=zone-card]"
FEED = "[data-testid=comms-feed]"
MESSAGES = f"{FEED} [data-testid=communication]"
FORM = "form[data-testid=comms-compose]"
UNREAD = "[data-testid=comms-unread]"
ERROR = "[data-testid=compose-error]"
DIAG = "[data-testid=diagnostics]"
BANNER = "[data-testid=connection-status]"
RETRY = "[data-testid=reconnect-now]"
COUNTERS = ("received", "applied", "invalid", "duplicates", "last-seq", "unknown", "resyncs", "proxies", "sockets")


@pytest.fixture(scope="module")
def board(browser_context, stub):
    # The seeded world starts with no messages: put a few in before the snapshot is loaded.
    status, snapshot = stub.api("GET", "snapshot", token=stub.login_token())
    assert status == 200
    for i, member in enumerate(snapshot["staff"][:3]):
        stub.control("emit", {"event": message(f"C-e2e-seed-{i}", member["id"], f"Seed message {i}",
                                               snapshot["deliveries"][i]["id"] if i % 2 else None)})
    tab = logged_in_tab(browser_context, stub, query="backoffBaseMs=200")
    tab.wait_for_selector(STAFF_ROWS, state="attached")
    yield tab
    stub.control("refuse", {"seconds": 0})
    close_tab(tab, stub)


# --- staff and zones ----------------------------------------------------------------------------------


def staff_row(staff_id: str) -> str:
    return f'{STAFF_ROWS}[data-id="{staff_id}"]'


def zone_card(zone_id: str) -> str:
    return f'{ZONE_CARDS}[data-id="{zone_id}"]'


def expected_work(snapshot: dict) -> OpenWork:
    work = OpenWork()
    work.reset(Delivery.model_validate(d) for d in snapshot["deliveries"])
    return work


def test_staff_rows_carry_the_hooks_and_the_snapshot_values(board, stub):
    snapshot = settled(board, stub)
    rows = items(board, STAFF_ROWS)
    assert set(rows) == {m["id"] for m in snapshot["staff"]}
    zones = {z["id"]: z["name"] for z in snapshot["zones"]}
    work = expected_work(snapshot)
    deliveries = {d["id"]: Delivery.model_validate(d) for d in snapshot["deliveries"]}
    for member in snapshot["staff"]:
        row = rows[member["id"]]
        assert row["status"] == member["status"]
        for field in ("name", "status", "role", "zoneId"):
            assert row["values"][field] == (member[field] or ""), (member["id"], field)
        assert row["values"]["lastSeenAt"] == member["lastSeenAt"]
        assert row["texts"]["status"].strip(), "a status has words, not only a colour"
        if member["zoneId"]:
            assert zones[member["zoneId"]] in row["texts"]["zoneId"] and member["zoneId"] in row["texts"]["zoneId"]
        # The current delivery: the most advanced open one assigned to them (app.roster's rule).
        current = current_delivery(deliveries[i] for i in work.carried_by(member["id"]))
        assert row["values"]["currentDelivery"] == (current.id if current else ""), member["id"]
        assert row["texts"]["lastSeenAt"].endswith("ago") or row["texts"]["lastSeenAt"] == "just now"


def test_a_staff_event_redraws_that_row_only(board, stub):
    snapshot = settled(board, stub)
    member = next(m for m in snapshot["staff"] if m["status"] in ("available", "offline"))
    before = int(board.get_attribute("[data-testid=staff-status-filter] [data-status=on_break]", "data-count"))
    watch_mutations(board, "[data-testid=staff-list]", "[data-testid=staff-row]")
    emit(stub, {"type": "staff_status_update", "staffId": member["id"], "status": "on_break"})
    wait_attr(board, staff_row(member["id"]), "data-status", "on_break")
    row = items(board, staff_row(member["id"]))[member["id"]]
    assert row["values"]["status"] == "on_break" and row["texts"]["status"] == "On break"
    assert touched(board) == {member["id"]}, "only the changed row is touched"
    wait_attr(board, "[data-testid=staff-status-filter] [data-status=on_break]", "data-count", str(before + 1))


def test_assigning_a_delivery_updates_the_carrier_and_the_zone(board, stub):
    snapshot = settled(board, stub)
    work = expected_work(snapshot)
    member = next(m for m in snapshot["staff"] if m["role"] != "dispatcher" and not work.carried_by(m["id"]))
    delivery = next(d for d in snapshot["deliveries"] if d["status"] == "pending")
    waiting = work.pending_in(delivery["zoneId"])
    assert board.get_attribute(f'{zone_card(delivery["zoneId"])} [data-field=pending]', "data-value") == str(waiting)

    emit(stub, {"type": "delivery_update", "deliveryId": delivery["id"],
                "changes": {"status": "in_transit", "assignedTo": member["id"]}})
    wait_attr(board, f'{staff_row(member["id"])} [data-field=currentDelivery]', "data-value", delivery["id"])
    text = board.text_content(f'{staff_row(member["id"])} [data-field=currentDelivery]')
    assert delivery["id"] in text and "in transit" in text
    wait_attr(board, f'{zone_card(delivery["zoneId"])} [data-field=pending]', "data-value", str(waiting - 1))

    emit(stub, {"type": "delivery_update", "deliveryId": delivery["id"], "changes": {"status": "delivered"}})
    wait_attr(board, f'{staff_row(member["id"])} [data-field=currentDelivery]', "data-value", "")


STATUS_CHIP = "[data-testid=staff-status-filter] [data-status=on_break]"
ZONE_FILTER = "select[data-testid=staff-zone-filter]"


@pytest.fixture
def staff_filters_cleared(board):
    """After the test: Escape in the filters (what test_escape_in_the_staff_filters_clears_them shows)."""
    yield
    board.focus(ZONE_FILTER)
    board.keyboard.press("Escape")
    wait_attr(board, STATUS_CHIP, "aria-pressed", "false")


def test_a_status_chip_counts_that_status_and_filters_to_it(board, stub, staff_filters_cleared):
    snapshot = settled(board, stub)
    expected = sum(1 for m in snapshot["staff"] if m["status"] == "on_break")
    assert board.get_attribute(STATUS_CHIP, "data-count") == str(expected)
    board.click(STATUS_CHIP)
    wait_attr(board, STATUS_CHIP, "aria-pressed", "true")
    shown = [r for r in items(board, STAFF_ROWS).values() if not r["hidden"]]
    assert len(shown) == expected and all(r["status"] == "on_break" for r in shown)


def busiest_zone(snapshot: dict) -> dict:
    return max(snapshot["zones"], key=lambda z: sum(m["zoneId"] == z["id"] for m in snapshot["staff"]))


def test_the_zone_filter_combines_with_the_status_chip(board, stub, staff_filters_cleared):
    snapshot = settled(board, stub)
    zone = busiest_zone(snapshot)
    board.click(STATUS_CHIP)
    wait_attr(board, STATUS_CHIP, "aria-pressed", "true")
    board.select_option(ZONE_FILTER, zone["id"])
    shown = {r["id"] for r in items(board, STAFF_ROWS).values() if not r["hidden"]}
    assert shown == {m["id"] for m in snapshot["staff"] if m["status"] == "on_break" and m["zoneId"] == zone["id"]}


def test_the_status_counts_follow_the_zone_filter(board, stub, staff_filters_cleared):
    snapshot = settled(board, stub)
    zone = busiest_zone(snapshot)
    board.select_option(ZONE_FILTER, zone["id"])
    in_zone = [m for m in snapshot["staff"] if m["zoneId"] == zone["id"]]
    available = "[data-testid=staff-status-filter] [data-status=available]"
    assert board.get_attribute(available, "data-count") == str(sum(m["status"] == "available" for m in in_zone))


def test_escape_in_the_staff_filters_clears_them(board, stub):
    zone = busiest_zone(settled(board, stub))
    board.click(STATUS_CHIP)
    wait_attr(board, STATUS_CHIP, "aria-pressed", "true")
    board.select_option(ZONE_FILTER, zone["id"])
    board.focus(ZONE_FILTER)
    board.keyboard.press("Escape")
    wait_attr(board, STATUS_CHIP, "aria-pressed", "false")
    assert board.input_value(ZONE_FILTER) == ""
    assert not any(r["hidden"] for r in items(board, STAFF_ROWS).values())


def test_zone_cards_carry_the_hooks_and_the_snapshot_values(board, stub):
    snapshot = settled(board, stub)
    cards = items(board, ZONE_CARDS)
    assert list(cards) == [z["id"] for z in snapshot["zones"]]
    work = expected_work(snapshot)
    for zone in snapshot["zones"]:
        card = cards[zone["id"]]
        assert card["status"] == zone["status"]
        for field in ("name", "status", "activeDeliveries", "availableStaff"):
            assert card["values"][field] == str(zone[field]), (zone["id"], field)
        assert card["values"]["pending"] == str(work.pending_in(zone["id"]))
        assert (card["attrs"].get("alert") == "true") == backlog_alert(work.pending_in(zone["id"]), zone["availableStaff"])


def test_a_zone_event_redraws_that_card_only(board, stub):
    zone = settled(board, stub)["zones"][0]
    watch_mutations(board, "[data-testid=zone-list]", "[data-testid=zone-card]")
    emit(stub, {"type": "zone_update", "zoneId": zone["id"], "changes": {"status": "closed", "activeDeliveries": 42}})
    wait_attr(board, zone_card(zone["id"]), "data-status", "closed")
    card = items(board, zone_card(zone["id"]))[zone["id"]]
    assert card["values"]["activeDeliveries"] == "42" and card["texts"]["status"] == "Closed"
    assert touched(board) == {zone["id"]}, "only the changed card is touched"


def test_zone_alert_when_waiting_work_outruns_free_staff(board, stub):
    snapshot = settled(board, stub)
    work = expected_work(snapshot)
    zone = max(snapshot["zones"], key=lambda z: work.pending_in(z["id"]))
    waiting = work.pending_in(zone["id"])
    assert waiting > 3, "seed 7 has zones with more than three deliveries waiting"
    alert = f'{zone_card(zone["id"])} [data-testid=zone-alert]'

    emit(stub, {"type": "zone_update", "zoneId": zone["id"], "changes": {"availableStaff": 0}})
    wait_attr(board, alert, "data-value", "true")
    assert board.get_attribute(zone_card(zone["id"]), "data-alert") == "true"
    assert board.get_attribute(alert, "role") == "status"
    assert "Short of staff" in board.text_content(alert) and f"{waiting} waiting" in board.text_content(alert)

    emit(stub, {"type": "zone_update", "zoneId": zone["id"], "changes": {"availableStaff": waiting}})
    wait_attr(board, alert, "data-value", "false")
    assert board.get_attribute(zone_card(zone["id"]), "data-alert") is None


def test_the_panels_controls_are_labelled(board, stub):
    unlabelled = board.evaluate("""() => [...document.querySelectorAll(
            '#zones-panel, #staff-panel, #comms-panel, #diagnostics-panel, header')]
        .flatMap(panel => [...panel.querySelectorAll('button, select, input, textarea, [tabindex]')])
        .filter(el => el.getClientRects().length > 0)  // rendered: what a screen reader reaches
        .filter(el => !(el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
                        || (el.labels && el.labels.length) || el.textContent.trim()))
        .map(el => el.outerHTML.slice(0, 80))""")
    assert unlabelled == []
    for section in ("zones", "staff", "comms"):
        heading = board.get_attribute(f"#{section}-panel", "aria-labelledby")
        assert board.locator(f"#{heading}").count() == 1


def test_the_board_fits_768_and_1024_px(board, stub):
    board.set_viewport_size({"width": 768, "height": 1000})
    try:
        # Reading the layout after the new width is known lays the page out at that width.
        wait_until(lambda: board.evaluate("() => window.innerWidth") == 768, message="the 768 px viewport")
        width = board.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 768, f"the page scrolls sideways at 768 px ({width} px wide)"
        for section in ("zones", "staff", "comms"):
            box = board.locator(f"#{section}-panel").bounding_box()
            assert box["width"] > 600 and box["x"] >= 0 and box["x"] + box["width"] <= 768
        # Two columns from 1001 px; the zone strip scrolls inside its panel, never the page.
        board.set_viewport_size({"width": 1024, "height": 768})
        wait_until(lambda: board.evaluate("() => window.innerWidth") == 1024, message="the 1024 px viewport")
        width = board.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 1024, f"the page scrolls sideways at 1024 px ({width} px wide)"
    finally:
        board.set_viewport_size({"width": 1280, "height": 720})


# --- helpers for messages ------------------------------------------------------------------------------


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def message(id: str, sender: str, body: str, delivery_id=None) -> dict:
    return {"type": "new_communication", "communication": {
        "id": id, "from": sender, "to": "coordinators", "body": body, "sentAt": now_iso(), "deliveryId": delivery_id}}


def first_message(page) -> dict:
    return page.evaluate(f"""() => {{
        const node = document.querySelector('{MESSAGES}');
        return node && {{id: node.getAttribute('data-id'), pending: node.getAttribute('data-pending'),
                         body: node.querySelector('[data-field=body]').textContent}};
    }}""")


def record_pending(page) -> None:
    """Note, in the page, every message row that ever shows ``data-pending="true"`` (window.__pending)."""
    page.evaluate(f"""() => {{
        window.__pending = [];
        const note = node => {{
            if (node.nodeType === 1 && node.matches('[data-testid=communication][data-pending=true]'))
                window.__pending.push(node.querySelector('[data-field=body]').textContent);
        }};
        new MutationObserver(records => records.forEach(r => {{
            note(r.target); r.addedNodes.forEach(note);
        }})).observe(document.querySelector('{FEED}'), {{subtree: true, childList: true, attributes: true,
                                                            attributeFilter: ['data-pending']}});
    }}""")


def wait_confirmed(page, body: str, timeout: float = 15_000) -> None:
    page.wait_for_function(
        """([sel, body]) => [...document.querySelectorAll(sel)].some(n =>
            n.querySelector('[data-field=body]').textContent === body && !n.hasAttribute('data-pending')
            && !n.getAttribute('data-id').startsWith('pending-'))""",
        arg=[MESSAGES, body], timeout=timeout)


# --- messages ------------------------------------------------------------------------------------------


def test_feed_hooks_newest_first_with_names(board, stub):
    snapshot = settled(board, stub)
    shown = items(board, MESSAGES)
    expected = snapshot["communications"]
    assert list(shown) == [c["id"] for c in expected], "newest first, as the snapshot lists them"
    staff = {m["id"]: m["name"] for m in snapshot["staff"]}
    for communication in expected[:20]:
        row = shown[communication["id"]]
        for field in ("from", "body", "sentAt"):
            assert row["values"][field] == communication[field]
        assert row["values"]["deliveryId"] == (communication["deliveryId"] or "")
        if communication["from"] in staff:
            assert row["texts"]["from"] == f'{staff[communication["from"]]} ({communication["from"]})'
        assert "ago" in row["texts"]["sentAt"] or "just now" in row["texts"]["sentAt"]
    assert board.get_attribute(UNREAD, "data-value") == "0", "the first load is not unread"


def test_a_new_message_is_announced_and_unread_until_the_feed_is_focused(board, stub):
    snapshot = settled(board, stub)
    member = snapshot["staff"][0]
    body = "Customer not home, left at reception"
    emit(stub, message("C-e2e-1", member["id"], body, snapshot["deliveries"][0]["id"]))
    board.wait_for_function(f"() => document.querySelector('{MESSAGES}').getAttribute('data-id') === 'C-e2e-1'")
    wait_attr(board, UNREAD, "data-value", "1")
    assert "1 new" in board.text_content("#comms-title")
    announcer = board.locator("[data-testid=comms-announcer]")
    assert announcer.get_attribute("aria-live") == "polite"
    assert member["name"] in announcer.text_content() and body in announcer.text_content()
    emit(stub, message("C-e2e-2", member["id"], "Second one"))
    wait_attr(board, UNREAD, "data-value", "2")

    board.focus(FEED)
    wait_attr(board, UNREAD, "data-value", "0")
    assert not board.is_visible(UNREAD)


def test_a_message_about_a_delivery_opens_its_detail(board, stub):
    chip = f'{MESSAGES}[data-id="C-e2e-1"] [data-field=deliveryId]'
    delivery_id = board.get_attribute(chip, "data-value")
    assert delivery_id and delivery_id in board.text_content(chip)
    board.click(chip)
    board.wait_for_selector(f'[data-testid=delivery-detail][data-id="{delivery_id}"]', state="visible")
    board.keyboard.press("Escape")
    board.wait_for_selector("[data-testid=delivery-detail]", state="hidden")
    assert board.evaluate("() => document.activeElement.getAttribute('data-field')") == "deliveryId", \
        "focus goes back to where it was"


def test_a_message_body_is_text_never_markup(board, stub):
    snapshot = settled(board, stub)
    body = '<img src=x onerror="window.__xss=1"><b>bold</b>'
    emit(stub, message("C-e2e-xss", snapshot["staff"][1]["id"], body))
    cell = f'{MESSAGES}[data-id="C-e2e-xss"] [data-field=body]'
    board.wait_for_selector(cell, state="attached")
    assert board.text_content(cell) == body
    assert board.get_attribute(cell, "data-value") == body
    assert board.locator(f"{FEED} img, {FEED} b").count() == 0
    # An <img src=x> made from the text would have failed to load by the time a probe of the same
    # src has: wait for the probe's error, then see that no handler ran.
    assert board.evaluate("""() => new Promise(done => {
        const probe = new Image();
        probe.onerror = probe.onload = () => done(window.__xss ?? null);
        probe.src = 'x';
    })""") is None


def test_sending_is_optimistic_then_confirmed(board, stub):
    settled(board, stub)
    body = f"On my way to the depot {time.monotonic():.3f}"
    unread = board.get_attribute(UNREAD, "data-value")
    record_pending(board)
    board.select_option(f"{FORM} [name=to]", "all")
    board.fill(f"{FORM} textarea[name=body]", body)
    assert board.text_content("[data-testid=compose-counter]") == f"{len(body)} / 2000"
    board.press(f"{FORM} textarea[name=body]", "Enter")  # Enter sends; Shift+Enter would add a line
    wait_confirmed(board, body)
    assert body in board.evaluate("() => window.__pending"), "it was listed at once as pending"
    row = first_message(board)
    assert row["body"] == body and row["pending"] is None
    mine = board.locator(f'{MESSAGES}[data-id="{row["id"]}"]')
    assert mine.locator("[data-field=from]").text_content() == "You"
    assert mine.locator("[data-field=to]").get_attribute("data-value") == "all"
    assert board.input_value(f"{FORM} textarea[name=body]") == ""
    assert board.is_hidden(ERROR)
    assert board.get_attribute(UNREAD, "data-value") == unread, "your own message is not unread"


@pytest.fixture
def compose_cleared(board):
    """After the test: the error dismissed (Escape) and the compose form empty."""
    yield
    board.press(f"{FORM} textarea[name=body]", "Escape")
    board.wait_for_selector(ERROR, state="hidden")
    board.fill(f"{FORM} [name=deliveryId]", "")
    board.fill(f"{FORM} textarea[name=body]", "")


def test_an_empty_message_is_refused_with_the_reason(board, stub, compose_cleared):
    board.fill(f"{FORM} textarea[name=body]", "   ")
    board.click(f"{FORM} [type=submit]")
    board.wait_for_selector(ERROR, state="visible")
    assert "empty" in board.text_content(ERROR).lower()


def test_a_message_over_2000_characters_is_refused_and_kept(board, stub, compose_cleared):
    board.fill(f"{FORM} textarea[name=body]", "x" * 2001)
    assert board.text_content("[data-testid=compose-counter]") == "1 too many"
    assert board.get_attribute(f"{FORM} textarea[name=body]", "aria-invalid") == "true"
    board.click(f"{FORM} [type=submit]")
    board.wait_for_function("(sel) => document.querySelector(sel).textContent.includes('2000')", arg=ERROR)
    assert board.input_value(f"{FORM} textarea[name=body]") == "x" * 2001, "the text is kept to shorten"


def test_a_message_about_an_unknown_delivery_is_refused_and_not_sent(board, stub, compose_cleared):
    count = board.locator(MESSAGES).count()
    board.fill(f"{FORM} textarea[name=body]", "About an unknown delivery")
    board.fill(f"{FORM} [name=deliveryId]", "D-NOPE")
    board.click(f"{FORM} [type=submit]")
    board.wait_for_function("(sel) => document.querySelector(sel).textContent.includes('D-NOPE')", arg=ERROR)
    # The panel refuses before it sends (comms.py's submit returns there), and a sent message would
    # have been listed as pending and taken out of the box in that same call.
    assert board.locator(MESSAGES).count() == count, "nothing was sent"
    assert board.input_value(f"{FORM} textarea[name=body]") == "About an unknown delivery"


def test_escape_dismisses_a_compose_error(board, stub):
    board.fill(f"{FORM} textarea[name=body]", "   ")
    board.click(f"{FORM} [type=submit]")
    board.wait_for_selector(ERROR, state="visible")
    board.press(f"{FORM} [name=deliveryId]", "Escape")
    board.wait_for_selector(ERROR, state="hidden")
    board.fill(f"{FORM} textarea[name=body]", "")


def test_a_server_refusal_rolls_back_restores_the_text_and_retry_sends_it(board, stub):
    settled(board, stub)
    body = f"Please call the customer {time.monotonic():.3f}"
    board.route("**/api/communications", lambda route: route.fulfill(
        status=503, content_type="application/json", body=json.dumps({"detail": "maintenance"})))
    try:
        record_pending(board)
        board.fill(f"{FORM} textarea[name=body]", body)
        board.click(f"{FORM} [type=submit]")
        board.wait_for_selector(ERROR, state="visible", timeout=15_000)
        text = board.text_content(ERROR)
        assert "Not sent" in text and "maintenance" in text
        assert body in board.evaluate("() => window.__pending"), "it showed as pending first"
        board.wait_for_function(
            "([sel, body]) => ![...document.querySelectorAll(sel)].some(n => n.textContent.includes(body))",
            arg=[MESSAGES, body])
        assert board.input_value(f"{FORM} textarea[name=body]") == body, "the text came back to the box"
    finally:
        board.unroute("**/api/communications")
    board.click(f"{ERROR} button[data-action=retry]")
    wait_confirmed(board, body)
    assert board.is_hidden(ERROR)
    assert board.input_value(f"{FORM} textarea[name=body]") == ""


# --- diagnostics, the connection banner, logout -----------------------------------------------------------


def counters(page) -> dict:
    return {name: page.get_attribute(DIAG, f"data-{name}") for name in COUNTERS}


def test_diagnostics_is_collapsed_and_shows_its_counters(board, stub):
    assert board.get_attribute(DIAG, "open") is None, "collapsed by default"
    assert board.evaluate(f"() => document.querySelector('{DIAG}').tagName") == "DETAILS"
    before = counters(board)
    for name, value in before.items():
        assert re.fullmatch(r"\d+", value), (name, value)
    assert int(before["proxies"]) > 0 and int(before["sockets"]) >= 1


def test_a_garbage_frame_is_counted_shown_as_text_and_applies_nothing(board, stub):
    before = counters(board)

    stub.control("raw", {"frame": "this is <b>not</b> json"})
    board.wait_for_function(
        "([sel, n]) => +document.querySelector(sel).getAttribute('data-invalid') > n",
        arg=[DIAG, int(before["invalid"])], timeout=10_000)
    after = counters(board)
    assert int(after["received"]) > int(before["received"])
    assert after["applied"] == before["applied"] and after["last-seq"] == before["last-seq"]

    board.click(f"{DIAG} summary")
    wait_attr(board, DIAG, "open", "")
    rejected = board.locator(f"{DIAG} .rejected li").first
    assert rejected.is_visible()
    assert "Not json" in rejected.text_content() and "this is <b>not</b> json" in rejected.text_content()
    assert board.locator(f"{DIAG} .rejected b").count() == 0, "the frame is shown as text"
    board.keyboard.press("Escape")
    board.wait_for_function("(sel) => !document.querySelector(sel).open", arg=DIAG)


def test_the_banner_counts_down_while_reconnecting_then_offers_retry(board, stub):
    assert board.get_attribute(BANNER, "data-state") == "open"
    assert board.text_content("#connection-text") == "Live"
    assert not board.is_visible(RETRY)
    board.evaluate(f"""() => {{
        const node = document.querySelector('{BANNER}');
        window.__banner = [];
        new MutationObserver(() => window.__banner.push(
            node.getAttribute('data-state') + '|' + node.textContent.replace(/\\s+/g, ' ').trim()))
            .observe(node, {{subtree: true, attributes: true, childList: true, characterData: true}});
    }}""")

    stub.control("refuse", {"seconds": 120})
    stub.control("drop", {"code": None})
    board.wait_for_selector(f"{BANNER}[data-state=reconnecting]", state="attached", timeout=15_000)
    board.wait_for_selector(f"{BANNER}[data-state=offline]", state="attached", timeout=45_000)
    seen = board.evaluate("() => window.__banner")
    countdown = [t for t in seen if re.search(r"^reconnecting\|Reconnecting: attempt [1-5] of 5, next try in \d+ seconds?", t)]
    assert countdown, seen
    assert any("data on screen is" in t for t in seen if t.startswith("reconnecting")), "the data's age shows"
    assert board.is_visible(RETRY)
    assert "could not reconnect after 5 attempts" in board.text_content(BANNER)
    assert "data on screen is" in board.text_content(BANNER)
    assert board.text_content("#connection-announce").startswith("Offline")

    stub.control("refuse", {"seconds": 0})
    board.click(RETRY)
    board.wait_for_selector(f"{BANNER}[data-state=open]", state="attached", timeout=20_000)
    assert board.text_content("#connection-text") == "Live"
    assert not board.is_visible("#connection-age") and not board.is_visible(RETRY)


def test_logout_returns_to_the_login_form(board, stub):
    board.click("#logout")
    board.wait_for_selector("html[data-app-state=login]", state="attached", timeout=10_000)
    board.wait_for_selector("form[data-testid=login]", state="visible")
    assert board.is_hidden("#dashboard")
    assert board.evaluate("() => sessionStorage.getItem('dc.token')") is None
    # Keyboard-first: the username is kept, so focus waits in the password field; Enter submits.
    assert board.input_value("form[data-testid=login] [name=username]") == "demo"
    assert board.evaluate("() => document.activeElement.name") == "password"
    board.keyboard.press("Enter")
    board.wait_for_selector("[data-testid=login-error]", state="visible")  # no password: said, not sent
    assert board.get_attribute("html", "data-app-state") == "login"
    board.keyboard.type("demo")
    board.keyboard.press("Enter")
    board.wait_for_selector("html[data-app-state=ready]", state="attached", timeout=60_000)
    assert board.is_hidden("[data-testid=login-error]")
