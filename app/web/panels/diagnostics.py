"""The diagnostics panel: ``[data-testid=diagnostics]``, collapsed by default.

Its ``data-*`` counters (received, applied, invalid, duplicates, last seq,
open proxies) are what end-to-end tests and a curious coordinator read; the
last rejected frames are listed as text with their reasons.
"""

from __future__ import annotations

import asyncio

from app.store import Changes
from app.web.dom import clear, el
from app.web.panels.base import Panel
from app.web.runtime import ProxyOwner

COUNTERS = (
    ("received", "Frames received"),
    ("applied", "Events applied"),
    ("invalid", "Invalid frames"),
    ("duplicates", "Duplicates"),
    ("unknown", "Unknown types"),
    ("resyncs", "Resyncs"),
    ("last-seq", "Last seq"),
    ("proxies", "Open proxies"),
    ("sockets", "Sockets opened"),
)


class DiagnosticsPanel(Panel):
    name = "diagnostics"
    topics = ("*",)
    refresh_seconds = 1.0

    def build(self) -> None:
        self._values = {}
        self.box = el("details", {"data-testid": "diagnostics", "class": "diagnostics"},
                      el("summary", None, el("h2", {"id": "diagnostics-title"}, text="Diagnostics")))
        grid = el("dl", {"class": "diag-grid"})
        for key, label in COUNTERS:
            value = el("dd", {"data-counter": key}, text="0")
            self._values[key] = value
            self.box.setAttribute(f"data-{key}", "0")
            grid.appendChild(el("div", None, el("dt", None, text=label), value))
        self.rejected = el("ol", {"class": "rejected", "aria-label": "Last rejected frames"})
        self.box.appendChild(grid)
        self.box.appendChild(el("h3", None, text="Last rejected frames"))
        self.box.appendChild(self.rejected)
        self.root.appendChild(self.box)
        self._last_rejected = None
        self._timer = asyncio.get_event_loop().call_later(self.refresh_seconds, self._tick)

    def _tick(self) -> None:
        self.update(Changes())
        self._timer = asyncio.get_event_loop().call_later(self.refresh_seconds, self._tick)

    def teardown(self) -> None:
        self._timer.cancel()

    def update(self, changes: Changes) -> None:
        diag = self.client.diagnostics()
        values = {
            "received": diag["received"], "applied": diag["applied"], "invalid": diag["invalid"],
            "duplicates": diag["duplicates"], "unknown": diag["unknown"], "resyncs": diag["resyncs"],
            "last-seq": "" if diag["last_seq"] is None else diag["last_seq"],
            "proxies": ProxyOwner.live(),
            "sockets": self.ctx.notes.get("sockets_opened", lambda: 0)(),
        }
        for key, value in values.items():
            text = str(value)
            if self._values[key].textContent != text:
                self._values[key].textContent = text
                self.box.setAttribute(f"data-{key}", text)
        rejected = diag["rejected"]
        marker = (len(rejected), rejected[-1]["preview"] if rejected else None, diag["invalid"])
        if marker != self._last_rejected:
            self._last_rejected = marker
            clear(self.rejected)
            for item in reversed(rejected):
                self.rejected.appendChild(el("li", None, text=f"{item['reason']}: {item['detail']} — {item['preview']}"))
