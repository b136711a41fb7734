"""One person in full: ``dialog[data-testid=staff-detail]``, live while open.

    detail = StaffDetail(ctx, listen, clock)      # built once by the staff panel
    detail.open("S-07", opener=dot)               # a map dot or a staff row's name opens it

A side sheet (``app.web.panels.detail_sheet``) for "where is this driver, and
what are they carrying?": status, role, zone, where they were last located
(and how long ago, heading and speed), the delivery they are on now with the
distance to where they must go next, every open delivery they carry (each
opens its delivery's detail view), and the messages from or to them (newest
first, at most ``MESSAGES_SHOWN``), with a button that addresses the
message form to them. It follows the person's moves while open.
"""

from __future__ import annotations

from app.geo import distance_m
from app.models import Staff
from app.nearest import PAST_PICKUP, distance_text, target
from app.roster import current_key
from app.store import Changes
from app.timefmt import clock, parse_iso, relative
from app.web.dom import clear, el, set_field
from app.web.panels.delivery_detail import zone_label
from app.web.panels.detail_sheet import DetailSheet
from app.wording import STATUS_LABELS, current_work, movement, words

FIELDS = (
    ("id", "ID"), ("name", "Name"), ("status", "Status"), ("role", "Role"), ("zoneId", "Zone"),
    ("currentDelivery", "On now"), ("location", "Location"), ("lastSeenAt", "Last seen"),
)
#: Messages from or to the person listed at most (newest first); the messages panel holds the rest.
MESSAGES_SHOWN = 20


def location_words(member: Staff, now) -> tuple[str | None, str]:
    """``(raw "lat,lon" or None, words)`` for the Location field."""
    where = member.location
    if where is None:
        return None, "No location received"
    parts = [f"{where.lat:.5f}, {where.lon:.5f}"]
    moving = movement(where.heading, where.speed)
    if moving:
        parts.append(moving)
    since = relative(where.at, now)
    text = ", ".join(parts)
    return f"{where.lat},{where.lon}", f"{text} ({since})" if since else text


def seen_at(member: Staff) -> str:
    """When the person was last heard of: ``lastSeenAt``, or their last location's ``at`` when that is
    newer (a location event leaves ``lastSeenAt`` as the server sent it: docs/PROTOCOL-NOTES.md)."""
    where = member.location
    if where is None:
        return member.lastSeenAt
    newer = parse_iso(where.at)
    older = parse_iso(member.lastSeenAt)
    return where.at if newer is not None and (older is None or newer > older) else member.lastSeenAt


def carried_words(delivery, member: Staff) -> str:
    """One carried delivery: "D-1042 · In transit · Ada Lovelace · 1.2 km to the drop-off"."""
    parts = [delivery.id, STATUS_LABELS.get(str(delivery.status), str(delivery.status)), delivery.customer]
    point = target(delivery)
    if point is not None and member.location is not None:
        goal = "drop-off" if delivery.status in PAST_PICKUP else "pickup"
        metres = distance_m((member.location.lat, member.location.lon), point)
        parts.append(f"{distance_text(metres)} to the {goal}")
    return " · ".join(parts)


