"""One delivery in full: ``dialog[data-testid=delivery-detail]``, live while open.

    detail = DeliveryDetail(ctx, listen, clock)   # built once by the deliveries panel
    panel_root.appendChild(detail.node)
    detail.open("D-1042", opener=button)          # focus moves into it
    ...                                           # hub changes redraw it while open
    detail.close()                                # or Escape; focus goes back to ``opener``
    detail.teardown()                             # the panel unmounts

A modal ``<dialog>`` shown as a side sheet: the browser traps focus in it and
turns Escape into ``cancel``/``close``; on ``close`` focus returns to the
button that opened it. It shows every field of the delivery (each
``dd[data-field]`` carries ``data-value``, as rows do), whether a change is
pending or was refused, and the messages whose ``deliveryId`` is this one
(newest first). It subscribes to the hub only while open, and redraws when
its delivery, staff, zones or messages change. Text is data: ``textContent``
only.
"""

from __future__ import annotations

from app.eta import eta_text
from app.models import is_open
from app.store import Changes
from app.timefmt import clock, relative
from app.web.dom import by_id, clear, el, set_field
from app.web.runtime import document
from app.wording import PRIORITY_LABELS, STATUS_LABELS, name_and_id

TOPICS = ("deliveries", "staff", "zones", "communications")
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


def person_label(client, some_id: str) -> str:
    """A message's ``from``/``to``: a staff member's name beside the id, else the id (``coordinators``)."""
    member = client.staff_member(some_id)
    return name_and_id(some_id, member.name if member is not None else None)


class DeliveryDetail:
    def __init__(self, ctx, listen, now):
        """``listen(node, event, handler)`` binds with the panel's proxies; ``now()`` -> (datetime, offset)."""
        self.ctx = ctx
        self.client = ctx.client
        self._now = now
        self.delivery_id: str | None = None
        self._opener = None
        self._subscription = None
        self._messages_drawn: tuple = ()
        self.title = el("h2", {"id": "delivery-detail-title"}, text="Delivery")
        self.close_button = el("button", {"type": "button", "data-action": "close-details", "class": "detail-close",
                                          "aria-label": "Close details"}, text="Close")
        self.state = el("p", {"class": "detail-state", "data-testid": "delivery-detail-state", "role": "status"})
        self.fields = {}
        fields = el("dl", {"class": "detail-fields"})
        for name, label in FIELDS:
            value = el("dd", {"data-field": name, "data-value": ""})
            self.fields[name] = value
            fields.appendChild(el("div", {"class": f"detail-field detail-{name}"}, el("dt", None, text=label), value))
        self.gone = el("p", {"class": "detail-gone", "hidden": True},
                       text="This delivery is no longer in the list (the server retired it).")
        self.messages = el("ol", {"data-testid": "delivery-messages", "class": "detail-messages",
                                  "aria-labelledby": "delivery-detail-messages"})
        self.no_messages = el("p", {"class": "detail-empty"}, text="No messages about this delivery yet.")
        self.node = el(
            "dialog",
            {"data-testid": "delivery-detail", "class": "delivery-detail", "aria-labelledby": "delivery-detail-title"},
            el("div", {"class": "detail-head"}, self.title, self.close_button),
            el("div", {"class": "detail-body"},
               self.state, self.gone, fields,
               el("h3", {"id": "delivery-detail-messages"}, text="Messages"),
               self.no_messages, self.messages),
        )
        listen(self.node, "close", self._closed)
        listen(self.node, "click", self._clicked)

    # --- open / close ------------------------------------------------------------------

    @property
    def showing(self) -> bool:
        return bool(self.node.open)

    def open(self, delivery_id: str, opener=None) -> None:
        if self.showing and self.delivery_id == delivery_id:
            self.close_button.focus()
            return
        self.delivery_id = delivery_id
        self._opener = opener if opener is not None else document.activeElement  # focus goes back there
        self._messages_drawn = ()
        self.node.setAttribute("data-id", delivery_id)
        self.title.textContent = f"Delivery {delivery_id}"
        self.redraw()
        if self._subscription is None:
            self._subscription = self.ctx.hub.subscribe(TOPICS, self.update)
        if not self.showing:
            self.node.showModal()
        self.close_button.focus()

    def close(self) -> None:
        if self.showing:
            self.node.close()  # -> "close" event -> _closed

    def _closed(self, event=None) -> None:
        self._unsubscribe()
        opener, self._opener = self._opener, None
        self.delivery_id = None
        self.node.removeAttribute("data-id")
        if opener and opener.isConnected:
            opener.focus()
        elif by_id("deliveries-title"):  # the row went away: back to the table's heading
            by_id("deliveries-title").focus()

    def _clicked(self, event) -> None:
        target = event.target
        # A click on the dialog box itself (not its content) is on the backdrop.
        if target.isSameNode(self.node) or target.closest("[data-action=close-details]"):  # null is jsnull
            self.close()

    def _unsubscribe(self) -> None:
        if self._subscription is not None:
            self._subscription.close()
            self._subscription = None

    def teardown(self) -> None:
        self._opener = None
        self.close()
        self._unsubscribe()

    # --- drawing -------------------------------------------------------------------------

    def update(self, changes: Changes) -> None:
        if self.delivery_id is None:
            return
        if (changes.reset or self.delivery_id in changes.deliveries or changes.staff or changes.zones):
            self.redraw(messages=False)
        if changes.reset or changes.communications or changes.staff:
            self._draw_messages()

    def redraw(self, messages: bool = True) -> None:
        delivery_id = self.delivery_id
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

    def _draw_messages(self) -> None:
        delivery_id = self.delivery_id
        client = self.client
        found = [c for c in client.communications() if c.deliveryId == delivery_id]
        marker = tuple((c.id, c.body, client.communication_pending(c.id)) for c in found)
        if marker == self._messages_drawn:
            return
        self._messages_drawn = marker
        now, offset = self._now()
        clear(self.messages)
        for message, (_, _, pending) in zip(found, marker):
            sent = clock(message.sentAt, now, offset)
            self.messages.appendChild(el(
                "li", {"data-testid": "delivery-message", "data-id": message.id,
                       "data-pending": "true" if pending else None, "class": "detail-message"},
                el("p", {"class": "message-meta"},
                   el("span", {"data-field": "from", "data-value": message.from_},
                      text=person_label(client, message.from_)),
                   el("span", {"class": "message-arrow", "aria-hidden": "true"}, text=" → "),
                   el("span", {"class": "sr-only"}, text=" to "),
                   el("span", {"data-field": "to", "data-value": message.to}, text=person_label(client, message.to)),
                   el("time", {"data-field": "sentAt", "data-value": message.sentAt, "datetime": message.sentAt},
                      text=f"{sent} · sending…" if pending else sent)),
                el("p", {"data-field": "body", "data-value": message.body, "class": "message-body"}, text=message.body),
            ))
        self.no_messages.hidden = bool(found)
