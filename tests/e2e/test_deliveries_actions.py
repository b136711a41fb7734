"""Acting on deliveries in Chromium: the detail dialog, optimistic status and assignee changes, a refusal, XSS.

One tab logs in for the module (``table``) and its tests, one behaviour each,
run on it in file order. The simulation is paused (rate 0) so that nothing
but the tests changes the deliveries they pick; changes come from the page
(the row's selects) or from /_control/emit. ``data-pending`` is recorded by a
MutationObserver rather than polled, so a fast server cannot hide it.
"""

from __future__ import annotations

import pytest

from tests.e2e.harness import wait_until
from tests.e2e.panels import close_tab, deliveries_tab, emit, page, settled, world  # noqa: F401 - fixtures

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


@pytest.fixture(scope="module")
def table(browser_context, stub):
    """The logged-in tab with every row built and watched (``window.__states``), the world it shows, a token."""
    tab, world = deliveries_tab(browser_context, stub)
    tab.evaluate(WATCH_JS)
    yield tab, world, stub.login_token()
    close_tab(tab, stub)


@pytest.fixture
def token(table):
    return table[2]


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


def on_server(stub, token: str, delivery_id: str) -> dict:
    status, delivery = stub.api("GET", f"deliveries/{delivery_id}", token=token)
    assert status == 200, delivery
    return delivery


def confirmed(page, delivery_id: str, timeout: float = 15_000) -> None:
    page.wait_for_function("sel => { const r = document.querySelector(sel); return r && !r.hasAttribute('data-pending'); }",
                           arg=f"{ROWS}[data-id='{delivery_id}']", timeout=timeout)


# --- the detail dialog ----------------------------------------------------------------------------------


@pytest.fixture
def target(world):
    """An open, assigned delivery of the first snapshot: the one whose detail the tests open."""
    return next(d for d in world["deliveries"] if d["status"] not in FINAL and d["assignedTo"])


@pytest.fixture
def detail(page, target):
    """Its detail, opened from the row's button; closed (Escape) after the test if still open."""
    row(page, target["id"]).locator("button[data-action=open-details]").click()
    dialog = page.locator(DETAIL)
    dialog.wait_for(state="visible")
    yield dialog
    if dialog.is_visible():
        page.keyboard.press("Escape")
        dialog.wait_for(state="hidden")


def test_the_detail_is_a_labelled_modal_with_every_raw_value_and_names_beside_ids(page, world, target, detail):
    staff = {s["id"]: s for s in world["staff"]}
    zones = {z["id"]: z for z in world["zones"]}
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


def test_the_open_detail_lists_a_new_message_about_it_as_text(stub, target, detail):
    stub.control("emit", {"event": {"type": "new_communication", "communication": {
        "id": "C-detail-1", "from": target["assignedTo"], "to": "coordinators", "deliveryId": target["id"],
        "body": "At the door, <b>nobody</b> answers", "sentAt": "2026-11-26T13:58:00Z"}}})
    message = detail.locator("[data-testid=delivery-message][data-id='C-detail-1']")
    message.wait_for(state="visible", timeout=10_000)
    assert message.locator("[data-field=body]").text_content() == "At the door, <b>nobody</b> answers"
    assert message.locator("b").count() == 0


def test_the_open_detail_follows_a_change_to_its_delivery(stub, target, detail):
    stub.control("emit", {"event": {"type": "delivery_update", "deliveryId": target["id"],
                                    "changes": {"customer": "Changed While Open"}}})
    wait_until(lambda: detail.locator("[data-field=customer]").text_content() == "Changed While Open",
               timeout=10, message="the detail follows the delivery")


def test_escape_closes_the_detail_and_gives_focus_back_to_its_button(page, target, detail):
    page.keyboard.press("Escape")
    detail.wait_for(state="hidden")
    wait_until(lambda: page.evaluate(
        "id => document.activeElement.matches('[data-action=open-details]')"
        " && document.activeElement.closest('[data-testid=delivery-row]').dataset.id === id", target["id"]),
        timeout=5, message="focus back on the row's button")


def test_markup_in_a_new_delivery_shows_as_text_in_its_row_and_detail_and_runs_nothing(page, stub, world):
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
    detail = page.locator(DETAIL)
    detail.wait_for(state="visible")
    assert detail.locator("[data-field=customer]").text_content() == payload
    assert detail.locator("img, script").count() == 0
    page.keyboard.press("Escape")
    detail.wait_for(state="hidden")
    assert page.evaluate("typeof window.__xss") == "undefined"


# --- commands from the row ------------------------------------------------------------------------------


@pytest.fixture
def current(page, stub):
    """The world as it is now, once the page has applied all of it (a new delivery retires the oldest closed one)."""
    return settled(page, stub)


def test_a_status_change_shows_at_once_as_pending_then_is_confirmed(page, stub, current, token):
    carried = next(d for d in current["deliveries"] if d["status"] == "assigned" and d["assignedTo"])
    change(page, carried["id"], "set-status", "picked_up")
    saw_pending(page, carried["id"], "picked_up")
    confirmed(page, carried["id"])
    assert row(page, carried["id"]).get_attribute("data-status") == "picked_up"
    assert on_server(stub, token, carried["id"])["status"] == "picked_up"


