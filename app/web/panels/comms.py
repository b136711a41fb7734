"""The messages panel: a compose form, then ``[data-testid=comms-feed]``, newest first.

Each ``[data-testid=communication]`` shows the sender (a name beside the id,
"You" for the logged-in user), the recipient, the local time and how long
ago, the body, and the delivery it is about. Text only ever goes through
``textContent``: a body of ``<img src=x onerror=...>`` shows those characters.

Sending is optimistic (``client.send_message``): the message is listed at
once with ``data-pending="true"``, then confirmed (the server's copy takes
its place) or rolled back, and then the reason is shown in the form
(``[data-testid=compose-error]``, with Retry when retrying is safe) and the
text comes back into the box. A refusal before sending (an empty or too
long body, an unknown delivery id) is shown the same way and sends nothing.

Unread: messages from others that arrived after the first load count as
unread until the feed is focused or scrolled to its top; the count is in
the heading (``[data-testid=comms-unread]``, ``data-value``) and new
messages are announced in a polite live region.

Hooks (PROTOCOL.md 6): ``[data-field]`` from, to, sentAt, body, deliveryId
with ``data-value``; the form ``form[data-testid=comms-compose]`` with
``[name=to]``, ``textarea[name=body]``, ``[name=deliveryId]`` and a submit button.
"""

from __future__ import annotations

from app.models import MAX_BODY_CHARS
from app.store import Changes
from app.timefmt import clock, relative
from app.web.dom import clear, el, set_field
from app.web.localtime import Every, now, offset_minutes
from app.web.panels.base import Panel
from app.web.runtime import js_object
from app.wording import GROUPS, announce_messages, count_of, person, recipient, sender

LONG_BODY = 280  # characters: longer bodies are clamped, with "Show all"
REFRESH_SECONDS = 30
PENDING_PREFIX = "pending-"


class MessageRow:
    __slots__ = ("node", "cells", "state", "more", "last")

    def __init__(self, communication_id: str, linked: bool):
        about = ("button", {"type": "button", "class": "msg-delivery link-chip", "data-field": "deliveryId",
                            "data-action": "open-delivery", "title": "Open this delivery"}) if linked else \
            ("span", {"class": "msg-delivery", "data-field": "deliveryId"})
        c = self.cells = {
            "from": el("span", {"class": "msg-from", "data-field": "from"}),
            "to": el("span", {"class": "msg-to", "data-field": "to"}),
            "sentAt": el("time", {"class": "msg-time", "data-field": "sentAt"}),
            "body": el("p", {"class": "msg-body", "data-field": "body"}),
            "deliveryId": el(*about),
        }
        self.state = el("span", {"class": "msg-state"})
        self.more = el("button", {"type": "button", "class": "link", "data-action": "expand",
                                  "aria-expanded": "false", "hidden": True}, text="Show all")
        self.node = el(
            "li", {"data-testid": "communication", "data-id": communication_id, "class": "msg"},
            el("div", {"class": "msg-head"}, c["from"], c["to"], c["sentAt"]),
            c["body"],
            el("div", {"class": "msg-foot"}, c["deliveryId"], self.more, self.state),
        )
        self.last: dict = {}


