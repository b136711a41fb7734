"""The outbox in the top bar: ``[data-testid=outbox]``, what is waiting, sending or failed, each with its actions.

A coordinator's changes are work: when the network or the session is down
they wait here, survive a reload (``OutboxStore``), and a failed one stays
until the coordinator retries or discards it, each message with its own text
and its own Retry. ``data-count`` is the commands not yet confirmed and
``data-failed`` those that wait for the user (PROTOCOL.md 6).

    view = OutboxView(run=driver.feed)
    view.show(client.outbox(), *client.outbox_counts())   # on every ShowOutbox
    view.destroy()                                         # unbinds and frees its proxies

The list is small (at most the command queue's bound plus the failed ones),
so it is rebuilt whole when it changes; its text goes through textContent
only. One delegated click listener serves every button.
"""

from __future__ import annotations

from app.web.dom import by_id, clear, el
from app.web.runtime import ProxyOwner, document

STATE_WORDS = {"waiting": "Waiting to send", "sending": "Sent, not confirmed yet", "failed": "Failed"}


class OutboxView:
    def __init__(self, run):
        self._run = run  # run(lambda client: ...): an input through the driver
        self._root = by_id("outbox")
        self._toggle = by_id("outbox-toggle")
        self._badge = by_id("outbox-badge")
        self._panel = by_id("outbox-panel")
        self._list = by_id("outbox-list")
        self._status = by_id("outbox-status")
        self._owner = ProxyOwner("outbox")
        self._listeners = [
            (self._toggle, "click", self._owner.proxy(lambda event: self._set_open(self._panel.hidden))),
            (self._list, "click", self._owner.proxy(self._clicked)),
            # Open over the board, it closes as a menu does: Escape, or a press anywhere else.
            (document.documentElement, "keydown", self._owner.proxy(self._key)),
            (document.documentElement, "pointerdown", self._owner.proxy(self._pressed)),
        ]
        for node, event, proxy in self._listeners:
            node.addEventListener(event, proxy)
        self._shown: tuple = ()
        self._failed = 0  # failures already shown: only a new one opens the panel again

    def show(self, items, count: int, failed: int) -> None:
        self._root.setAttribute("data-count", str(count))
        self._root.setAttribute("data-failed", str(failed))
        self._root.hidden = count == 0 and failed == 0 and not items
        self._badge.textContent = str(count)
        self._toggle.setAttribute("aria-label", _toggle_label(count, failed))
        self._toggle.classList.toggle("has-failed", failed > 0)
        key = tuple((i.command_id, i.state, i.error, i.retryable, i.summary) for i in items)
        if key == self._shown:
            return
        self._shown = key
        clear(self._list)
        for item in items:
            self._list.appendChild(_row(item))
        self._status.textContent = "Nothing is waiting." if not items else ""
        if failed > self._failed and self._panel.hidden:
            self._set_open(True)  # a new failure waits for the user: show it, do not hide it behind a badge
        self._failed = failed

    def _set_open(self, open_: bool) -> None:
        self._panel.hidden = not open_
        self._toggle.setAttribute("aria-expanded", "true" if open_ else "false")

    def _key(self, event) -> None:
        if str(event.key) == "Escape" and not self._panel.hidden:
            self._set_open(False)
            self._toggle.focus()

    def _pressed(self, event) -> None:
        target = event.target
        if not self._panel.hidden and not (target and self._root.contains(target)):
            self._set_open(False)

    def _clicked(self, event) -> None:
        button = event.target.closest("button[data-action]")
        if button is None:
            return
        item = button.closest("[data-testid=outbox-item]")
        if item is None:
            return
        command_id = str(item.getAttribute("data-id"))
        action = str(button.getAttribute("data-action"))
        if action == "retry":
            self._run(lambda client: client.retry(command_id))
        elif action == "discard":
            self._run(lambda client: client.discard(command_id))

    def destroy(self) -> None:
        for node, event, proxy in self._listeners:
            node.removeEventListener(event, proxy)
        self._listeners = []
        self._owner.destroy()


def _row(item):
    actions = el("div", {"class": "outbox-actions"})
    if item.state == "failed" and item.retryable:
        actions.appendChild(el("button", {"type": "button", "data-action": "retry"}, text="Retry"))
    if item.state in ("failed", "waiting"):
        actions.appendChild(el("button", {"type": "button", "data-action": "discard", "class": "quiet"},
                               text="Discard"))
    return el(
        "li", {"data-testid": "outbox-item", "data-id": item.command_id, "data-state": item.state,
               "data-kind": item.kind, "class": f"outbox-item outbox-{item.state}"},
        el("span", {"class": "outbox-summary", "data-field": "summary"}, text=item.summary),
        el("span", {"class": "outbox-state", "data-field": "state", "data-value": item.state},
           text=STATE_WORDS.get(item.state, item.state)),
        el("span", {"class": "outbox-error", "data-field": "error", "hidden": not item.error},
           text=item.error or ""),
        actions,
    )


def _toggle_label(count: int, failed: int) -> str:
    words = f"Outbox: {count} change{'s' if count != 1 else ''} not confirmed yet"
    return words + (f", {failed} failed" if failed else "")
