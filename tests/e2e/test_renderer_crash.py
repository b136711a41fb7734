"""A renderer that crashes under a test: the tab knows, and what Chromium said is at hand for the log.

Playwright reports only "Target crashed"; the cause (a failed check, a signal, out of memory) is in
Chromium's stderr, which the session's browser writes to a file (``harness.playwright_with_browser_log``)
and the ``page`` fixture prints when its tab crashed (``harness.show_crash``).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Error

from tests.e2e.harness import crash_report, recording_tab


def test_a_crashed_tab_reports_chromiums_own_words_and_a_healthy_one_reports_nothing(browser_context, stub):
    healthy = recording_tab(browser_context)
    crashed = recording_tab(browser_context)
    try:
        healthy.goto(f"{stub.url}/static/favicon.svg")
        with crashed.expect_event("crash", timeout=10_000):
            with pytest.raises(Error):
                crashed.goto("chrome://crash", timeout=10_000)  # Chromium's own way to crash a renderer
        assert crashed.crashed and not healthy.crashed
        lines = crash_report(crashed)
        assert any("Intentionally crashing" in line for line in lines), lines
        assert not any("dbus" in line for line in lines), "the container's D-Bus noise is left out"
        assert crash_report(healthy) == []
    finally:
        healthy.close()
        crashed.close()