class CommsPanel(Panel):
    name = "comms"
    topics = ("communications", "staff")

    def build(self) -> None:
        self.rows: dict[str, MessageRow] = {}
        self._offset = offset_minutes()
        self._loaded = False  # the first snapshot's messages are not "new"
        self._unread: set[str] = set()
        self._drafts: dict[str, tuple[str, str, str]] = {}  # command id -> (to, body, delivery id)
        self._error_command: str | None = None  # the rollback shown in the form, if any
        self._to_options: list = []
        self._open_delivery = self.ctx.notes.get("open_delivery")  # the deliveries panel's detail view
        self._linked = callable(self._open_delivery)

        self.unread = el("span", {"class": "unread", "data-testid": "comms-unread", "data-value": "0", "hidden": True})
        self.announcer = el("p", {"class": "sr-only", "aria-live": "polite", "data-testid": "comms-announcer"})
        head = el("div", {"class": "panel-head"},
                  el("h2", {"id": "comms-title"}, el("span", None, text="Messages"), self.unread))

        # The compose form.
        self.to = el("select", {"name": "to", "id": "compose-to", "class": "compact"})
        self.delivery = el("input", {"name": "deliveryId", "id": "compose-delivery", "class": "compact",
                                     "placeholder": "optional", "autocomplete": "off", "spellcheck": "false",
                                     "maxlength": "64", "size": "9"})
        self.body = el("textarea", {"name": "body", "id": "compose-body", "rows": "2",
                                    "placeholder": "Write a message · Enter sends",
                                    "aria-describedby": "compose-counter compose-hint"})
        self.counter = el("span", {"id": "compose-counter", "class": "counter", "data-testid": "compose-counter"},
                          text=count_of(0, MAX_BODY_CHARS))
        self.error_text = el("span", {"class": "compose-error-text"})
        self.retry = el("button", {"type": "button", "data-action": "retry", "hidden": True}, text="Retry")
        self.dismiss = el("button", {"type": "button", "data-action": "dismiss", "class": "quiet",
                                     "aria-label": "Dismiss this error"}, text="×")
        self.error = el("div", {"class": "form-error compose-error", "data-testid": "compose-error",
                                "role": "alert", "hidden": True}, self.error_text, self.retry, self.dismiss)
        self.form = el(
            "form", {"data-testid": "comms-compose", "class": "compose", "novalidate": True,
                     "aria-label": "Send a message"},
            el("div", {"class": "compose-row"},
               el("label", {"for": "compose-to"}, text="To"), self.to,
               el("label", {"for": "compose-delivery"}, text="Delivery"), self.delivery),
            el("label", {"for": "compose-body", "class": "sr-only"}, text="Message"),
            el("div", {"class": "compose-main"},
               self.body,
               el("div", {"class": "compose-side"},
                  el("button", {"type": "submit", "class": "primary"}, text="Send"), self.counter)),
            el("span", {"id": "compose-hint", "class": "sr-only"}, text="Enter sends; Shift+Enter starts a new line."),
            self.error,
        )
        self.feed = el("ol", {"data-testid": "comms-feed", "class": "feed", "tabindex": "0",
                              "aria-label": "Messages, newest first"})
        self.empty = el("p", {"class": "empty", "hidden": True}, text="No messages yet.")
        self.root.appendChild(head)
        self.root.appendChild(self.form)
        self.root.appendChild(el("div", {"class": "feed-wrap"}, self.feed, self.empty))
        self.root.appendChild(self.announcer)

        self.listen(self.form, "submit", self._submit)
        self.listen(self.form, "click", self._form_clicked)
        self.listen(self.body, "input", lambda event: self._count())
        self.listen(self.body, "keydown", self._body_key)
        self.listen(self.form, "keydown", self._form_key)
        self.listen(self.feed, "focusin", lambda event: self._mark_read())
        self.listen(self.feed, "scroll", self._scrolled)
        self.listen(self.feed, "click", self._feed_clicked)
        self._ticker = Every(REFRESH_SECONDS, self._refresh_times)
        self.ctx.notes["compose_to"] = self.compose_to

    def teardown(self) -> None:
        self._ticker.cancel()
        if self.ctx.notes.get("compose_to") == self.compose_to:
            del self.ctx.notes["compose_to"]

    def compose_to(self, to: str) -> None:
        """Address the form to ``to`` and put the cursor in the message (also ``ctx.notes["compose_to"]``:
        a person's detail view asks). A half-typed text stays; when it was addressed to someone else,
        the form says so."""
        self._fill_recipients()
        previous = str(self.to.value)
        if to in {value for value, _ in self._to_options}:
            self.to.value = to
        now_to = str(self.to.value)
        if previous != now_to and str(self.body.value).strip():
            # A half-typed text meant for someone else: say so, or one Enter sends it to the wrong person.
            tagged = str(self.delivery.value).strip()
            also = f", and still names delivery {tagged}" if tagged else ""
            self._show_error(f"Your unsent text is now addressed to {recipient(now_to, self._name_of)}, not "
                             f"{recipient(previous, self._name_of)}{also}. Check it before you send.")
        if hasattr(self.form, "scrollIntoView"):
            self.form.scrollIntoView(js_object({"block": "nearest"}))
        self.body.focus()

    # --- rendering ----------------------------------------------------------------------

    def update(self, changes: Changes) -> None:
        if changes.reset:
            self._reset()
        else:
            if changes.staff:
                self._fill_recipients()
            if changes.communications:
                self._apply(changes.communications)
                self._show_compose_status()

    def _reset(self) -> None:
        client = self.client
        messages = client.communications()
        keep = {c.id for c in messages}
        for cid in [i for i in self.rows if i not in keep]:
            self.rows.pop(cid).node.remove()
            self._unread.discard(cid)
        arrived = []
        for message in messages:
            row = self.rows.get(message.id)
            if row is None:
                row = self.rows[message.id] = MessageRow(message.id, self._linked)
                arrived.append(message)
            self._draw(row, message)
        for message in messages:
            self.feed.appendChild(self.rows[message.id].node)
        self._fill_recipients()
        if self._loaded:
            self._arrived(arrived)
        self._loaded = self._loaded or client.ready
        self.empty.hidden = bool(self.rows)
        self._show_compose_status()

    def _apply(self, ids) -> None:
        client = self.client
        added = []
        for cid in ids:
            message = client.communication(cid)
            row = self.rows.get(cid)
            if message is None:
                if row is not None:
                    row.node.remove()
                    del self.rows[cid]
                    self._unread.discard(cid)
            elif row is None:
                self.rows[cid] = self._draw(MessageRow(cid, self._linked), message)
                added.append(message)
            else:
                self._draw(row, message)
        if added:
            self._place([m.id for m in added])
            if self._loaded:
                self._arrived(added)
        self.empty.hidden = bool(self.rows)

    def _place(self, new_ids: list[str]) -> None:
        """Insert new rows where ``communications()`` lists them, oldest first so each finds its successor."""
        order = [c.id for c in self.client.communications()]
        index = {cid: i for i, cid in enumerate(order)}
        placed = set(self.rows) - set(new_ids)
        for cid in sorted(new_ids, key=lambda i: index.get(i, len(order)), reverse=True):
            position = index.get(cid)
            after = None
            if position is not None:
                after = next((order[j] for j in range(position + 1, len(order)) if order[j] in placed), None)
            node = self.rows[cid].node
            if after is None:
                self.feed.appendChild(node)
            else:
                self.feed.insertBefore(node, self.rows[after].node)
            placed.add(cid)

    def _draw(self, row: MessageRow, message) -> MessageRow:
        last = row.last
        name_of = self._name_of
        moment = now()
        values = {
            "from": (message.from_, sender(message.from_, self._me(), name_of)),
            "to": (message.to, "to you" if message.to == self._me() else f"to {recipient(message.to, name_of)}"),
            "sentAt": (message.sentAt, self._time_label(message.sentAt, moment)),
            "body": (message.body, None),
            "deliveryId": (message.deliveryId, f"Delivery {message.deliveryId}" if message.deliveryId else ""),
        }
        for name, shown in values.items():
            if last.get(name) != shown:
                set_field(row.cells[name], *shown)
                last[name] = shown
        if last.get("_about") != bool(message.deliveryId):
            row.cells["deliveryId"].hidden = not message.deliveryId
            last["_about"] = bool(message.deliveryId)
        if last.get("_when") != message.sentAt:
            row.cells["sentAt"].setAttribute("datetime", message.sentAt or "")
            last["_when"] = message.sentAt
        pending = self.client.communication_pending(message.id) or message.id.startswith(PENDING_PREFIX)
        if last.get("_pending") != pending:
            if pending:
                row.node.setAttribute("data-pending", "true")
            else:
                row.node.removeAttribute("data-pending")
            row.state.textContent = "Sending…" if pending else ""
            last["_pending"] = pending
        own = message.from_ == self._me()
        if last.get("_own") != own:
            if own:
                row.node.setAttribute("data-own", "true")
            else:
                row.node.removeAttribute("data-own")
            last["_own"] = own
        long = len(message.body) > LONG_BODY
        if last.get("_long") != long:
            row.more.hidden = not long
            row.node.classList.toggle("clamped", long)
            last["_long"] = long
        return row

    def _time_label(self, sent_at, moment) -> str:
        at, ago = clock(sent_at, moment, self._offset), relative(sent_at, moment)
        return f"{at} · {ago}" if at and ago else at or ago

    def _refresh_times(self) -> None:
        moment = now()
        for cid, row in self.rows.items():
            sent_at = row.last.get("_when")
            shown = (sent_at, self._time_label(sent_at, moment))
            if row.last.get("sentAt") != shown:
                set_field(row.cells["sentAt"], *shown)
                row.last["sentAt"] = shown

    def _me(self) -> str:
        return self.client.commands.sender

    def _name_of(self, staff_id: str):
        member = self.client.staff_member(staff_id)
        return member.name if member is not None else None

    # --- unread and announcements ----------------------------------------------------------

    def _arrived(self, messages) -> None:
        me = self._me()
        fresh = [m for m in messages if m.from_ != me and not m.id.startswith(PENDING_PREFIX)]
        if not fresh:
            return
        for message in fresh:
            self._unread.add(message.id)
            self.rows[message.id].node.setAttribute("data-unread", "true")
        self._show_unread()
        fresh.sort(key=lambda m: m.sentAt or "", reverse=True)
        self.announcer.textContent = announce_messages(
            [(sender(m.from_, me, self._name_of), m.body) for m in fresh])

    def _mark_read(self) -> None:
        if not self._unread:
            return
        for cid in self._unread:
            row = self.rows.get(cid)
            if row is not None:
                row.node.removeAttribute("data-unread")
        self._unread.clear()
        self._show_unread()

    def _show_unread(self) -> None:
        count = len(self._unread)
        self.unread.setAttribute("data-value", str(count))
        self.unread.textContent = f"{count} new"
        self.unread.hidden = count == 0

    def _scrolled(self, event) -> None:
        if self.feed.scrollTop <= 2:
            self._mark_read()

    def _feed_clicked(self, event) -> None:
        opener = event.target.closest("button[data-action=open-delivery]")
        if opener and self._linked:
            delivery_id = str(opener.getAttribute("data-value") or "")
            if delivery_id:
                self._open_delivery(delivery_id, opener)
            return
        button = event.target.closest("button[data-action=expand]")
        if not button:
            return
        item = button.closest("[data-testid=communication]")
        expanded = button.getAttribute("aria-expanded") != "true"
        button.setAttribute("aria-expanded", "true" if expanded else "false")
        button.textContent = "Show less" if expanded else "Show all"
        item.classList.toggle("clamped", not expanded)

    # --- the compose form -------------------------------------------------------------------

    def _fill_recipients(self) -> None:
        staff = sorted(self.client.staff(), key=lambda m: (m.name.casefold(), m.id))
        options = list(GROUPS.items()) + [(m.id, person(m.id, m.name)) for m in staff]
        if options == self._to_options:
            return
        self._to_options = options
        current = str(self.to.value) or "coordinators"
        if current not in {value for value, _ in options}:
            current = "coordinators"
        clear(self.to)
        for value, label in GROUPS.items():
            self.to.appendChild(el("option", {"value": value, "selected": value == current}, text=label))
        group = el("optgroup", {"label": "Staff"})
        for value, label in options[len(GROUPS):]:
            group.appendChild(el("option", {"value": value, "selected": value == current}, text=label))
        self.to.appendChild(group)
        self.to.value = current

    def _count(self) -> None:
        n = len(str(self.body.value))
        self.counter.textContent = count_of(n, MAX_BODY_CHARS)
        over = n > MAX_BODY_CHARS
        self.counter.classList.toggle("over", over)
        if over:
            self.body.setAttribute("aria-invalid", "true")
        else:
            self.body.removeAttribute("aria-invalid")

    def _body_key(self, event) -> None:
        if event.key == "Enter" and not (event.shiftKey or event.isComposing):
            event.preventDefault()
            self.form.requestSubmit()

    def _form_key(self, event) -> None:
        if event.key == "Escape" and not self.error.hidden:
            event.preventDefault()
            self._dismiss_error()

    def _submit(self, event) -> None:
        event.preventDefault()
        to = str(self.to.value)
        body = str(self.body.value)
        delivery_id = str(self.delivery.value).strip()
        if delivery_id and self.client.delivery(delivery_id) is None:
            self._show_error(f"There is no delivery {delivery_id} on the board.", focus=self.delivery)
            return
        result = self.ctx.run(lambda client: client.send_message(to, body, delivery_id or None))
        command_id = getattr(result, "command_id", None)
        if command_id is None:
            message = getattr(result, "message", "") or "The message was not sent."
            self._show_error(message, focus=self.body)
            return
        self._drafts[command_id] = (to, body, delivery_id)
        # Show it now: the coalesced render waits for the next frame, and a fast answer could come first.
        self._apply({PENDING_PREFIX + command_id})
        self._hide_error()
        self.body.value = ""
        self.delivery.value = ""
        self._count()
        self.body.focus()

    def _show_compose_status(self) -> None:
        """After messages changed: show a rollback once, and put its text back in the box."""
        status = self.client.compose_status()
        error = status.error
        if not status.pending:  # nothing in flight: only a shown rollback's draft may still be wanted
            self._drafts = {k: v for k, v in self._drafts.items() if error is not None and k == error.command_id}
        if error is None:
            if self._error_command is not None:
                self._hide_error()
            return
        if error.command_id == self._error_command:
            return
        draft = self._drafts.get(error.command_id)
        if draft is not None and not str(self.body.value).strip():
            to, body, delivery_id = draft
            self.to.value = to
            self.body.value = body
            self.delivery.value = delivery_id
            self._count()
        self._show_error(f"Not sent. {error.message}", retryable=error.retryable)
        self._error_command = error.command_id

    def _form_clicked(self, event) -> None:
        button = event.target.closest("button[data-action]")
        if not button:  # JS null arrives as the falsy jsnull, not None
            return
        action = str(button.getAttribute("data-action"))
        if action == "dismiss":
            self._dismiss_error()
        elif action == "retry" and self._error_command is not None:
            command_id = self._error_command
            result = self.ctx.run(lambda client: client.retry(command_id))
            if getattr(result, "command_id", None) is not None:
                draft = self._drafts.get(command_id)
                if draft is not None and str(self.body.value) == draft[1]:  # the text went back in: it is sent again
                    self.body.value = ""
                    self.delivery.value = ""
                    self._count()
                self._hide_error()
            else:
                self._show_error(getattr(result, "message", "Could not retry."))

    def _dismiss_error(self) -> None:
        command_id = self._error_command
        self._hide_error()
        if command_id is not None:
            self.ctx.run(lambda client: client.dismiss(command_id))
        self.body.focus()

    def _show_error(self, message: str, *, retryable: bool = False, focus=None) -> None:
        self._error_command = None
        self.error_text.textContent = message
        self.retry.hidden = not retryable
        self.error.hidden = False
        if focus is not None:
            focus.focus()

    def _hide_error(self) -> None:
        self._error_command = None
        self.error.hidden = True
        self.error_text.textContent = ""
