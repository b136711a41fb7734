"""The diagnostics panel: ``[data-testid=diagnostics]``, a ``<details>`` collapsed by default.

Its ``data-*`` counters are what end-to-end tests and a curious coordinator
read: ``data-received``, ``data-applied``, ``data-invalid``,
``data-duplicates``, ``data-last-seq`` (integers; empty while there is no
seq), and ``data-unknown``, ``data-resyncs``, ``data-proxies`` (open Pyodide
proxies, ``ProxyOwner.live()``), ``data-sockets`` (sockets opened). The
last rejected frames are listed as text with their reasons. The summary
line repeats the few numbers worth a glance, so it is useful closed.

The ``data-*`` counters follow every render and the clock (every second:
proxies and sockets change without a render). The
text people read (the summary line and, when open, the list) follows the
clock, opening, and a rejected frame. A changed text in the summary re-laid
out the whole dashboard: on every frame of a stream of 200 events/s that
cost more page time than the deliveries table (measured in a trace,
bench/README.md). A value is written only when it changed.
"""

from __future__ import annotations

from app.store import Changes
from app.web.dom import clear, el
from app.web.localtime import Every
from app.web.panels.base import Panel
from app.web.runtime import ProxyOwner
from app.wording import words

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
#: Shown as text only (no data attribute promised): label, and how to read it from ``diagnostics()``.
DETAILS = (
    ("connection", "Connection", lambda d: words(d["state"]) + (f", attempt {d['attempt']} of {d['max_attempts']}"
                                                                 if d["attempt"] else "")),
    ("rtt", "Round trip", lambda d: "—" if d["rtt_ms"] is None else f"{d['rtt_ms']:.0f} ms"),
    ("held", "Events held", lambda d: str(d["held"])),
    ("commands", "Changes waiting", lambda d: (f"{d['unconfirmed_commands']} unconfirmed, {d['queued_commands']} queued"
                                               if d["unconfirmed_commands"] or d["queued_commands"] else "None")),
    ("close", "Last close code", lambda d: "—" if d["last_close_code"] is None else str(d["last_close_code"])),
)


class DiagnosticsPanel(Panel):
    name = "diagnostics"
    topics = ("*",)
    refresh_seconds = 1.0

    def build(self) -> None:
        self._values = {}
        self._shown: dict[str, str] = {}
        self.glance = el("span", {"class": "diag-glance"})
        self.box = el("details", {"data-testid": "diagnostics", "class": "diagnostics"},
                      el("summary", None, el("span", {"class": "diag-title"}, text="Diagnostics"), self.glance))
        grid = el("dl", {"class": "diag-grid"})
        for key, label in COUNTERS:
            value = el("dd", {"data-counter": key}, text="0")
            self._values[key] = value
            self.box.setAttribute(f"data-{key}", "0")
            grid.appendChild(el("div", None, el("dt", None, text=label), value))
        for key, label, _ in DETAILS:
            value = el("dd", {"data-detail": key}, text="")
            self._values[key] = value
            grid.appendChild(el("div", None, el("dt", None, text=label), value))
        self.rejected = el("ol", {"class": "rejected", "aria-labelledby": "rejected-title"})
        self.no_rejected = el("p", {"class": "empty"}, text="None so far.")
        self.box.appendChild(el("div", {"class": "diag-body"}, grid,
                                el("h3", {"id": "rejected-title"}, text="Last rejected frames"),
                                self.no_rejected, self.rejected))
        self.root.appendChild(el("h2", {"id": "diagnostics-title", "class": "sr-only"}, text="Diagnostics"))
        self.root.appendChild(self.box)
        self.listen(self.box, "keydown", self._keydown)
        self.listen(self.box, "toggle", lambda event: self._refresh(texts=True))
        self._last_rejected = None
        self._ticker = Every(self.refresh_seconds, lambda: self._refresh(texts=True))

    def teardown(self) -> None:
        self._ticker.cancel()

    def _keydown(self, event) -> None:
        if event.key == "Escape" and self.box.open:
            self.box.open = False
            self.box.querySelector("summary").focus()

    def update(self, changes: Changes) -> None:
        self._refresh(texts=False)

    def _refresh(self, texts: bool) -> None:
        """The counters' attributes always; the texts (``texts``) once a second, on opening, and for a rejected frame."""
        diag = self.client.diagnostics()
        rejected = diag["rejected"]
        marker = (len(rejected), rejected[-1]["preview"] if rejected else None, diag["invalid"])
        texts = texts or marker != self._last_rejected
        values = {
            "received": diag["received"], "applied": diag["applied"], "invalid": diag["invalid"],
            "duplicates": diag["duplicates"], "unknown": diag["unknown"], "resyncs": diag["resyncs"],
            "last-seq": "" if diag["last_seq"] is None else diag["last_seq"],
            "proxies": ProxyOwner.live(),
            "sockets": self.ctx.notes.get("sockets_opened", lambda: 0)(),
        }
        for key, value in values.items():
            text = str(value)
            if self._shown.get(f"data-{key}") != text:
                self.box.setAttribute(f"data-{key}", text)
                self._shown[f"data-{key}"] = text
            if texts and self._shown.get(key) != text:
                self._values[key].textContent = text if text else "—"
                self._shown[key] = text
        if not texts:
            return
        for key, _, read in DETAILS:
            text = read(diag)
            if self._shown.get(key) != text:
                self._values[key].textContent = text
                self._shown[key] = text
        glance = (f"{diag['received']} frame{'' if diag['received'] == 1 else 's'} · {diag['invalid']} invalid · "
                  f"seq {values['last-seq'] if values['last-seq'] != '' else '—'}")
        if self._shown.get("_glance") != glance:
            self.glance.textContent = glance
            self._shown["_glance"] = glance
        if marker != self._last_rejected:
            self._last_rejected = marker
            clear(self.rejected)
            for item in reversed(rejected):
                self.rejected.appendChild(el(
                    "li", None,
                    el("strong", None, text=words(item["reason"])),
                    el("span", None, text=f": {item['detail']}"),
                    el("code", None, text=item["preview"]),
                ))
            self.no_rejected.hidden = bool(rejected)
