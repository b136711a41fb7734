"""Fixtures for the Chromium tests: one browser per session, a fresh stub per module.

A test whose page's renderer crashes runs once more (``harness.rerun_renderer_crashes``),
and what Chromium said on its stderr is printed in the run's log (``harness.show_crash``).

One persistent profile serves the whole session so Pyodide's 9.6 MB wasm is
compiled once (``new_context()`` would not keep it in its cache); each test
gets its own tab, and sessionStorage is per tab, so tests do not share logins.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from tests.e2e.harness import (
    CHROMIUM_ARGS,
    Stub,
    chromium_path,
    module_stub,
    playwright_with_browser_log,
    recording_tab,
    remember_run,
    rerun_renderer_crashes,
    show_crash,
)

pytestmark = pytest.mark.e2e


def pytest_configure(config):
    remember_run(config)  # a crashed tab's report goes to the run's terminal (harness.show_crash)


def pytest_collection_modifyitems(items):
    rerun_renderer_crashes(items)  # a renderer that crashes gets one more run (harness.py)


@pytest.fixture(scope="session")
def browser_context():
    with tempfile.TemporaryDirectory(prefix="dc-e2e-") as tmp:
        log = Path(tmp) / "chromium.log"
        with playwright_with_browser_log(log) as playwright:
            context = playwright.chromium.launch_persistent_context(
                Path(tmp) / "profile", executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 720},
            )
            context.browser_log = log  # a tab whose renderer crashes shows what Chromium said (harness.show_crash)
            context.set_default_timeout(20_000)
            yield context
            context.close()


stub = module_stub("--seed", "7", "--rate", "4")


@pytest.fixture
def page(browser_context):
    tab = recording_tab(browser_context)
    yield tab
    show_crash(tab)
    tab.close()


#: The default world's 300 deliveries all in the page, so that a test can find any row by id (the
#: app's default window is 100 rows; the window itself is tested in test_deliveries_window.py).
ALL_ROWS = "pageRows=300"


def with_all_rows(query: str) -> str:
    """``query`` with ``ALL_ROWS`` unless it sets ``pageRows`` itself."""
    if "pageRows=" in query:
        return query
    return f"{query}&{ALL_ROWS}" if query else ALL_ROWS


def open_app(page, stub: Stub, query: str = "", fragment: str = ""):
    """Navigate to the app (every row of the default world in the page) and wait until it has left ``loading``."""
    page.goto(f"{stub.url}?{with_all_rows(query)}{fragment}")
    page.wait_for_selector("html:not([data-app-state=loading])", timeout=60_000)
    return page


def log_in(page, username: str = "demo", password: str = "demo"):
    page.wait_for_selector("html[data-app-state=login]")
    page.fill("form[data-testid=login] [name=username]", username)
    page.fill("form[data-testid=login] [name=password]", password)
    page.click("form[data-testid=login] [type=submit]")
    page.wait_for_selector("html[data-app-state=ready]", timeout=30_000)
    return page
