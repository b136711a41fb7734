"""The zones panel: ``[data-testid=zone-list]`` with one ``[data-testid=zone-card]`` per zone.

A card shows the zone's name and status (pill and words), its active
deliveries, the deliveries waiting for someone (pending, counted here from
the deliveries by the client's ``app.roster.OpenWork``, ``client.work``; a
change shows in ``changes.waiting``) and its available staff.
When the waiting work clearly outruns the people free to take it
(``app.roster.backlog_alert``) the card says so: ``[data-testid=zone-alert]``
(``role=status``, an icon and words; ``data-value`` true/false) and the card
gets ``data-alert="true"``. The alert line is always there, empty when all
is well, so a card never changes height.

Hooks (PROTOCOL.md 6): card ``data-status``; ``[data-field]`` name, status,
activeDeliveries, availableStaff, plus pending, each with ``data-value``.
"""

from __future__ import annotations

from app.roster import backlog_alert
from app.store import Changes
from app.web.dom import el, set_field
from app.web.panels.base import Panel
from app.wording import words, zone_backlog


class ZoneCard:
    __slots__ = ("node", "cells", "alert", "alert_text", "alert_detail", "last", "fit")

    def __init__(self, zone_id: str):
        c = self.cells = {
            "name": el("h3", {"class": "zone-name", "data-field": "name"}),
            "status": el("span", {"class": "pill", "data-field": "status"}),
            "activeDeliveries": el("span", {"class": "stat-num", "data-field": "activeDeliveries"}),
            "pending": el("span", {"class": "stat-num", "data-field": "pending"}),
            "availableStaff": el("span", {"class": "stat-num", "data-field": "availableStaff"}),
        }
        # Visible: an icon and "Short of staff" (the numbers are on the card); read aloud: the whole sentence.
        self.alert_text = el("span", {"class": "zone-alert-text"})
        self.alert_detail = el("span", {"class": "sr-only"})
        self.alert = el("p", {"class": "zone-alert", "role": "status", "data-testid": "zone-alert",
                              "data-value": "false"},
                        el("span", {"class": "zone-alert-icon", "aria-hidden": "true"}, text="▲"),
                        self.alert_text, self.alert_detail)

        def stat(cell, label, title):
            return el("div", {"class": "stat", "title": title}, cell, el("span", {"class": "stat-label"}, text=label))

        self.node = el(
            "li", {"data-testid": "zone-card", "data-id": zone_id, "class": "zone-card"},
            el("div", {"class": "zone-top"}, c["name"], c["status"]),
            el("div", {"class": "zone-stats"},
               stat(c["activeDeliveries"], "active", "Active deliveries"),
               stat(c["pending"], "waiting", "Pending deliveries waiting for someone"),
               stat(c["availableStaff"], "free", "Staff available")),
            # "Fit" sits at the foot: in the top line it left a narrow card's name two letters and "...".
            el("div", {"class": "zone-foot"}, self.alert,
               el("button", {"type": "button", "class": "zone-fit", "data-action": "fit-zone",
                             "hidden": True, "title": "Fit zone"},
                  text="Fit")),
        )
        self.fit = self.node.querySelector("button[data-action=fit-zone]")
        self.last: dict = {}


class ZonesPanel(Panel):
    name = "zones"
    topics = ("zones", "deliveries")

    def build(self) -> None:
        self.cards: dict[str, ZoneCard] = {}
        self._placed: list[str] | None = None
        self.summary = el("span", {"class": "head-note", "data-testid": "zone-summary"})
        self.list = el("ul", {"data-testid": "zone-list", "class": "zone-list", "aria-labelledby": "zones-title"})
        self.root.appendChild(el("div", {"class": "panel-head"}, el("h2", {"id": "zones-title"}, text="Zones"),
                                 self.summary))
        self.root.appendChild(el("div", {"class": "panel-body"}, self.list))
        self.listen(self.list, "click", self._clicked)

    def _clicked(self, event) -> None:
        """A card's "Fit zone" shows the zone on the map (the map panel's ``ctx.notes["map_fit_zone"]``)."""
        button = event.target.closest("button[data-action=fit-zone]")
        card = button.closest("[data-testid=zone-card]") if button else None
        fit = self.ctx.notes.get("map_fit_zone")
        if card and callable(fit):
            fit(str(card.getAttribute("data-id")))

    def update(self, changes: Changes) -> None:
        client = self.client
        if changes.reset:
            zones = client.zones()
            keep = {zone.id for zone in zones}
            for zone_id in [i for i in self.cards if i not in keep]:
                self.cards.pop(zone_id).node.remove()
            for zone in zones:
                card = self.cards.get(zone.id) or self.cards.setdefault(zone.id, ZoneCard(zone.id))
                self._draw(card, zone)
            self._order()
            self._summarise()
            return
        redraw = set(changes.zones | changes.waiting)
        added = False
        for zone_id in redraw:
            zone = client.zone(zone_id)
            card = self.cards.get(zone_id)
            if zone is None:
                if card is not None:
                    card.node.remove()
                    del self.cards[zone_id]
            elif card is None:
                self.cards[zone_id] = self._draw(ZoneCard(zone_id), zone)
                added = True
            else:
                self._draw(card, zone)
        if added:
            self._order()
        if redraw:
            self._summarise()

    def _order(self) -> None:
        wanted = [zone.id for zone in self.client.zones() if zone.id in self.cards]
        if wanted != self._placed:
            for zone_id in wanted:
                self.list.appendChild(self.cards[zone_id].node)
            self._placed = wanted

    def _draw(self, card: ZoneCard, zone) -> ZoneCard:
        last = card.last
        pending = self.client.work.pending_in(zone.id)
        values = {
            "name": (zone.name, None),
            "status": (str(zone.status), words(zone.status)),
            "activeDeliveries": (zone.activeDeliveries, None),
            "pending": (pending, None),
            "availableStaff": (zone.availableStaff, None),
        }
        for name, shown in values.items():
            if last.get(name) != shown:
                set_field(card.cells[name], *shown)
                last[name] = shown
        if last.get("_status") != values["status"][0]:
            card.node.setAttribute("data-status", values["status"][0])
            last["_status"] = values["status"][0]
        if last.get("_fit") != zone.name:  # eight buttons named alike would say nothing apart
            card.fit.setAttribute("aria-label", f"Show {zone.name} on the map")
            last["_fit"] = zone.name
        placed = bool(zone.area)
        if last.get("_area") != placed:  # a zone with no area (a version-1 backend) has nothing to fit
            card.fit.hidden = not placed
            last["_area"] = placed
        alert = backlog_alert(pending, zone.availableStaff)
        text = zone_backlog(pending, zone.availableStaff, alert)
        if last.get("_alert") != text:
            head, _, rest = text.partition(":")
            card.alert_text.textContent = head
            card.alert_detail.textContent = f":{rest}" if rest else ""
            card.alert.setAttribute("data-value", "true" if alert else "false")
            card.alert.setAttribute("title", text)
            if alert:
                card.node.setAttribute("data-alert", "true")
            else:
                card.node.removeAttribute("data-alert")
            last["_alert"] = text
        return card

    def _summarise(self) -> None:
        zones = self.client.zones()
        short = sum(1 for z in zones if backlog_alert(self.client.work.pending_in(z.id), z.availableStaff))
        text = f"{len(zones)} zones" + (f", {short} short of staff" if short else "")
        if self.summary.textContent != text:
            self.summary.textContent = text
            self.summary.setAttribute("data-value", str(short))
