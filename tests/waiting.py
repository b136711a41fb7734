"""Waiting on a condition, never on time: the one polled predicate every test shares.

    wait_until(lambda: stub.world.seq >= 20, timeout=10, message="20 events")

Bounded in time and in count, so a predicate that never holds fails with
its message instead of hanging.
"""

from __future__ import annotations

import time

MAX_POLLS = 100_000


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05, message: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value, and return that value."""
    deadline = time.monotonic() + timeout
    for _ in range(MAX_POLLS):
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            break
        time.sleep(interval)  # the pause between two polls, not a synchronisation
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
