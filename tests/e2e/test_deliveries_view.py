"""The deliveries table in Chromium: counts, every filter, search, sort, prefs across a re-login, late, flash.

One tab logs in for the module (``table``: a Pyodide boot is seconds) and its
tests run in file order on it, one behaviour each; each test sets the view it
needs and puts the filters back. The simulation is paused (rate 0), so the
stub's snapshot is exactly what the page shows; the tests change the world
only through /_control/emit and /_control/stream, and read the page through
the PROTOCOL.md 6 hooks plus the deliveries panel's own (``status-count``
chips, ``filter-*`` selects, ``delivery-search``, ``sort-by``, ``data-late``).
The view tests come first: the live ones after them change ETAs and names.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e.conftest import log_in
from tests.e2e.harness import wait_until
from tests.e2e.panels import close_tab, deliveries_tab, page, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.e2e

ROWS = "[data-testid=delivery-list] [data-testid=delivery-row]"
FINAL = {"delivered", "failed", "cancelled"}
STATUSES = ("pending", "assigned", "picked_up", "in_transit", "delivered", "failed", "cancelled")
PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2}
# Every row that is not hidden, with the raw values of its cells.
VISIBLE_JS = """() => [...document.querySelectorAll('[data-testid=delivery-list] [data-testid=delivery-row]')]
    .filter(row => !row.hidden)
    .map(row => {
        const out = {id: row.dataset.id, status: row.dataset.status, late: row.dataset.late === 'true'};
        for (const cell of row.querySelectorAll('[data-field]')) out[cell.dataset.field] = cell.dataset.value;
        return out;
    })"""
COUNTS_JS = """() => Object.fromEntries([...document.querySelectorAll('[data-testid=status-count]')]
    .map(chip => [chip.dataset.status, +chip.dataset.count]))"""


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def visible(page) -> list[dict]:
    return page.evaluate(VISIBLE_JS)


def choose(page, testid: str, value: str) -> None:
    select = page.locator(f"[data-testid={testid}]")
    select.focus()  # fills a lazily filled select
    select.select_option(value)
    if testid == "sort-by":
        sorted_now(page)


def sorted_now(page) -> None:
    """A new order is built in turns; the rows keep the old one (the list aria-busy) until it takes over."""
    page.wait_for_selector("[data-testid=delivery-list]:not([aria-busy=true])", state="attached")


def wait_visible(page, predicate, message: str, timeout: float = 10):
    return wait_until(lambda: (rows := visible(page)) and predicate(rows) and rows, timeout=timeout, message=message)


def row(page, delivery_id: str):
    return page.locator(f"{ROWS}[data-id='{delivery_id}']")


def emit_changes(stub, delivery_id: str, changes: dict, broadcast: bool = True) -> int:
    return stub.control("emit", {"broadcast": broadcast, "event": {
        "type": "delivery_update", "deliveryId": delivery_id, "changes": changes}})["seq"]


@pytest.fixture(scope="module")
def table(browser_context, stub):
    """The logged-in tab with every row built, and the world it shows (read before any test changed it)."""
    tab, world = deliveries_tab(browser_context, stub)
    yield tab, world
    close_tab(tab, stub)


@pytest.fixture
def deliveries(world):
    return world["deliveries"]


@pytest.fixture
def every_row_back(page, deliveries):
    """After the test: the filters cleared and every row shown again."""
    yield
    clear = page.locator("[data-testid=clear-filters]")
    if clear.is_visible():  # shown only while a filter is on
        clear.click()
    wait_visible(page, lambda rs: len(rs) == len(deliveries), "every row again")


# --- counts and filters -------------------------------------------------------------------------------


def test_the_toolbar_keeps_its_layout_when_the_assignee_filter_fills(page):
    """The assignee filter gets every name when first reached; as wide as its widest name, it pushed
    the toolbar onto two lines under the pointer. (First in the module: the list is not filled yet.)"""
    select = page.locator("select[data-testid=filter-assignee]")
    assert select.locator("option").count() <= 3, "filled already: the test would prove nothing"
    toolbar = page.locator(".delivery-filters")
    before = (toolbar.bounding_box()["height"], select.bounding_box()["width"])
    select.focus()
    wait_until(lambda: select.locator("option").count() > 10, timeout=10, message="the assignee filter filled")
    assert (toolbar.bounding_box()["height"], select.bounding_box()["width"]) == before
    page.locator("[data-testid=delivery-search]").focus()



def test_a_chip_per_status_counts_its_rows(page, deliveries):
    counts = page.evaluate(COUNTS_JS)
    for status in STATUSES:
        assert counts[status] == sum(d["status"] == status for d in deliveries), status
    assert counts["open"] == sum(d["status"] not in FINAL for d in deliveries)
    assert page.get_attribute("[data-testid=delivery-count]", "data-total") == str(len(deliveries))


def test_the_status_filter_shows_one_status_and_says_how_many(page, deliveries, every_row_back):
    pending = sum(d["status"] == "pending" for d in deliveries)
    choose(page, "filter-status", "pending")
    rows = wait_visible(page, lambda rs: all(r["status"] == "pending" for r in rs), "only pending rows")
    assert len(rows) == pending
    assert page.get_attribute("[data-testid=delivery-count]", "data-shown") == str(pending)


def test_the_open_filter_leaves_out_closed_deliveries(page, deliveries, every_row_back):
    choose(page, "filter-status", "open")
    rows = wait_visible(page, lambda rs: all(r["status"] not in FINAL for r in rs), "only open rows")
    assert len(rows) == sum(d["status"] not in FINAL for d in deliveries)


def test_a_chip_is_the_status_filter_pressed_and_again_shows_everything(page, deliveries, every_row_back):
    chip = page.locator("[data-testid=status-count][data-status=in_transit]")
    chip.click()
    rows = wait_visible(page, lambda rs: all(r["status"] == "in_transit" for r in rs), "in-transit rows")
    assert len(rows) == sum(d["status"] == "in_transit" for d in deliveries)
    assert chip.get_attribute("aria-pressed") == "true"
    assert page.locator("[data-testid=filter-status]").input_value() == "in_transit"
    chip.click()
    wait_visible(page, lambda rs: len(rs) == len(deliveries), "every row again")


def test_the_zone_filter_and_the_zone_name_beside_its_id(page, world, deliveries, every_row_back):
    zone = world["zones"][1]
    choose(page, "filter-zone", zone["id"])
    rows = wait_visible(page, lambda rs: all(r["zoneId"] == zone["id"] for r in rs), "one zone")
    assert len(rows) == sum(d["zoneId"] == zone["id"] for d in deliveries)
    cell = row(page, rows[0]["id"]).locator("[data-field=zoneId]")
    assert cell.text_content() == f"{zone['name']} ({zone['id']})"


def test_the_assignee_filter_one_person_then_nobody(page, deliveries, every_row_back):
    carriers = [d["assignedTo"] for d in deliveries if d["assignedTo"]]
    person = max(set(carriers), key=carriers.count)
    choose(page, "filter-assignee", f"staff:{person}")
    rows = wait_visible(page, lambda rs: all(r["assignedTo"] == person for r in rs), "one person's rows")
    assert len(rows) == carriers.count(person)
    choose(page, "filter-assignee", "none")
    rows = wait_visible(page, lambda rs: all(r["assignedTo"] == "" for r in rs), "unassigned rows")
    assert len(rows) == sum(d["assignedTo"] is None for d in deliveries)


def test_the_priority_filter(page, deliveries, every_row_back):
    choose(page, "filter-priority", "urgent")
    rows = wait_visible(page, lambda rs: all(r["priority"] == "urgent" for r in rs), "urgent rows")
    assert len(rows) == sum(d["priority"] == "urgent" for d in deliveries)


def test_search_matches_customer_id_and_address_ignoring_case(page, deliveries, every_row_back):
    by_id = {d["id"]: d for d in deliveries}
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


# --- sort ---------------------------------------------------------------------------------------------


def test_the_priority_header_sorts_urgent_first_then_reversed(page):
    page.click("[data-action=sort][data-sort=priority]")
    sorted_now(page)
    rows = wait_visible(page, lambda rs: rs[0]["priority"] == "urgent", "urgent first")
    ranks = [PRIORITY_RANK[r["priority"]] for r in rows]
    assert ranks == sorted(ranks)
    assert page.get_attribute("th:has([data-sort=priority])", "aria-sort") == "ascending"
    page.click("[data-action=sort][data-sort=priority]")
    sorted_now(page)
    rows = wait_visible(page, lambda rs: rs[0]["priority"] == "normal", "normal first")
    ranks = [PRIORITY_RANK[r["priority"]] for r in rows]
    assert ranks == sorted(ranks, reverse=True)
    assert page.get_attribute("th:has([data-sort=priority])", "aria-sort") == "descending"


def test_the_sort_select_orders_by_status(page):
    choose(page, "sort-by", "status")
    rows = wait_visible(page, lambda rs: rs[0]["status"] == "pending", "status order")
    assert [STATUSES.index(r["status"]) for r in rows] == sorted(STATUSES.index(r["status"]) for r in rows)


def test_the_eta_order_puts_open_deliveries_first_soonest_first(page):
    choose(page, "sort-by", "eta")
    rows = wait_visible(page, lambda rs: rs[0]["status"] not in FINAL, "open first")
    opened = [r for r in rows if r["status"] not in FINAL]
    assert rows[: len(opened)] == opened
    etas = [r["eta"] for r in opened if r["eta"]]
    assert etas == sorted(etas, key=lambda text: datetime.fromisoformat(text.replace("Z", "+00:00")))


# --- the view is kept -----------------------------------------------------------------------------------


def test_an_expired_token_brings_the_login_back_not_the_default_view(page, stub, deliveries, every_row_back):
    by_id = {d["id"]: d for d in deliveries}
    high = next(d for d in deliveries if d["status"] not in FINAL and d["priority"] == "high")
    word = high["address"].split()[1]
    choose(page, "sort-by", "eta")
    choose(page, "filter-status", "open")
    choose(page, "filter-priority", "high")
    page.locator("[data-testid=delivery-search]").fill(word)
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


def test_clear_filters_empties_the_search_and_shows_every_row(page, deliveries):
    choose(page, "filter-priority", "urgent")
    page.locator("[data-testid=delivery-search]").fill("a")
    wait_visible(page, lambda rs: len(rs) < len(deliveries), "a filtered view")
    page.click("[data-testid=clear-filters]")
    wait_visible(page, lambda rs: len(rs) == len(deliveries), "filters cleared")
    assert page.locator("[data-testid=delivery-search]").input_value() == ""
    assert page.locator("[data-testid=filter-priority]").input_value() == ""


# --- late, local time, flash (these change the world) -------------------------------------------------------


@pytest.fixture
def opened(deliveries):
    """Open deliveries of the first snapshot, one (or two) per test below."""
    return [d for d in deliveries if d["status"] not in FINAL]


def test_an_open_delivery_past_its_eta_says_late_in_words(page, stub, opened):
    late_one = opened[0]
    late_chip = page.locator("[data-testid=status-count][data-status=late]")
    late_before = int(late_chip.get_attribute("data-count"))
    past = iso(datetime.now(timezone.utc) - timedelta(minutes=10))
    emit_changes(stub, late_one["id"], {"eta": past})
    page.wait_for_selector(f"{ROWS}[data-id='{late_one['id']}'][data-late=true]", state="attached")
    eta_cell = row(page, late_one["id"]).locator("[data-field=eta]")
    assert eta_cell.get_attribute("data-value") == past  # the raw ISO text stays in data-value
    assert "10 min late" in eta_cell.text_content() or "11 min late" in eta_cell.text_content()
    assert row(page, late_one["id"]).locator(".eta-rel.late").is_visible()
    wait_until(lambda: int(late_chip.get_attribute("data-count")) == late_before + 1, timeout=10,
               message="the late count")


def test_an_eta_shows_the_browsers_local_time_and_the_time_to_go(page, stub, opened):
    soon_one = opened[1]
    future = iso(datetime.now(timezone.utc) + timedelta(hours=2, minutes=30))
    emit_changes(stub, soon_one["id"], {"eta": future})
    soon_cell = row(page, soon_one["id"]).locator("[data-field=eta]")
    wait_until(lambda: soon_cell.get_attribute("data-value") == future, timeout=10, message="the new eta")
    local = page.evaluate("iso => new Date(iso).toLocaleTimeString('en-GB', {hour: '2-digit', minute: '2-digit',"
                          " hour12: false})", future)
    text = soon_cell.text_content()
    assert local in text and ("in 2 h 30 min" in text or "in 2 h 29 min" in text), text
    assert row(page, soon_one["id"]).get_attribute("data-late") is None


def test_the_late_filter_shows_late_rows_only(page, stub, opened, every_row_back):
    late_one = opened[2]
    emit_changes(stub, late_one["id"], {"eta": iso(datetime.now(timezone.utc) - timedelta(minutes=5))})
    page.wait_for_selector(f"{ROWS}[data-id='{late_one['id']}'][data-late=true]", state="attached")
    choose(page, "filter-status", "late")
    rows = wait_visible(page, lambda rs: late_one["id"] in [r["id"] for r in rs], "the late filter")
    assert all(r["late"] for r in rows)


def watch_flashes(page) -> None:
    """Record, in the page, the id of every row that takes the ``flash`` class (``window.__flashed``)."""
    page.evaluate("""() => {
        window.__flashed = [];
        window.__flashObserver?.disconnect();
        window.__flashObserver = new MutationObserver(records => {
            for (const r of records) if (r.target.classList.contains('flash')) window.__flashed.push(r.target.dataset.id);
        });
        window.__flashObserver.observe(document.querySelector('[data-testid=delivery-list]'),
                                       {attributes: true, subtree: true, attributeFilter: ['class']});
    }""")


def test_a_live_event_flashes_the_row_it_changes_briefly_and_no_other(page, stub, opened):
    flashing = opened[3]
    watch_flashes(page)
    emit_changes(stub, flashing["id"], {"customer": "Flash Gordon"})
    page.wait_for_function("id => window.__flashed.includes(id)", arg=flashing["id"], timeout=10_000)
    page.wait_for_function(
        "sel => !document.querySelector(sel).classList.contains('flash')",
        arg=f"{ROWS}[data-id='{flashing['id']}']", timeout=10_000)
    assert set(page.evaluate("window.__flashed")) == {flashing["id"]}


#: In the page: for each of ``ids``, at the moment its row takes the ``flash`` class, the animations
#: that run on the row (``row``) or inside it (``::after``), and the colour its ``::after`` starts
#: with (``window.__flashLooks``). Read in the same task as the class change: no clock involved.
WATCH_FLASH_LOOKS_JS = """ids => {
    window.__flashLooks = {};
    window.__flashLookObserver?.disconnect();
    window.__flashLookObserver = new MutationObserver(records => {
        for (const r of records) {
            const id = r.target.dataset.id;
            if (!ids.includes(id) || !r.target.classList.contains('flash') || id in window.__flashLooks) continue;
            const on = document.getAnimations().filter(a => a.effect && a.effect.target === r.target);
            window.__flashLooks[id] = {
                animations: on.map(a => a.effect.pseudoElement || 'row'),
                layer: getComputedStyle(r.target, '::after').backgroundColor,
            };
        }
    });
    window.__flashLookObserver.observe(document.querySelector('[data-testid=delivery-list]'),
                                       {attributes: true, subtree: true, attributeFilter: ['class']});
}"""
TRANSPARENT = ("transparent", "rgba(0, 0, 0, 0)")


def flash_looks(page, stub, changes: dict[str, str]) -> dict:
    """Rename the customers of ``changes`` (row id -> name) live; how each row's flash began."""
    page.evaluate(WATCH_FLASH_LOOKS_JS, list(changes))
    for delivery_id, name in changes.items():
        emit_changes(stub, delivery_id, {"customer": name})
    page.wait_for_function("ids => ids.every(id => id in window.__flashLooks)", arg=list(changes), timeout=10_000)
    return page.evaluate("window.__flashLooks")


