"""Tests wait on conditions, not on time: ``tests/waiting.py`` and the rule that keeps sleeps out.

A fixed sleep followed by an assertion is either slow or flaky; every test
waits on a condition with a deadline instead (``wait_until``, Playwright's
``wait_for_selector``/``expect``). The only fixed waits left are absence
checks, where the point is that nothing happens, listed below with their count.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.waiting import wait_until

TESTS = Path(__file__).resolve().parent
FIXED_WAIT = re.compile(r"\btime\.sleep\(|\.wait_for_timeout\(")
ABSENCE_CHECKS = {
    "e2e/test_sync_faults.py": 1,  # no reconnect attempt after 4401
    "e2e/test_hosting_tls.py": 2,  # no request to a refused origin
    "server_stub/test_stub_locations.py": 2,  # no location event at rate 0, none after a burst ends
    "waiting.py": 1,  # the pause between two polls of wait_until itself
}


def fixed_waits() -> dict[str, int]:
    found = {}
    for path in sorted(TESTS.rglob("*.py")):
        count = len(FIXED_WAIT.findall(path.read_text()))
        if count:
            found[str(path.relative_to(TESTS))] = count
    return found


def test_no_fixed_wait_but_the_listed_absence_checks():
    assert fixed_waits() == ABSENCE_CHECKS


def test_wait_until_returns_the_first_truthy_value():
    polls = iter([0, None, "", [], 7, 8])
    assert wait_until(lambda: next(polls), timeout=5, interval=0) == 7


def test_wait_until_fails_with_its_message_once_the_deadline_passes():
    with pytest.raises(AssertionError, match="timed out after 0.05s waiting for the impossible"):
        wait_until(lambda: False, timeout=0.05, interval=0.01, message="the impossible")
