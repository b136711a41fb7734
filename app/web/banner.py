"""The connection banner: ``[data-testid=connection-status]`` and its retry button.

It shows the connection machine's state in words a coordinator reads at a
glance: while reconnecting, "attempt n of 5, next try in s s" counting down;
when offline, a "Retry now" button; when not live, how old the data is.
"""

from __future__ import annotations

import asyncio
import time

from app.web.dom import by_id
from app.web.runtime import ProxyOwner

LABELS = {
    "connecting": "Connecting…",
    "open": "Live",
    "reconnecting": "Reconnecting",
    "offline": "Offline",
    "unauthorized": "Signed out: please sign in again",
}


def describe_age(seconds: float) -> str:
    if seconds < 60:
        return "data on screen is from less than a minute ago"
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"data on screen is {minutes} min old"
    return f"data on screen is {minutes // 60} h {minutes % 60} min old"


class Banner:
    def __init__(self, on_retry):
        self._root = by_id("connection")
        self._text = by_id("connection-text")
        self._age = by_id("connection-age")
        self._button = by_id("reconnect-now")
        self._owner = ProxyOwner("banner")
        self._button.addEventListener("click", self._owner.proxy(lambda event: on_retry()))
        self._state = "connecting"
        self._attempt = 0
        self._of = 5
        self._retry_at: float | None = None
        self._live_since_epoch: float | None = None  # last moment the data was known live
        self._tick_handle = None

    def show(self, state: str, attempt: int = 0, of: int = 5, next_retry_ms: int | None = None) -> None:
        if self._state == "open" and state != "open":
            self._live_since_epoch = time.time()
        self._state, self._attempt, self._of = state, attempt, of
        self._retry_at = time.monotonic() + next_retry_ms / 1000 if next_retry_ms is not None else None
        self._root.setAttribute("data-state", state)
        self._button.hidden = state not in ("offline", "reconnecting")
        self._render()

    def mark_live(self) -> None:
        self._live_since_epoch = None

    def _render(self) -> None:
        text = LABELS.get(self._state, self._state)
        if self._state == "reconnecting":
            text = f"Reconnecting: attempt {self._attempt} of {self._of}"
            if self._retry_at is not None:
                seconds = max(0, round(self._retry_at - time.monotonic()))
                text += f", next try in {seconds} s"
        elif self._state == "offline":
            text = "Offline: gave up after 5 attempts. Retrying when the network returns."
        self._text.textContent = text
        stale = self._state != "open" and self._live_since_epoch is not None
        self._age.textContent = describe_age(time.time() - self._live_since_epoch) if stale else ""
        self._schedule_tick()

    def _schedule_tick(self) -> None:
        if self._tick_handle is not None:
            self._tick_handle.cancel()
            self._tick_handle = None
        if self._state in ("reconnecting", "offline", "connecting"):
            self._tick_handle = asyncio.get_event_loop().call_later(1.0, self._render)

    def destroy(self) -> None:
        if self._tick_handle is not None:
            self._tick_handle.cancel()
        self._owner.destroy()