def test_a_flash_is_drawn_inside_its_row_so_a_row_out_of_view_animates_nothing(page, stub):
    """The fade is a layer in the row, which ``content-visibility`` skips with the row's contents
    while it is out of view: a fading row background cost every flashing row in the window
    style, layout and paint on every frame, seen or not (bench/README.md)."""
    rows = visible(page)
    seen, unseen = rows[0]["id"], rows[-1]["id"]
    row(page, seen).scroll_into_view_if_needed()
    below = page.evaluate("sel => document.querySelector(sel).getBoundingClientRect().top - innerHeight",
                          f"{ROWS}[data-id='{unseen}']")
    assert below > 2000, f"the window's last row is only {below} px below the screen"
    looks = flash_looks(page, stub, {seen: "Flash In View", unseen: "Flash Out Of View"})
    assert looks[seen]["animations"] == ["::after"], looks
    assert looks[seen]["layer"] not in TRANSPARENT, looks  # the fade starts at the highlight
    assert looks[unseen]["animations"] == [], looks


def test_with_reduced_motion_a_flash_is_a_still_highlight(page, stub):
    rows = visible(page)
    seen = rows[1]["id"]
    row(page, seen).scroll_into_view_if_needed()
    page.emulate_media(reduced_motion="reduce")
    try:
        looks = flash_looks(page, stub, {seen: "Flash Held Still"})
    finally:
        page.emulate_media(reduced_motion="no-preference")
    assert looks[seen]["animations"] == [], looks
    assert looks[seen]["layer"] not in TRANSPARENT, looks


