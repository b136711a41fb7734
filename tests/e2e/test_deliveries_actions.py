"""Acting on deliveries in Chromium: the detail dialog, optimistic status and assignee changes, a refusal, XSS.

The simulation is paused (rate 0) while a test runs so that nothing but the
test changes the deliveries it picks; changes come from the page (the row's
selects) or from /_control/emit. ``data-pending`` is recorded by a
MutationObserver rather than polled, so a fast server cannot hide it.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in, open_app
from tests.e2e.harness import wait_until

pytestmark = pytest.mark.e2e

ROWS = "[data-testid=delivery-list] [data-testid=delivery-row]"
DETAIL = "[data-testid=delivery-detail]"
FINAL = {"delivered", "failed", "cancelled"}
# Record every (id, data-status, data-pending) a row goes through.
WATCH_JS = """() => {
    window.__states = [];
    new MutationObserver(records => {
        for (const r of records) {
            const row = r.target.closest('[data-testid=delivery-row]');
            if (row) window.__states.push([row.dataset.id, row.dataset.status, row.getAttribute('data-pending')]);
        }
    }).observe(document.querySelector('[data-testid=delivery-list]'),
               {attributes: true, subtree: true, attributeFilter: ['data-status', 'data-pending']});
}"""


def row(page, delivery_id: str):
    return page.locator(f"{ROWS}[data-id='{delivery_id}']")


def value(page, delivery_id: str, field: str) -> str | None:
    return row(page, delivery_id).locator(f"[data-field={field}]").get_attribute("data-value")


def start(page, stub) -> tuple[dict, str]:
    stub.control("rate", {"eventsPerSecond": 0})
    token = stub.login_token()
    status, world = stub.api("GET", "snapshot", token=token)
    assert status == 200
    open_app(page, stub)
    log_in(page)
    rows = page.locator(ROWS)
    wait_until(lambda: rows.count() == len(world["deliveries"]), timeout=30, message="every row built")
    page.evaluate(WATCH_JS)
    return world, token


def change(page, delivery_id: str, action: str, choice: str) -> None:
    """Pick ``choice`` in a row's status select, or its assign combobox (type the id, click the option)."""
    if action == "assign":
        combobox = row(page, delivery_id).locator("input[data-action=assign][role=combobox]")
        combobox.fill(choice)
        row(page, delivery_id).locator(f"[role=option][data-value='{choice}']").click()
        return
    row(page, delivery_id).locator(f"select[data-action={action}]").select_option(choice)


def saw_pending(page, delivery_id: str, status: str | None = None) -> None:
    page.wait_for_function(
        "([id, status]) => window.__states.some(([i, s, p]) => i === id && p === 'true' && (!status || s === status))",
        arg=[delivery_id, status], timeout=10_000)


def settled(page, delivery_id: str, timeout: float = 15_000) -> None:
    page.wait_for_function("sel => { const r = document.querySelector(sel); return r && !r.hasAttribute('data-pending'); }",
                           arg=f"{ROWS}[data-id='{delivery_id}']", timeout=timeout)