class StaffDetail(DetailSheet):
    kind = "staff"
    home = "staff-title"
    fields = FIELDS
    topics = ("deliveries", "staff", "zones", "communications", "moved")
    no_messages_text = "No messages from or to this person yet."

    def gone_text(self) -> str:
        return "This person is no longer on the roster."

    def build_extra(self, body) -> None:
        self.write = el("button", {"type": "button", "data-action": "write-to", "class": "detail-write"},
                        text="Write a message")
        body.appendChild(el("p", {"class": "detail-actions"}, self.write))
        self.carried = el("ul", {"data-testid": "staff-deliveries", "class": "detail-carried",
                                 "aria-labelledby": "staff-detail-carried"})
        self.nothing_carried = el("p", {"class": "detail-empty"}, text="No open deliveries.")
        body.appendChild(el("h3", {"id": "staff-detail-carried"}, text="Open deliveries"))
        body.appendChild(self.nothing_carried)
        body.appendChild(self.carried)
        self._carried_drawn: tuple | None = None  # None: nothing drawn yet

    def heading(self, item_id: str) -> str:
        member = self.client.staff_member(item_id)
        return member.name if member is not None else f"Staff {item_id}"

    def wants(self, changes: Changes) -> bool:
        staff_id = self.item_id
        return bool(staff_id in changes.staff or staff_id in changes.moved or staff_id in changes.carriers
                    or changes.zones or (changes.deliveries & self.client.work.carried_by(staff_id)))

    def messages_of(self) -> list:
        staff_id = self.item_id
        found = []
        for message in self.client.communications():
            if message.from_ == staff_id or message.to == staff_id:
                found.append(message)
                if len(found) == MESSAGES_SHOWN:
                    break
        return found

    def clicked(self, target) -> bool:
        compose = self.ctx.notes.get("compose_to")
        if target.closest("button[data-action=write-to]") and callable(compose):
            staff_id = self.item_id
            self.hand_over()  # focus goes to the message, not back to the opener
            compose(staff_id)
            return True
        button = target.closest("button[data-action=open-delivery]")
        open_delivery = self.ctx.notes.get("open_delivery")
        if not button or not callable(open_delivery):
            return False
        delivery_id = str(button.getAttribute("data-value") or "")
        if delivery_id:
            open_delivery(delivery_id, self.hand_over())  # one sheet at a time; focus returns to our opener
        return True

    def redraw(self, messages: bool = True) -> None:
        client, staff_id = self.client, self.item_id
        member = client.staff_member(staff_id)
        self.gone.hidden = member is not None
        if member is not None:
            now, offset = self._now()
            if self.title.textContent != member.name:
                self.title.textContent = member.name
            if self.write.textContent != f"Write to {member.name}":
                self.write.textContent = f"Write to {member.name}"
            self.write.hidden = not callable(self.ctx.notes.get("compose_to"))
            carried = sorted((d for d in (client.delivery(i) for i in client.work.carried_by(staff_id)) if d),
                             key=current_key)
            current = carried[0] if carried else None
            last_seen = seen_at(member)
            since = relative(last_seen, now)
            seen = clock(last_seen, now, offset)
            values = {
                "id": (member.id, None),
                "name": (member.name, None),
                "status": (str(member.status), words(member.status)),
                "role": (str(member.role), words(member.role)),
                "zoneId": (member.zoneId, zone_label(client, member.zoneId) if member.zoneId else "No zone"),
                "currentDelivery": (current.id if current else None,
                                    current_work(current.id if current else None,
                                                 str(current.status) if current else None, len(carried) - 1)),
                "location": location_words(member, now),
                "lastSeenAt": (member.lastSeenAt, f"{seen} ({since})" if since else seen),
            }
            for name, (value, label) in values.items():
                set_field(self.fields[name], value, label)
            self._draw_carried(member, carried)
        if messages:
            self._draw_messages()

    def _draw_carried(self, member: Staff, carried: list) -> None:
        lines = tuple((d.id, carried_words(d, member)) for d in carried)
        if lines == self._carried_drawn:
            return
        self._carried_drawn = lines
        clear(self.carried)
        for delivery_id, text in lines:
            self.carried.appendChild(el(
                "li", {"data-id": delivery_id},
                el("button", {"type": "button", "class": "link-chip", "data-action": "open-delivery",
                              "data-value": delivery_id, "title": "Open this delivery"}, text=text)))
        self.nothing_carried.hidden = bool(lines)

    def open(self, item_id: str, opener=None) -> None:
        if not (self.showing and self.item_id == item_id):
            self._carried_drawn = None
        super().open(item_id, opener)
