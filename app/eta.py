"""A delivery's ETA for people: the local clock time, "in 12 min" or "3 min late", and whether it is late.

    >>> from datetime import datetime, timezone
    >>> now = datetime(2026, 11, 26, 14, 0, tzinfo=timezone.utc)
    >>> eta_text("2026-11-26T14:12:00Z", open_=True, now=now, offset_minutes=60)
    EtaText(time='15:12', relative='in 12 min', late=False, title='Thu 26 Nov 2026, 15:12')
    >>> eta_text("2026-11-26T13:57:00Z", open_=True, now=now).relative
    '3 min late'

Built on ``app.timefmt`` (``parse_iso``, ``clock``) and its convention: the
shell passes ``now`` and the browser's UTC offset in minutes east of UTC
(``-Date.getTimezoneOffset()``), so every rule is tested under CPython with
a fixed clock. ``data-value`` keeps the raw ISO text; these are only words.

Rules:

1. An *open* delivery (``models.is_open``: not delivered, failed or cancelled) is late when its
   ETA has passed (``eta < now``). A closed one is never late: its ETA is
   history, and it gets no relative text.
2. Relative text is rounded to whole minutes: ``in 12 min``, ``in 1 h 5
   min``, ``in 2 d 3 h``; under a minute ahead is ``due now``; late reads
   ``3 min late`` (``<1 min late`` in its first minute).
3. The clock time is ``timefmt.clock``'s (``14:05`` today, ``Yesterday
   14:05``, ``27 Nov 09:30``); ``title`` is the whole date for a tooltip.
4. Missing or unparseable input gives empty text and never raises.

Speed: a live ETA change reaches the parse four times (the row's facts, its
text, its title, its timestamp), so parsed texts and the clock and title
words of each (text, offset, local day) are cached; a cache miss is the only
parse.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import NamedTuple, Optional

from app.timefmt import MONTHS, clock, parse_iso

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class EtaText(NamedTuple):
    """What an ETA cell shows: ``time`` (local clock), ``relative``, ``late``, and a full ``title``."""

    time: str
    relative: str
    late: bool
    title: str


NO_ETA = EtaText(time="", relative="", late=False, title="")


CACHED = 4096  # texts; a burst of live changes reads each new ETA a few times within one frame


def _parse(text) -> Optional[tuple[datetime, float]]:
    moment = parse_iso(text)
    return None if moment is None else (moment, moment.timestamp())


_parsed = lru_cache(maxsize=CACHED)(_parse)  # texts only: a datetime or None is parsed as it comes


def _moment(text) -> Optional[tuple[datetime, float]]:
    return _parsed(text) if isinstance(text, str) else _parse(text)


def timestamp(text: Optional[str]) -> Optional[float]:
    """Seconds since the epoch (for sorting and lateness); None if missing or not a time."""
    found = _moment(text)
    return None if found is None else found[1]


def is_late(eta_ts: Optional[float], open_: bool, now_ts: float) -> bool:
    """Rule 1 on timestamps: the hot path, run over thousands of rows per clock tick."""
    return open_ and eta_ts is not None and eta_ts < now_ts


def duration(seconds: float) -> str:
    """``12 min``, ``1 h 5 min``, ``2 d 3 h``: whole minutes, at least one."""
    minutes = max(1, int(round(abs(seconds) / 60)))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def full(moment: datetime, offset_minutes: int = 0) -> str:
    """``Thu 26 Nov 2026, 14:12`` in the given offset."""
    local = moment.astimezone(timezone(timedelta(minutes=offset_minutes)))
    return (f"{WEEKDAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local.year}, "
            f"{local.hour:02d}:{local.minute:02d}")


def countdown(seconds_until: float, open_: bool = True) -> str:
    """Rule 2 from the seconds left until the ETA (negative: passed); empty for a closed delivery.

    The clock tick calls this with cached timestamps, so it parses nothing.
    """
    if not open_:
        return ""
    if seconds_until < 0:
        return "<1 min late" if seconds_until > -60 else f"{duration(seconds_until)} late"
    if seconds_until < 60:
        return "due now"
    return f"in {duration(seconds_until)}"


def eta_text(text: Optional[str], *, open_: bool, now: datetime, offset_minutes: int = 0) -> EtaText:
    """Everything an ETA cell shows (rules 1-4)."""
    found = _moment(text)
    if found is None:
        return NO_ETA
    moment, ts = found
    now_ts = now.timestamp()
    seconds = ts - now_ts
    if isinstance(text, str):
        time, title = _clock_and_title(text, offset_minutes, int((now_ts + offset_minutes * 60) // 86400))
    else:
        time, title = clock(moment, now, offset_minutes), full(moment, offset_minutes)
    return EtaText(time=time, relative=countdown(seconds, open_), late=open_ and seconds < 0, title=title)


@lru_cache(maxsize=CACHED)
def _clock_and_title(text: str, offset_minutes: int, day: int) -> tuple[str, str]:
    """The clock time and the title of a parseable ``text`` seen on local ``day`` (days since 1970)."""
    moment = _parsed(text)[0]
    midnight = datetime.fromtimestamp(day * 86400 - offset_minutes * 60, timezone.utc)  # local midnight
    return clock(moment, midnight, offset_minutes), full(moment, offset_minutes)