def test_a_reset_redraws_rows_without_flashing_them(page, stub, opened):
    """A gap makes the app reload the snapshot: the rows it redraws are not live changes."""
    quiet_a, quiet_b = opened[4], opened[5]
    watch_flashes(page)
    emit_changes(stub, quiet_a["id"], {"customer": "Quiet Reset A"}, broadcast=False)
    emit_changes(stub, quiet_b["id"], {"customer": "Quiet Reset B"})
    for delivery_id, name in ((quiet_a["id"], "Quiet Reset A"), (quiet_b["id"], "Quiet Reset B")):
        cell = row(page, delivery_id).locator("[data-field=customer]")
        wait_until(lambda: cell.get_attribute("data-value") == name, timeout=20, message=f"{name} after resync")
    assert page.evaluate("window.__flashed") == []


def test_live_eta_changes_flash_their_rows_and_keep_the_eta_order(page, stub):
    choose(page, "sort-by", "eta")
    watch_flashes(page)
    stub.control("stream", {"rate": 40, "seconds": 1.5})
    ended = wait_until(lambda: (state := stub.control("stream", method="GET"))["emitted"] is not None and state,
                       timeout=30, interval=0.1, message="the stream ran and ended")
    assert ended["emitted"] >= 10
    last = stub.stats()["seq"]
    wait_until(lambda: int(page.get_attribute("[data-testid=diagnostics]", "data-last-seq") or -1) >= last,
               timeout=20, message="every streamed event applied")
    assert len(page.evaluate("window.__flashed")) >= 10
    opened_rows = [r for r in visible(page) if r["status"] not in FINAL and r["eta"]]
    etas = [datetime.fromisoformat(r["eta"].replace("Z", "+00:00")) for r in opened_rows]
    assert etas == sorted(etas)


def test_the_deliveries_panel_logged_no_error(page):
    assert not [m for m in page.console_messages_seen if "pageerror" in m or "panels/deliver" in m]