def test_detail_dialog_live_messages_escape_and_untrusted_text(page, stub):
    try:
        world, _ = start(page, stub)
        target = next(d for d in world["deliveries"] if d["status"] not in FINAL and d["assignedTo"])
        staff = {s["id"]: s for s in world["staff"]}
        zones = {z["id"]: z for z in world["zones"]}

        # Open it from the row: a labelled modal dialog, focus inside, every field with its raw value.
        opener = row(page, target["id"]).locator("button[data-action=open-details]")
        opener.click()
        detail = page.locator(DETAIL)
        detail.wait_for(state="visible")
        assert detail.get_attribute("data-id") == target["id"]
        title_id = detail.get_attribute("aria-labelledby")
        assert target["id"] in page.locator(f"#{title_id}").text_content()
        assert page.evaluate(f"!!document.activeElement.closest('{DETAIL}')")
        for field in ("id", "status", "customer", "address", "zoneId", "assignedTo", "priority", "eta", "updatedAt"):
            assert detail.locator(f"[data-field={field}]").get_attribute("data-value") == (target[field] or ""), field
        assert detail.locator("[data-field=zoneId]").text_content() == (
            f"{zones[target['zoneId']]['name']} ({target['zoneId']})")
        assert detail.locator("[data-field=assignedTo]").text_content() == (
            f"{staff[target['assignedTo']]['name']} ({target['assignedTo']})")

        # It follows the world while open: a message about this delivery, then a change to it.
        stub.control("emit", {"event": {"type": "new_communication", "communication": {
            "id": "C-detail-1", "from": target["assignedTo"], "to": "coordinators", "deliveryId": target["id"],
            "body": "At the door, <b>nobody</b> answers", "sentAt": "2026-11-26T13:58:00Z"}}})
        message = detail.locator("[data-testid=delivery-message][data-id='C-detail-1']")
        message.wait_for(state="visible", timeout=10_000)
        assert message.locator("[data-field=body]").text_content() == "At the door, <b>nobody</b> answers"
        assert message.locator("b").count() == 0
        stub.control("emit", {"event": {"type": "delivery_update", "deliveryId": target["id"],
                                        "changes": {"customer": "Changed While Open"}}})
        wait_until(lambda: detail.locator("[data-field=customer]").text_content() == "Changed While Open",
                   timeout=10, message="the detail follows the delivery")

        # Escape closes it and gives focus back to the button that opened it.
        page.keyboard.press("Escape")
        detail.wait_for(state="hidden")
        wait_until(lambda: page.evaluate(
            "id => document.activeElement.matches('[data-action=open-details]')"
            " && document.activeElement.closest('[data-testid=delivery-row]').dataset.id === id", target["id"]),
            timeout=5, message="focus back on the row's button")

        # Untrusted text: a whole new delivery whose customer is markup shows as text and runs nothing.
        payload = "<img src=x onerror=window.__xss=1>"
        stub.control("emit", {"event": {"type": "delivery_update", "deliveryId": "D-XSS-1", "changes": {
            "id": "D-XSS-1", "status": "pending", "customer": payload, "address": '"><script>window.__xss=2</script>',
            "zoneId": world["zones"][0]["id"], "assignedTo": None, "priority": "urgent",
            "eta": "2031-01-01T00:00:00Z", "updatedAt": "2026-11-26T13:00:00Z"}}})
        new_row = row(page, "D-XSS-1")
        new_row.wait_for(state="attached", timeout=10_000)
        assert new_row.locator("[data-field=customer]").text_content() == payload
        assert new_row.locator("[data-field=customer]").get_attribute("data-value") == payload
        assert new_row.locator("img, script").count() == 0
        new_row.locator("button[data-action=open-details]").click()
        detail.wait_for(state="visible")
        assert detail.locator("[data-field=customer]").text_content() == payload
        assert detail.locator("img, script").count() == 0
        page.keyboard.press("Escape")
        detail.wait_for(state="hidden")
        assert page.evaluate("typeof window.__xss") == "undefined"
    finally:
        stub.control("rate", {"eventsPerSecond": 4})


