"""The outbox view renders through the seam, into the page's own elements."""

from app.outbox import OutboxItem
from app.web.fake_dom import Event
from app.web.outbox_view import OutboxView
from tests.web.page import page_with


def test_the_outbox_lists_waiting_and_failed_changes_with_their_actions():
    holder = page_with(("outbox", "div"), ("outbox-toggle", "button"), ("outbox-badge", "span"),
                       ("outbox-panel", "div"), ("outbox-list", "ul"), ("outbox-status", "p"))
    holder.querySelector("#outbox-panel").hidden = True
    runs = []
    view = OutboxView(lambda fn: runs.append(fn))
    item = OutboxItem("c-1", "set_status", "D-1", "D-1: status to delivered", "failed", "Server busy", True,
                      "2026-11-26T10:00:00Z")
    view.show([item], 1, 1)
    assert not holder.querySelector("#outbox-panel").hidden  # a failure opens it
    assert holder.querySelector("#outbox-badge").textContent == "1"
    retry = holder.querySelector("[data-action=retry]")
    retry.dispatchEvent(Event("click", target=retry))
    assert len(runs) == 1
    view.show([], 0, 0)
    assert holder.querySelector("#outbox-status").textContent == "Nothing is waiting."
    view.destroy()
    holder.remove()
