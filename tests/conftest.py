"""Run the Chromium tests last.

Playwright's sync API keeps an asyncio loop running in the main thread for
as long as its session-scoped browser lives; the CPython tests that drive
the shell on a loop of their own (``tests/web``) cannot run after that. The
browser tests are also the slow ones: the quick ones report first.
"""

from __future__ import annotations


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=lambda item: "tests/e2e/" in item.nodeid.replace("\\", "/"))
