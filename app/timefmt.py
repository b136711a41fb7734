"""Times for people: "3 min ago", "14:05", "data on screen is 4 min old". Pure, no browser.

    >>> from datetime import datetime, timezone
    >>> now = datetime(2026, 11, 26, 14, 5, tzinfo=timezone.utc)
    >>> relative("2026-11-26T13:58:00Z", now)
    '7 min ago'
    >>> clock("2026-11-26T13:58:00Z", now, offset_minutes=60)
    '14:58'
    >>> seconds_text(1), data_age(200)
    ('1 second', 'data on screen is 3 min old')

The shell passes ``now`` and the browser's UTC offset (``Date.getTimezoneOffset``),
so every rule here is tested under CPython with a fixed clock. Raw timestamps
stay in ``data-value``; these strings are only the text people read.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional, Union

When = Union[str, datetime, None]

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def parse_iso(value: When) -> Optional[datetime]:
    """An aware datetime (UTC when the text has no offset), or None for None or text that is not a time."""
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip())
        except ValueError:
            return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def relative(value: When, now: datetime) -> str:
    """"just now", "7 min ago", "2 h ago", "3 d ago"; the future reads "in 5 min". Empty for no time."""
    when = parse_iso(value)
    if when is None:
        return ""
    seconds = (now - when).total_seconds()
    future = seconds < -30  # a little clock skew is "just now", not "in 10 s"
    seconds = abs(seconds)
    if seconds < 45:
        return "just now"
    minutes = round(seconds / 60)
    if minutes < 60:
        span = f"{max(1, minutes)} min"
    elif seconds < 24 * 3600:
        hours = int(seconds // 3600)
        span = f"{hours} h"
    else:
        span = f"{int(seconds // 86400)} d"
    return f"in {span}" if future else f"{span} ago"


def clock(value: When, now: datetime, offset_minutes: int = 0) -> str:
    """The local wall-clock time: "14:58" today, "Yesterday 14:58", else "24 Nov 14:58". Empty for no time."""
    when = parse_iso(value)
    if when is None:
        return ""
    zone = timezone(timedelta(minutes=offset_minutes))
    local, today = when.astimezone(zone), now.astimezone(zone).date()
    hm = f"{local.hour:02d}:{local.minute:02d}"
    if local.date() == today:
        return hm
    if local.date() == today - timedelta(days=1):
        return f"Yesterday {hm}"
    return f"{local.day} {MONTHS[local.month - 1]} {hm}"


def seconds_text(n: int) -> str:
    return "1 second" if n == 1 else f"{n} seconds"


def data_age(seconds: float) -> str:
    """How old the data on screen is, once the connection is not live."""
    if seconds < 60:
        return "data on screen is less than a minute old"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"data on screen is {minutes} min old"
    return f"data on screen is {minutes // 60} h {minutes % 60} min old"
