"""One delivery in full: ``dialog[data-testid=delivery-detail]``, live while open.

    detail = DeliveryDetail(ctx, listen, clock)   # built once by the deliveries panel
    panel_root.appendChild(detail.node)
    detail.open("D-1042", opener=button)          # focus moves into it
    ...                                           # hub changes redraw it while open
    detail.close()                                # or Escape; focus goes back to ``opener``
    detail.teardown()                             # the panel unmounts

A side sheet (``app.web.panels.detail_sheet``): every field of the delivery
(each ``dd[data-field]`` carries ``data-value``, as rows do), whether a
change is pending or was refused, and the messages whose ``deliveryId`` is
this one (newest first). It redraws when its delivery, staff, zones or
messages change.
"""

from __future__ import annotations

from app.eta import eta_text
from app.models import is_open
from app.store import Changes
from app.timefmt import clock, relative
from app.web.dom import set_field
from app.web.panels.detail_sheet import DetailSheet
from app.wording import PRIORITY_LABELS, STATUS_LABELS, name_and_id

FIELDS = (
    ("id", "ID"), ("status", "Status"), ("customer", "Customer"), ("address", "Address"),
    ("zoneId", "Zone"), ("assignedTo", "Assignee"), ("priority", "Priority"), ("eta", "ETA"),
    ("updatedAt", "Last updated"),
)


def staff_label(client, staff_id) -> str:
    """``Grace Okafor (S-07)``; the bare id when the roster does not know it; ``Unassigned`` for None."""
    if not staff_id:
        return "Unassigned"
    member = client.staff_member(staff_id)
    return name_and_id(staff_id, member.name if member is not None else None)


def zone_label(client, zone_id) -> str:
    """``Harbour (Z-5)``, or the bare id for a zone the client does not know."""
    zone = client.zone(zone_id) if zone_id else None
    return name_and_id(zone_id, zone.name if zone is not None else None)


class DeliveryDetail(DetailSheet):
    kind = "delivery"
    home = "deliveries-title"
    fields = FIELDS
    no_messages_text = "No messages about this delivery yet."

    def gone_text(self) -> str:
        return "This delivery is no longer in the list (the server retired it)."

    @property
    def delivery_id(self) -> str | None:
        return self.item_id

    def wants(self, changes: Changes) -> bool:
        return bool(self.item_id in changes.deliveries or changes.staff or changes.zones)

    def messages_of(self) -> list:
        delivery_id = self.item_id
        return [c for c in self.client.communications() if c.deliveryId == delivery_id]

    def redraw(self, messages: bool = True) -> None:
        delivery_id = self.item_id
        client = self.client
        delivery = client.delivery(delivery_id)
        self.gone.hidden = delivery is not None
        now, offset = self._now()
        if delivery is not None:
            status = str(delivery.status)
            eta = eta_text(delivery.eta, open_=is_open(status), now=now, offset_minutes=offset)
            eta_words = ""
            if eta.title:
                eta_words = eta.title + (f" ({eta.relative})" if eta.relative else "")
            updated = clock(delivery.updatedAt, now, offset)
            since = relative(delivery.updatedAt, now)
            labels = {
                "id": (delivery.id, None),
                "status": (status, STATUS_LABELS.get(status, status)),
                "customer": (delivery.customer, None),
                "address": (delivery.address, None),
                "zoneId": (delivery.zoneId, zone_label(client, delivery.zoneId)),
                "assignedTo": (delivery.assignedTo, staff_label(client, delivery.assignedTo)),
                "priority": (str(delivery.priority), PRIORITY_LABELS.get(str(delivery.priority))),
                "eta": (delivery.eta, eta_words or "No ETA"),
                "updatedAt": (delivery.updatedAt, f"{updated} ({since})" if since else updated),
            }
            for name, (value, label) in labels.items():
                set_field(self.fields[name], value, label)
            if eta.late:
                self.fields["eta"].setAttribute("data-late", "true")
            else:
                self.fields["eta"].removeAttribute("data-late")
            row = client.row_status(delivery_id)
            if row.error is not None:
                state, kind = f"Change refused: {row.error.message}", "error"
            elif row.pending:
                state, kind = "Saving a change…", "pending"
            else:
                state, kind = "", ""
            if self.state.textContent != state:
                self.state.textContent = state
            self.state.className = f"detail-state {kind}".strip()
            self.state.hidden = not state
        if messages:
            self._draw_messages()
