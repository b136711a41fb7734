"""The deliveries table lays out a window of rows; the next page is parked, hidden, drawn in the background.

With ``?pageRows=20`` the default world (300 deliveries) shows the first 20
in sort order in ``[data-testid=delivery-list]``, builds the next 20 and
parks them outside the document (brought up to date when changes pause, and
at once when they come into the window), builds no other row until one is
needed, and "Show more" adds 20 at a time. At
10,000 rows this is what keeps a live update cheap (static/js/rows.mjs).
One tab logs in for the module (``table``); its tests, one behaviour each,
run on it in file order with the simulation paused.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e.harness import wait_until
from tests.e2e.panels import close_tab, deliveries_tab, emit, page, settled, world  # noqa: F401 - fixtures

pytestmark = pytest.mark.e2e

SHOWN = "[data-testid=delivery-list] [data-testid=delivery-row]"
PARKED = "parked"  # outside the document: found through static/js/rows.mjs's table registry
FINAL = {"delivered", "failed", "cancelled"}
ROWS_JS = """(sel) => (sel === 'parked'
    ? [...dcRows.tables].flatMap(table => [...table.parked.querySelectorAll('[data-testid=delivery-row]')])
    : [...document.querySelectorAll(sel)]).map(row => ({
    id: row.dataset.id, status: row.dataset.status, hidden: row.hidden,
    eta: row.querySelector('[data-field=eta]').getAttribute('data-value')}))"""


def rows(page, selector: str) -> list[dict]:
    return page.evaluate(ROWS_JS, selector)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def eta_order_holds(shown: list[dict], parked: list[dict]) -> bool:
    """Open rows first by ETA, then closed ones: the shown rows are a prefix of that order."""
    def key(row):
        eta = datetime.fromisoformat(row["eta"].replace("Z", "+00:00")).timestamp() if row["eta"] else float("inf")
        return (row["status"] in FINAL, row["eta"] == "", eta)
    keys = [key(r) for r in shown]
    if keys != sorted(keys):
        return False
    return not parked or not shown or min(key(r) for r in parked) >= keys[-1]


@pytest.fixture(scope="module")
def table(browser_context, stub):
    """A tab with a window of 20 rows, every row built (20 shown, the rest parked), and the world it shows."""
    tab, world = deliveries_tab(browser_context, stub, query="pageRows=20")
    yield tab, world
    close_tab(tab, stub)


@pytest.fixture
def total(world):
    return len(world["deliveries"])


def parked_open(page, stub) -> list[str]:
    """The ids of the parked rows of open deliveries, in the page's order."""
    by_id = {d["id"]: d for d in settled(page, stub)["deliveries"]}
    return [r["id"] for r in rows(page, PARKED) if by_id[r["id"]]["status"] not in FINAL]


def test_a_window_of_20_rows_in_eta_order_and_the_next_20_parked_out_of_the_page(page, total):
    wait_until(lambda: len(rows(page, SHOWN)) == 20 and len(rows(page, PARKED)) == 20,
               timeout=30, message="20 rows shown, the next 20 parked")
    shown, parked = rows(page, SHOWN), rows(page, PARKED)
    assert not any(r["hidden"] for r in shown) and all(r["hidden"] for r in parked)
    assert page.locator("[data-testid=delivery-row]").count() == 20  # parked rows are not in the page
    assert eta_order_holds(shown, parked)
    more = page.locator("[data-testid=delivery-more]")
    assert more.is_visible() and f"first 20 of {total}" in more.text_content()


def test_a_parked_row_is_brought_up_to_date_and_stays_parked_past_the_window(page, stub):
    """In the background (deliveries/panel.py ``_catch_up``): its new place is still past the window."""
    far_one = parked_open(page, stub)[-1]
    far = iso(datetime.now(timezone.utc) + timedelta(days=3))
    emit(stub, {"type": "delivery_update", "deliveryId": far_one, "changes": {"eta": far}})
    wait_until(lambda: {r["id"]: r["eta"] for r in rows(page, PARKED)}.get(far_one) == far, timeout=10,
               message="the parked row shows the new ETA")
    assert page.evaluate("() => [...dcRows.tables].every(t => t.parked.dataset.caughtUp === 'true')")


def test_a_parked_row_that_becomes_the_earliest_comes_in_on_top_drawn_at_once(page, stub):
    """The last shown row leaves for the parked ones; the newcomer shows its new ETA as it comes in."""
    late_comer = parked_open(page, stub)[0]
    last_shown = rows(page, SHOWN)[-1]["id"]
    early = iso(datetime.now(timezone.utc) - timedelta(days=2))
    emit(stub, {"type": "delivery_update", "deliveryId": late_comer, "changes": {"eta": early}})
    wait_until(lambda: rows(page, SHOWN)[0]["id"] == late_comer, timeout=10, message="the row moved in on top")
    shown, parked = rows(page, SHOWN), rows(page, PARKED)
    assert shown[0]["eta"] == early
    assert len(shown) == 20 and last_shown in {r["id"] for r in parked}
    assert eta_order_holds(shown, parked)


def test_show_more_adds_20_rows_in_order(page, total):
    more = page.locator("[data-testid=delivery-more]")
    more.locator("button[data-action=show-more]").click()
    wait_until(lambda: len(rows(page, SHOWN)) == 40, timeout=10, message="40 rows after Show more")
    assert eta_order_holds(rows(page, SHOWN), rows(page, PARKED))
    assert f"first 40 of {total}" in more.text_content()


def test_a_filter_starts_again_from_one_window_of_its_matches(page, stub):
    select = page.locator("[data-testid=filter-status]")
    select.focus()
    select.select_option("pending")
    pending = sum(1 for d in settled(page, stub)["deliveries"] if d["status"] == "pending")
    wait_until(lambda: len(rows(page, SHOWN)) == min(20, pending), timeout=10, message="one window of matches")
    assert {r["status"] for r in rows(page, SHOWN)} == {"pending"}


def test_the_deliveries_panel_logged_no_error(page):
    assert not [m for m in page.console_messages_seen if "pageerror" in m or "panels/deliver" in m]
