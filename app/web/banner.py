"""The connection banner: ``[data-testid=connection-status]`` and its ``[data-testid=reconnect-now]`` button.

It shows the connection machine's state in words a coordinator reads at a
glance (``app.wording.connection_text``): "Live"; "Syncing" while the socket
is open but the board is catching up; while reconnecting "Reconnecting:
attempt n of 5, next try in s seconds", counting down; when offline, why,
the countdown to the next slow try (every minute, for as long as the page is
open), and a "Retry now" button; whenever the data is not live, how old the
data on screen is. ``data-state`` carries the raw state.

The banner itself is not a live region (a countdown read aloud every second
is noise); a separate polite region (``#connection-announce``) says each
change of state once.
"""

from __future__ import annotations

import time

from app.timefmt import data_age
from app.web.dom import by_id
from app.web.localtime import Every
from app.web.runtime import ProxyOwner
from app.wording import connection_announcement, connection_text

TICK_SECONDS = 0.25  # the countdown is redrawn only when its text changes


class Banner:
    def __init__(self, on_retry):
        self._root = by_id("connection")
        self._text = by_id("connection-text")
        self._age = by_id("connection-age")
        self._button = by_id("reconnect-now")
        self._announce = by_id("connection-announce")
        self._owner = ProxyOwner("banner")
        self._button.addEventListener("click", self._owner.proxy(lambda event: on_retry()))
        self._state = "connecting"
        self._attempt = 0
        self._of = 5
        self._retry_at: float | None = None
        self._live_since_epoch: float | None = None  # last moment the data was known live
        self._ticker: Every | None = None
        self._shown = ("", "")

    def show(self, state: str, attempt: int = 0, of: int = 5, next_retry_ms: int | None = None) -> None:
        if self._state == "open" and state != "open":
            self._live_since_epoch = time.time()
        changed = state != self._state
        self._state, self._attempt, self._of = state, attempt, of
        self._retry_at = time.monotonic() + next_retry_ms / 1000 if next_retry_ms is not None else None
        self._root.setAttribute("data-state", state)
        self._button.hidden = state not in ("offline", "reconnecting")
        if changed and self._announce:
            self._announce.textContent = connection_announcement(state)
        self._render()
        self._schedule_tick()

    def mark_live(self) -> None:
        """Fresh data is on screen (a snapshot was rendered): no age to show."""
        self._live_since_epoch = None
        self._render()
        self._schedule_tick()

    def _render(self) -> None:
        seconds_left = None
        if self._retry_at is not None:
            seconds_left = max(0, round(self._retry_at - time.monotonic()))
        text = connection_text(self._state, self._attempt, self._of, seconds_left)
        stale = self._state != "open" and self._live_since_epoch is not None
        age = data_age(time.time() - self._live_since_epoch) if stale else ""
        if (text, age) != self._shown:
            self._text.textContent = text
            self._age.textContent = age
            self._age.hidden = not age
            self._shown = (text, age)

    def _schedule_tick(self) -> None:
        # Tick for the countdown, or for the age of the data once it is not live; not while idle on login.
        counting = self._state in ("reconnecting", "offline") and self._retry_at is not None
        ticking = counting or self._state == "reconnecting" or (
            self._state != "open" and self._live_since_epoch is not None)
        if ticking and self._ticker is None:
            self._ticker = Every(TICK_SECONDS, self._render)
        elif not ticking and self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    def destroy(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        self._owner.destroy()
