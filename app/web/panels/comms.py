"""The comms panel (being built: see issue 4)."""

from __future__ import annotations

from app.store import Changes
from app.web.dom import el
from app.web.panels.base import Panel


class CommsPanel(Panel):
    name = "comms"
    topics = ("*",)

    def build(self) -> None:
        self.root.appendChild(el("div", {"class": "panel-head"}, el("h2", {"id": "comms-title"}, text="Comms")))

    def update(self, changes: Changes) -> None:
        pass
