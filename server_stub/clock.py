"""Wall-clock helpers: the one place that knows the wire's timestamp format.

    >>> from datetime import datetime, timezone
    >>> iso(datetime(2026, 11, 26, 14, 5, tzinfo=timezone.utc))
    '2026-11-26T14:05:00Z'

The world takes a ``clock`` callable instead of reading the time itself, so
tests pass a fixed or stepping one and get the same world every run.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, to the second (what PROTOCOL.md 5 calls ISO 8601)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ms(moment: datetime) -> str:
    """The same, to the millisecond: the benchmark stream's ``ts``, the moment an event was made."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def stepping_clock(start: datetime, step: timedelta = timedelta(seconds=1)) -> Clock:
    """A clock that moves ``step`` forward on every read: deterministic, yet time passes."""
    state = {"now": start}

    def read() -> datetime:
        state["now"] += step
        return state["now"]

    return read