def test_keys_that_would_step_a_closed_status_list_send_nothing(page, stub, current, token):
    """In Chromium an arrow key on a closed <select> changes it at once: one command per key press.
    The keys open the list instead; nothing changes until an option is picked."""
    carried = next(d for d in current["deliveries"] if d["status"] == "picked_up")
    other = next(d for d in current["deliveries"] if d["status"] not in FINAL and d["id"] != carried["id"])
    page.evaluate("() => { window.__states = window.__states || []; window.__states.length = 0; }")
    select = row(page, carried["id"]).locator("select[data-action=set-status]")
    select.focus()
    for key in ("ArrowDown", "ArrowDown", "ArrowUp", "End", "Home", "d"):
        page.keyboard.press(key)
        page.keyboard.press("Escape")  # closes the list the key opened
    # An event after the keys: once it shows, a command the keys had sent would have shown as pending.
    emit(stub, {"type": "delivery_update", "deliveryId": other["id"], "changes": {"eta": "2031-05-06T07:08:00Z"}})
    wait_until(lambda: value(page, other["id"], "eta") == "2031-05-06T07:08:00Z", timeout=15,
               message="the event after the keys")
    states = page.evaluate("() => window.__states")
    assert not [s for s in states if s[0] == carried["id"]], states
    assert select.input_value() == "picked_up" and on_server(stub, token, carried["id"])["status"] == "picked_up"


def test_a_keyboard_user_opens_the_status_list_and_picks_with_enter(page, stub, current, token):
    carried = next(d for d in current["deliveries"] if d["status"] == "assigned" and d["assignedTo"])
    select = row(page, carried["id"]).locator("select[data-action=set-status]")
    select.focus()
    page.keyboard.press("ArrowDown")  # opens the list, on the current status
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    saw_pending(page, carried["id"], "picked_up")
    confirmed(page, carried["id"])
    assert on_server(stub, token, carried["id"])["status"] == "picked_up"


def test_an_assignment_shows_the_name_beside_the_id_and_the_server_makes_it_assigned(page, stub, current, token):
    waiting = next(d for d in current["deliveries"] if d["status"] == "pending" and not d["assignedTo"])
    driver = next(s for s in current["staff"] if s["role"] == "driver" and s["status"] == "available")
    change(page, waiting["id"], "assign", driver["id"])
    saw_pending(page, waiting["id"])
    confirmed(page, waiting["id"])
    wait_until(lambda: value(page, waiting["id"], "status") == "assigned", timeout=10, message="assigned")
    assert value(page, waiting["id"], "assignedTo") == driver["id"]
    cell = row(page, waiting["id"]).locator("[data-field=assignedTo]")
    assert cell.text_content() == f"{driver['name']} ({driver['id']})"
    assert on_server(stub, token, waiting["id"])["assignedTo"] == driver["id"]
    # The list closed; the combobox, still focused, is its small self again, not an empty 240 px box
    # over the row's cells that the row clips (and that took no click).
    combobox = row(page, waiting["id"]).locator("input[data-action=assign][role=combobox]")
    assert combobox.get_attribute("aria-expanded") == "false"
    assert combobox.evaluate("e => e === document.activeElement")
    box = combobox.bounding_box()
    assert box["width"] < 60, box
    assert combobox.evaluate("""e => { e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();
        return document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === e; }""")


def refused_change(page, delivery: dict):
    """A delivered delivery set back to pending: shown, refused (409), rolled back; its row's error box."""
    change(page, delivery["id"], "set-status", "pending")
    saw_pending(page, delivery["id"], "pending")
    confirmed(page, delivery["id"])
    wait_until(lambda: value(page, delivery["id"], "status") == "delivered", timeout=10, message="rolled back")
    error = row(page, delivery["id"]).locator("[data-testid=row-error]")
    error.wait_for(state="visible", timeout=10_000)
    return error


def test_a_refused_change_rolls_back_and_says_why(page, stub, current, token):
    closed = [d for d in current["deliveries"] if d["status"] == "delivered"][0]
    error = refused_change(page, closed)
    assert "refused" in error.text_content()
    assert row(page, closed["id"]).get_attribute("data-status") == "delivered"
    assert row(page, closed["id"]).locator("select[data-action=set-status]").input_value() == "delivered"
    assert on_server(stub, token, closed["id"])["status"] == "delivered"


def test_dismiss_hides_a_refusal(page, current):
    closed = [d for d in current["deliveries"] if d["status"] == "delivered"][1]
    error = refused_change(page, closed)
    row(page, closed["id"]).locator("button[data-action=dismiss-error]").click()
    error.wait_for(state="hidden", timeout=10_000)


# --- the assign list: the nearest available people first --------------------------------------------------

OPTIONS_JS = """sel => [...document.querySelectorAll(sel)].map(o => [o.getAttribute('data-value'),
    o.getAttribute('data-distance'), o.querySelector('.sub') ? o.querySelector('.sub').textContent : ''])"""


def test_the_assign_list_offers_the_nearest_available_people_first_with_their_distance(page, current):
    """Against the stub's city: available first, nearest the pickup first, distances as the server's points say."""
    from app.geo import distance_m

    job = next((d for d in current["deliveries"] if d["status"] == "pending" and not d["assignedTo"]
                and d.get("pickup")), None) or next(d for d in current["deliveries"] if d["status"] == "pending")
    pickup = job.get("pickup")
    staff = {m["id"]: m for m in current["staff"]}
    combobox = row(page, job["id"]).locator("input[data-action=assign][role=combobox]")
    combobox.focus()
    listbox = row(page, job["id"]).locator("[role=listbox]")
    listbox.wait_for(state="visible", timeout=10_000)
    wait_until(lambda: listbox.locator("[role=option]").count() == len(staff) + 1, timeout=10,
               message="every person offered")
    options = page.evaluate(OPTIONS_JS, f"{ROWS}[data-id='{job['id']}'] [role=option]")
    combobox.press("Escape")
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
