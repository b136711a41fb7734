"""A detail view as a side sheet: ``dialog[data-testid=<kind>-detail]``, live while open.

    class DeliveryDetail(DetailSheet):
        kind, home = "delivery", "deliveries-title"
        ...                                           # fields, wants(changes), redraw(), messages_of()
    sheet.open("D-1042", opener=button)               # focus moves into it
    sheet.close()                                     # or Escape; focus goes back to ``opener``
    sheet.teardown()                                  # its panel unmounts

A modal ``<dialog>``: the browser traps focus in it and turns Escape into
``cancel``/``close``; on ``close`` focus returns to what opened it, or to the
panel's heading (``home``) when that is gone. It shows the fields a subclass
names (each ``dd[data-field]`` carries ``data-value``, as rows do) and the
messages the subclass picks, newest first, and subscribes to the hub only
while open. Text is data: ``textContent`` only.
"""

from __future__ import annotations

from app.store import Changes
from app.timefmt import clock
from app.web.dom import by_id, clear, el
from app.web.runtime import document
from app.wording import name_and_id


def person_label(client, some_id: str) -> str:
    """A message's ``from``/``to``: "You" for the signed-in user (as the messages panel says), a staff
    member's name beside the id, else the id (``coordinators``)."""
    commands = getattr(client, "commands", None)
    if some_id and some_id == getattr(commands, "sender", None):
        return "You"
    member = client.staff_member(some_id)
    return name_and_id(some_id, member.name if member is not None else None)


class DetailSheet:
    #: ``delivery`` or ``staff``: names the hooks (``<kind>-detail``, ``<kind>-messages``, ``<kind>-message``).
    kind = ""
    #: The id of the panel's heading, where focus goes when the opener has left the page.
    home = ""
    #: ``(field, label)`` pairs, in the order shown.
    fields: tuple = ()
    topics: tuple = ("deliveries", "staff", "zones", "communications")
    no_messages_text = "No messages yet."

    def __init__(self, ctx, listen, now):
        """``listen(node, event, handler)`` binds with the panel's proxies; ``now()`` -> (datetime, offset)."""
        self.ctx = ctx
        self.client = ctx.client
        self._now = now
        self.item_id: str | None = None
        self._opener = None
        self._subscription = None
        self._messages_drawn: tuple | None = None  # None: nothing drawn yet (an empty list is drawn too)
        kind = self.kind
        self.title = el("h2", {"id": f"{kind}-detail-title"}, text=kind.capitalize())
        self.close_button = el("button", {"type": "button", "data-action": "close-details", "class": "detail-close",
                                          "aria-label": "Close details"}, text="Close")
        self.state = el("p", {"class": "detail-state", "data-testid": f"{kind}-detail-state", "role": "status",
                              "hidden": True})
        self.fields = {}
        listing = el("dl", {"class": "detail-fields"})
        for name, label in type(self).fields:
            value = el("dd", {"data-field": name, "data-value": ""})
            self.fields[name] = value
            listing.appendChild(el("div", {"class": f"detail-field detail-{name}"}, el("dt", None, text=label), value))
        self.gone = el("p", {"class": "detail-gone", "hidden": True}, text=self.gone_text())
        self.messages = el("ol", {"data-testid": f"{kind}-messages", "class": "detail-messages",
                                  "aria-labelledby": f"{kind}-detail-messages"})
        self.no_messages = el("p", {"class": "detail-empty"}, text=self.no_messages_text)
        self.body = el("div", {"class": "detail-body"}, self.state, self.gone, listing)
        self.build_extra(self.body)
        self.body.appendChild(el("h3", {"id": f"{kind}-detail-messages"}, text="Messages"))
        self.body.appendChild(self.no_messages)
        self.body.appendChild(self.messages)
        self.node = el(
            "dialog",
            {"data-testid": f"{kind}-detail", "class": f"detail-sheet {kind}-detail",
             "aria-labelledby": f"{kind}-detail-title"},
            el("div", {"class": "detail-head"}, self.title, self.close_button),
            self.body,
        )
        listen(self.node, "close", self._closed)
        listen(self.node, "click", self._clicked)

    # --- for subclasses --------------------------------------------------------------------

    def gone_text(self) -> str:
        return "This is no longer on the board."

    def build_extra(self, body) -> None:
        """Sections between the fields and the messages."""

    def heading(self, item_id: str) -> str:
        return f"{self.kind.capitalize()} {item_id}"

    def wants(self, changes: Changes) -> bool:
        """Whether these changes touch what the fields show."""
        raise NotImplementedError

    def redraw(self, messages: bool = True) -> None:
        raise NotImplementedError

    def messages_of(self) -> list:
        """The messages to list, newest first."""
        raise NotImplementedError

    def clicked(self, target) -> bool:
        """A click inside the sheet that the subclass handles (True: handled)."""
        return False

    # --- open / close ------------------------------------------------------------------

    @property
    def showing(self) -> bool:
        return bool(self.node.open)

    def open(self, item_id: str, opener=None) -> None:
        if self.showing and self.item_id == item_id:
            self.close_button.focus()
            return
        self.item_id = item_id
        self._opener = opener if opener is not None else document.activeElement  # focus goes back there
        self._messages_drawn = None
        self.node.setAttribute("data-id", item_id)
        self.title.textContent = self.heading(item_id)
        self.redraw()
        if self._subscription is None:
            self._subscription = self.ctx.hub.subscribe(self.topics, self.update)
        if not self.showing:
            self.node.showModal()
        self.close_button.focus()

    def close(self) -> None:
        if self.showing:
            self.node.close()  # -> "close" event -> _closed

    def hand_over(self):
        """Close without moving focus, and give back what had opened the sheet (for another sheet to
        take it: a link from one detail view to another)."""
        opener, self._opener = self._opener, None
        self.close()
        return opener

    def _closed(self, event=None) -> None:
        self._unsubscribe()
        opener, self._opener = self._opener, None
        self.item_id = None
        self.node.removeAttribute("data-id")
        if opener and opener.isConnected:
            opener.focus()
        elif opener is not None and by_id(self.home):  # the opener went away: back to the panel's heading
            by_id(self.home).focus()

    def _clicked(self, event) -> None:
        target = event.target
        # A click on the dialog box itself (not its content) is on the backdrop.
        if target.isSameNode(self.node) or target.closest("[data-action=close-details]"):  # null is jsnull
            self.close()
        else:
            self.clicked(target)

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
        if self.item_id is None:
            return
        if changes.reset or self.wants(changes):
            self.redraw(messages=False)
        if changes.reset or changes.communications or changes.staff:
            self._draw_messages()

    def _draw_messages(self) -> None:
        client = self.client
        found = self.messages_of()
        marker = tuple((c.id, c.body, client.communication_pending(c.id)) for c in found)
        if marker == self._messages_drawn:
            return
        self._messages_drawn = marker
        now, offset = self._now()
        clear(self.messages)
        for message, (_, _, pending) in zip(found, marker):
            sent = clock(message.sentAt, now, offset)
            self.messages.appendChild(el(
                "li", {"data-testid": f"{self.kind}-message", "data-id": message.id,
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