def test_set_status_and_assign_are_optimistic_and_a_refusal_rolls_back_with_its_reason(page, stub):
    try:
        world, token = start(page, stub)
        carried = next(d for d in world["deliveries"] if d["status"] == "assigned" and d["assignedTo"])
        waiting = next(d for d in world["deliveries"] if d["status"] == "pending" and not d["assignedTo"])
        closed = next(d for d in world["deliveries"] if d["status"] == "delivered")
        driver = next(s for s in world["staff"] if s["role"] == "driver" and s["status"] == "available")

        # Set status: pending at once (the new status shown), then confirmed by the server.
        change(page, carried["id"], "set-status", "picked_up")
        saw_pending(page, carried["id"], "picked_up")
        settled(page, carried["id"])
        assert row(page, carried["id"]).get_attribute("data-status") == "picked_up"
        assert stub.api("GET", f"deliveries/{carried['id']}", token=token)[1]["status"] == "picked_up"

        # Assign: the name beside the id at once; the server also makes it "assigned".
        change(page, waiting["id"], "assign", driver["id"])
        saw_pending(page, waiting["id"])
        settled(page, waiting["id"])
        wait_until(lambda: value(page, waiting["id"], "status") == "assigned", timeout=10, message="assigned")
        assert value(page, waiting["id"], "assignedTo") == driver["id"]
        cell = row(page, waiting["id"]).locator("[data-field=assignedTo]")
        assert cell.text_content() == f"{driver['name']} ({driver['id']})"
        assert stub.api("GET", f"deliveries/{waiting['id']}", token=token)[1]["assignedTo"] == driver["id"]

        # A refusal: a delivered delivery cannot change (409). It shows, then rolls back with the reason.
        change(page, closed["id"], "set-status", "pending")
        saw_pending(page, closed["id"], "pending")
        settled(page, closed["id"])
        wait_until(lambda: value(page, closed["id"], "status") == "delivered", timeout=10, message="rolled back")
        error = row(page, closed["id"]).locator("[data-testid=row-error]")
        error.wait_for(state="visible", timeout=10_000)
        assert "refused" in error.text_content()
        assert row(page, closed["id"]).get_attribute("data-status") == "delivered"
        assert row(page, closed["id"]).locator("select[data-action=set-status]").input_value() == "delivered"
        row(page, closed["id"]).locator("button[data-action=dismiss-error]").click()
        error.wait_for(state="hidden", timeout=10_000)
        assert stub.api("GET", f"deliveries/{closed['id']}", token=token)[1]["status"] == "delivered"
    finally:
        stub.control("rate", {"eventsPerSecond": 4})


OPTIONS_JS = """sel => [...document.querySelectorAll(sel)].map(o => [o.getAttribute('data-value'),
    o.getAttribute('data-distance'), o.querySelector('.sub') ? o.querySelector('.sub').textContent : ''])"""


def test_the_assign_list_offers_the_nearest_available_people_first_with_their_distance(page, stub):
    """Against the stub's world: available first, nearest the pickup first, distances as the server's points say."""
    from app.geo import distance_m

    try:
        world, _ = start(page, stub)
        job = next((d for d in world["deliveries"] if d["status"] == "pending" and not d["assignedTo"]
                    and d.get("pickup")), None) or next(d for d in world["deliveries"] if d["status"] == "pending")
        pickup = job.get("pickup")
        staff = {m["id"]: m for m in world["staff"]}
        combobox = row(page, job["id"]).locator("input[data-action=assign][role=combobox]")
        combobox.focus()
        listbox = row(page, job["id"]).locator("[role=listbox]")
        listbox.wait_for(state="visible", timeout=10_000)
        wait_until(lambda: listbox.locator("[role=option]").count() == len(staff) + 1, timeout=10,
                   message="every person offered")
        options = page.evaluate(OPTIONS_JS, f"{ROWS}[data-id='{job['id']}'] [role=option]")
        assert options[0][0] == "" and sorted(v for v, _, _ in options[1:]) == sorted(staff)
        people = [(staff[v], None if d is None else int(d), sub) for v, d, sub in options[1:]]
        available = [p for p in people if p[0]["status"] == "available"]
        assert people[:len(available)] == available  # available first
        for member, shown, sub in people:
            where = member.get("location")
            if pickup and where:  # the distance the server's points give, in metres and in words
                assert abs(shown - distance_m((pickup["lat"], pickup["lon"]), (where["lat"], where["lon"]))) <= 1
                assert sub.split(" · ")[1].endswith((" m", " km"))
            else:
                assert shown is None
        near = [shown for _, shown, _ in available if shown is not None]
        assert near == sorted(near)  # nearest first
        unlocated = [m["name"].casefold() for m, shown, _ in available if shown is None]
        assert unlocated == sorted(unlocated) and [s is None for _, s, _ in available] == sorted(
            s is None for _, s, _ in available)
        combobox.press("Escape")
    finally:
        stub.control("rate", {"eventsPerSecond": 4})
