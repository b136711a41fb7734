"""What the panel tests share: one logged-in tab per module, reading rows and cards as dicts, waits.

Each module logs in once (a Pyodide boot is 3-8 s) and its tests run in file
order on that tab, the simulation stopped (rate 0) so the world only changes
when a test emits an event.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import log_in, with_all_rows
from tests.e2e.harness import Stub, recording_tab, show_crash, wait_until

RATE = 4  # the conftest stub's simulation rate, restored after each module
BOOT_MS = 120_000  # a first Pyodide boot on a busy 2-core machine has taken over 60 s

READ_ITEMS = """(selector) => [...document.querySelectorAll(selector)].map(node => ({
    id: node.getAttribute('data-id'),
    status: node.getAttribute('data-status'),
    hidden: node.hidden || node.offsetParent === null,
    attrs: Object.assign({}, node.dataset),
    values: Object.fromEntries([...node.querySelectorAll('[data-field]')]
        .map(cell => [cell.getAttribute('data-field'), cell.getAttribute('data-value')])),
    texts: Object.fromEntries([...node.querySelectorAll('[data-field]')]
        .map(cell => [cell.getAttribute('data-field'), cell.textContent])),
}))"""


def items(page, selector: str) -> dict[str, dict]:
    """Rows or cards by ``data-id``: ``status``, ``hidden``, ``attrs`` (dataset), ``values`` and ``texts`` per field."""
    return {item["id"]: item for item in page.evaluate(READ_ITEMS, selector)}


def settled(page, stub: Stub) -> dict:
    """Once the page has applied every event the stub made: the stub's snapshot (the same world)."""
    seq = stub.stats()["seq"]
    page.wait_for_function(
        "(seq) => +document.querySelector('[data-testid=diagnostics]').getAttribute('data-last-seq') >= seq",
        arg=seq, timeout=20_000)
    status, snapshot = stub.api("GET", "snapshot", token=stub.login_token())
    assert status == 200, snapshot
    return snapshot


def emit(stub: Stub, event: dict) -> int:
    return stub.control("emit", {"event": event})["seq"]


def wait_attr(page, selector: str, name: str, value: str, timeout: float = 10_000) -> None:
    page.wait_for_function(
        "([sel, name, value]) => document.querySelector(sel)?.getAttribute(name) === value",
        arg=[selector, name, value], timeout=timeout)


def watch_mutations(page, list_selector: str, item_selector: str) -> None:
    """Record, in the page, the ``data-id`` of every item a DOM mutation touches (``window.__touched``)."""
    page.evaluate(
        """([listSel, itemSel]) => {
            window.__touched = new Set();
            window.__observer?.disconnect();
            window.__observer = new MutationObserver(records => {
                for (const r of records) {
                    const node = r.target.nodeType === 1 ? r.target : r.target.parentElement;
                    if (node.closest('[data-field=lastSeenAt]')) continue;  // the clock's own ticks
                    const item = node.closest(itemSel);
                    window.__touched.add(item ? item.getAttribute('data-id') : '(list)');
                }
            });
            window.__observer.observe(document.querySelector(listSel),
                {subtree: true, attributes: true, childList: true, characterData: true});
        }""",
        [list_selector, item_selector])


def touched(page) -> set[str]:
    return set(page.evaluate("() => { window.__observer?.disconnect(); return [...window.__touched]; }"))


def logged_in_tab(browser_context, stub: Stub, query: str = ""):
    """A tab logged in through the form, the simulation stopped; close it (and restore the rate) when done."""
    stub.control("rate", {"eventsPerSecond": 0})
    tab = recording_tab(browser_context)
    tab.goto(f"{stub.url}?{with_all_rows(query)}")
    tab.wait_for_selector("html[data-app-state=login]", state="attached", timeout=BOOT_MS)
    log_in(tab)
    return tab


def close_tab(tab, stub: Stub) -> None:
    errors = [line for line in tab.console_messages_seen
              if line.startswith("pageerror") or "Traceback" in line or "! panel" in line]
    print("--- page console (last 60; pytest shows it when a test failed) ---")
    print("\n".join(tab.console_messages_seen[-60:]))
    show_crash(tab)
    tab.close()
    stub.control("rate", {"eventsPerSecond": RATE})
    if errors:
        pytest.fail("the page raised:\n" + "\n".join(errors[-10:]))


# --- the deliveries table's modules: one tab each, the world it shows -------------------------------------

#: Delivery rows built, in the page (the window) and parked outside it (static/js/rows.mjs's tables).
BUILT_ROWS_JS = """() => document.querySelectorAll('[data-testid=delivery-list] [data-testid=delivery-row]').length
    + [...dcRows.tables].reduce((n, table) => n + table.parked.querySelectorAll('[data-testid=delivery-row]').length, 0)"""


def deliveries_tab(browser_context, stub: Stub, query: str = ""):
    """``logged_in_tab``, once the rows that can come into view are built: the window and the
    next page (the panel builds the others only when needed); and the world it shows."""
    tab = logged_in_tab(browser_context, stub, query)
    world = settled(tab, stub)
    page_rows = int(re.search(r"pageRows=(\d+)", with_all_rows(query)).group(1))
    want = min(len(world["deliveries"]), 2 * page_rows)
    wait_until(lambda: tab.evaluate(BUILT_ROWS_JS) == want, timeout=30, message=f"{want} rows built")
    return tab, world


@pytest.fixture
def page(table):
    """The module's ``table`` tab (each deliveries module defines ``table``)."""
    return table[0]


@pytest.fixture
def world(table):
    """The world the module's ``table`` tab showed when it was opened."""
    return table[1]
