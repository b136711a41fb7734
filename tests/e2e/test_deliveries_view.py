"""The deliveries table in Chromium: counts, every filter, search, sort, prefs across a re-login, late, flash.

The simulation is paused (rate 0) while a test runs, so the stub's snapshot
is exactly what the page shows; the tests change the world only through
/_control/emit, and read the page through the PROTOCOL.md 6 hooks plus the
deliveries panel's own (``status-count`` chips, ``filter-*`` selects,
``delivery-search``, ``sort-by``, ``data-late``).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e.conftest import log_in, open_app
from tests.e2e.harness import wait_until

pytestmark = pytest.mark.e2e

ROWS = "[data-testid=delivery-list] [data-testid=delivery-row]"
FINAL = {"delivered", "failed", "cancelled"}
PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2}
# Every row that is not hidden, with the raw values of its cells.
VISIBLE_JS = """() => [...document.querySelectorAll('[data-testid=delivery-list] [data-testid=delivery-row]')]
    .filter(row => !row.hidden)
    .map(row => {
        const out = {id: row.dataset.id, status: row.dataset.status, late: row.dataset.late === 'true'};
        for (const cell of row.querySelectorAll('[data-field]')) out[cell.dataset.field] = cell.dataset.value;
        return out;
    })"""


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def visible(page) -> list[dict]:
    return page.evaluate(VISIBLE_JS)


def snapshot(stub) -> dict:
    status, body = stub.api("GET", "snapshot", token=stub.login_token())
    assert status == 200
    return body


def start(page, stub) -> dict:
    """Pause the world, log in through the form, wait until every row is built; the snapshot shown."""
    stub.control("rate", {"eventsPerSecond": 0})
    world = snapshot(stub)
    open_app(page, stub)
    log_in(page)
    rows = page.locator(ROWS)
    wait_until(lambda: rows.count() == len(world["deliveries"]), timeout=30, message="every row built")
    return world


def choose(page, testid: str, value: str) -> None:
    select = page.locator(f"[data-testid={testid}]")
    select.focus()  # fills a lazily filled select
    select.select_option(value)


def wait_visible(page, predicate, message: str, timeout: float = 10):
    return wait_until(lambda: (rows := visible(page)) and predicate(rows) and rows, timeout=timeout, message=message)


def test_counts_filters_search_sort_and_prefs_across_a_relogin(page, stub):
    try:
        world = start(page, stub)
        deliveries = world["deliveries"]
        by_id = {d["id"]: d for d in deliveries}

        # Counts: one chip per status (and open, late), equal to the rows of that status.
        counts = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll(
            '[data-testid=status-count]')].map(chip => [chip.dataset.status, +chip.dataset.count]))""")
        for status in ("pending", "assigned", "picked_up", "in_transit", "delivered", "failed", "cancelled"):
            assert counts[status] == sum(d["status"] == status for d in deliveries), status
        assert counts["open"] == sum(d["status"] not in FINAL for d in deliveries)
        count = page.locator("[data-testid=delivery-count]")
        assert count.get_attribute("data-total") == str(len(deliveries))

        # Status filter: only that status, and the count says how many are shown.
        choose(page, "filter-status", "pending")
        rows = wait_visible(page, lambda rs: all(r["status"] == "pending" for r in rs), "only pending rows")
        assert len(rows) == counts["pending"]
        assert count.get_attribute("data-shown") == str(counts["pending"])
        choose(page, "filter-status", "open")
        rows = wait_visible(page, lambda rs: all(r["status"] not in FINAL for r in rs), "only open rows")
        assert len(rows) == counts["open"]

        # A chip is the same filter, pressed; pressing it again shows everything.
        chip = page.locator("[data-testid=status-count][data-status=in_transit]")
        chip.click()
        rows = wait_visible(page, lambda rs: all(r["status"] == "in_transit" for r in rs), "in-transit rows")
        assert len(rows) == counts["in_transit"] and chip.get_attribute("aria-pressed") == "true"
        assert page.locator("[data-testid=filter-status]").input_value() == "in_transit"
        chip.click()
        wait_visible(page, lambda rs: len(rs) == len(deliveries), "every row again")

        # Zone (name beside id in the cell), assignee (a person, then nobody), priority.
        zone = world["zones"][1]
        choose(page, "filter-zone", zone["id"])
        rows = wait_visible(page, lambda rs: all(r["zoneId"] == zone["id"] for r in rs), "one zone")
        assert len(rows) == sum(d["zoneId"] == zone["id"] for d in deliveries)
        cell = page.locator(f"{ROWS}[data-id='{rows[0]['id']}'] [data-field=zoneId]")
        assert cell.text_content() == f"{zone['name']} ({zone['id']})"
        choose(page, "filter-zone", "")

        carriers = [d["assignedTo"] for d in deliveries if d["assignedTo"]]
        person = max(set(carriers), key=carriers.count)
        choose(page, "filter-assignee", f"staff:{person}")
        rows = wait_visible(page, lambda rs: all(r["assignedTo"] == person for r in rs), "one person's rows")
        assert len(rows) == carriers.count(person)
        choose(page, "filter-assignee", "none")
        rows = wait_visible(page, lambda rs: all(r["assignedTo"] == "" for r in rs), "unassigned rows")
        assert len(rows) == sum(d["assignedTo"] is None for d in deliveries)
        choose(page, "filter-assignee", "")

        choose(page, "filter-priority", "urgent")
        rows = wait_visible(page, lambda rs: all(r["priority"] == "urgent" for r in rs), "urgent rows")
        assert len(rows) == sum(d["priority"] == "urgent" for d in deliveries)
        choose(page, "filter-priority", "")

        # Search: words over id, customer and address, case-insensitive.
        target = deliveries[len(deliveries) // 2]
        search = page.locator("[data-testid=delivery-search]")
        search.fill(target["customer"].upper())
        rows = wait_visible(page, lambda rs: target["id"] in [r["id"] for r in rs] and len(rs) < len(deliveries),
                            "search by customer")
        assert all(target["customer"].lower() in by_id[r["id"]]["customer"].lower() for r in rows)
        search.fill(target["id"].lower())
        wait_visible(page, lambda rs: [r["id"] for r in rs] == [target["id"]], "search by id")
        street = " ".join(target["address"].split(",")[0].split()[1:])  # "12 Mill Lane, North" -> "Mill Lane"
        search.fill(street)
        rows = wait_visible(page, lambda rs: target["id"] in [r["id"] for r in rs], "search by address")
        assert all(street.lower() in by_id[r["id"]]["address"].lower() for r in rows)
        search.fill("")
        wait_visible(page, lambda rs: len(rs) == len(deliveries), "search cleared")

        # Sort: by the Priority header (urgent first, then reversed), then ETA (open first, soonest first).
        page.click("[data-action=sort][data-sort=priority]")
        rows = wait_visible(page, lambda rs: rs[0]["priority"] == "urgent", "urgent first")
        ranks = [PRIORITY_RANK[r["priority"]] for r in rows]
        assert ranks == sorted(ranks)
        assert page.get_attribute("th:has([data-sort=priority])", "aria-sort") == "ascending"
        page.click("[data-action=sort][data-sort=priority]")
        rows = wait_visible(page, lambda rs: rs[0]["priority"] == "normal", "normal first")
        ranks = [PRIORITY_RANK[r["priority"]] for r in rows]
        assert ranks == sorted(ranks, reverse=True)
        assert page.get_attribute("th:has([data-sort=priority])", "aria-sort") == "descending"
        choose(page, "sort-by", "status")
        order = ["pending", "assigned", "picked_up", "in_transit", "delivered", "failed", "cancelled"]
        rows = wait_visible(page, lambda rs: rs[0]["status"] == "pending", "status order")
        assert [order.index(r["status"]) for r in rows] == sorted(order.index(r["status"]) for r in rows)
        choose(page, "sort-by", "eta")
        rows = wait_visible(page, lambda rs: rs[0]["status"] not in FINAL, "open first")
        opened = [r for r in rows if r["status"] not in FINAL]
        assert rows[: len(opened)] == opened
        etas = [r["eta"] for r in opened if r["eta"]]
        assert etas == sorted(etas, key=lambda text: datetime.fromisoformat(text.replace("Z", "+00:00")))

        # The view lives in the App's prefs: an expired token brings the login back, not the defaults.
        urgent = next(d for d in deliveries if d["status"] not in FINAL and d["priority"] == "high")
        word = urgent["address"].split()[1]
        choose(page, "filter-status", "open")
        choose(page, "filter-priority", "high")
        search.fill(word)
        expected = {r["id"] for r in wait_visible(
            page, lambda rs: all(r["priority"] == "high" and word.lower() in by_id[r["id"]]["address"].lower()
                                 for r in rs), "filtered before the token dies")}
        stub.control("revoke")
        page.wait_for_selector("html[data-app-state=login]", state="attached", timeout=20_000)
        log_in(page)
        assert page.locator("[data-testid=filter-status]").input_value() == "open"
        assert page.locator("[data-testid=filter-priority]").input_value() == "high"
        assert page.locator("[data-testid=delivery-search]").input_value() == word
        assert page.locator("[data-testid=sort-by]").input_value() == "eta"
        wait_until(lambda: {r["id"] for r in visible(page)} == expected, timeout=20, message="same rows after login")

        page.click("[data-testid=clear-filters]")
        wait_visible(page, lambda rs: len(rs) == len(deliveries), "filters cleared")
        assert page.locator("[data-testid=delivery-search]").input_value() == ""
        assert not [m for m in page.console_messages_seen if "pageerror" in m or "panels/deliver" in m]
    finally:
        stub.control("rate", {"eventsPerSecond": 4})


def test_late_marker_local_times_and_a_flash_only_for_live_changes(page, stub):
    try:
        world = start(page, stub)
        opened = [d for d in world["deliveries"] if d["status"] not in FINAL]
        late_one, soon_one, flashing, quiet_a, quiet_b = opened[:5]
        late_chip = page.locator("[data-testid=status-count][data-status=late]")
        late_before = int(late_chip.get_attribute("data-count"))
        row = lambda delivery_id: page.locator(f"{ROWS}[data-id='{delivery_id}']")  # noqa: E731

        # Late: an open delivery whose ETA has passed says so in words (not only in colour).
        now = datetime.now(timezone.utc)
        past, future = iso(now - timedelta(minutes=10)), iso(now + timedelta(hours=2, minutes=30))
        for delivery_id, eta in ((late_one["id"], past), (soon_one["id"], future)):
            stub.control("emit", {"event": {"type": "delivery_update", "deliveryId": delivery_id,
                                            "changes": {"eta": eta}}})
        page.wait_for_selector(f"{ROWS}[data-id='{late_one['id']}'][data-late=true]", state="attached")
        eta_cell = row(late_one["id"]).locator("[data-field=eta]")
        assert eta_cell.get_attribute("data-value") == past  # the raw ISO text stays in data-value
        assert "10 min late" in eta_cell.text_content() or "11 min late" in eta_cell.text_content()
        assert row(late_one["id"]).locator(".eta-rel.late").is_visible()
        wait_until(lambda: int(late_chip.get_attribute("data-count")) == late_before + 1, timeout=10,
                   message="the late count")

        # Local time, as the browser's clock shows it, and a relative time beside it.
        soon_cell = row(soon_one["id"]).locator("[data-field=eta]")
        wait_until(lambda: soon_cell.get_attribute("data-value") == future, timeout=10, message="the new eta")
        local = page.evaluate("iso => new Date(iso).toLocaleTimeString('en-GB', {hour: '2-digit', minute: '2-digit',"
                              " hour12: false})", future)
        text = soon_cell.text_content()
        assert local in text and ("in 2 h 30 min" in text or "in 2 h 29 min" in text), text
        assert row(soon_one["id"]).get_attribute("data-late") is None

        # The late filter shows it (and only late ones).
        choose(page, "filter-status", "late")
        rows = wait_visible(page, lambda rs: late_one["id"] in [r["id"] for r in rs], "the late filter")
        assert all(r["late"] for r in rows)
        choose(page, "filter-status", "")

        # A live event flashes the row it changes, briefly; nothing else flashes.
        page.evaluate("""() => {
            window.__flashed = [];
            new MutationObserver(records => {
                for (const r of records) if (r.target.classList.contains('flash')) window.__flashed.push(r.target.dataset.id);
            }).observe(document.querySelector('[data-testid=delivery-list]'),
                       {attributes: true, subtree: true, attributeFilter: ['class']});
        }""")
        stub.control("emit", {"event": {"type": "delivery_update", "deliveryId": flashing["id"],
                                        "changes": {"customer": "Flash Gordon"}}})
        page.wait_for_function("id => window.__flashed.includes(id)", arg=flashing["id"], timeout=10_000)
        page.wait_for_function(
            "sel => !document.querySelector(sel).classList.contains('flash')",
            arg=f"{ROWS}[data-id='{flashing['id']}']", timeout=10_000)
        assert set(page.evaluate("window.__flashed")) == {flashing["id"]}

        # A reset (a gap makes the app reload the snapshot) redraws rows without flashing them.
        page.evaluate("window.__flashed = []")
        stub.control("emit", {"broadcast": False, "event": {"type": "delivery_update", "deliveryId": quiet_a["id"],
                                                            "changes": {"customer": "Quiet Reset A"}}})
        stub.control("emit", {"event": {"type": "delivery_update", "deliveryId": quiet_b["id"],
                                        "changes": {"customer": "Quiet Reset B"}}})
        for delivery_id, name in ((quiet_a["id"], "Quiet Reset A"), (quiet_b["id"], "Quiet Reset B")):
            cell = row(delivery_id).locator("[data-field=customer]")
            wait_until(lambda: cell.get_attribute("data-value") == name, timeout=20, message=f"{name} after resync")
        assert page.evaluate("window.__flashed") == []

        # Live ETA changes move only the rows they touch, and the table stays in ETA order.
        stub.control("stream", {"rate": 40, "seconds": 1.5})
        seqs = [stub.stats()["seq"]]

        def stream_over() -> bool:  # the stub's seq stopped moving
            time.sleep(0.5)
            seqs.append(stub.stats()["seq"])
            return seqs[-1] == seqs[-2] and seqs[-1] > seqs[0]

        wait_until(stream_over, timeout=30, message="the stream ran and ended")
        wait_until(lambda: int(page.get_attribute("[data-testid=diagnostics]", "data-last-seq") or -1) >= seqs[-1],
                   timeout=20, message="every streamed event applied")
        assert len(page.evaluate("window.__flashed")) >= 10
        opened_rows = [r for r in visible(page) if r["status"] not in FINAL and r["eta"]]
        etas = [datetime.fromisoformat(r["eta"].replace("Z", "+00:00")) for r in opened_rows]
        assert etas == sorted(etas)
    finally:
        stub.control("rate", {"eventsPerSecond": 4})
