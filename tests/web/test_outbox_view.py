"""The outbox view renders through the seam, into the page's own elements."""

from app.outbox import OutboxItem
from app.web.fake_dom import Event
from app.web.outbox_view import OutboxView
from app.web.runtime import document
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


def test_the_open_outbox_closes_on_escape_or_a_press_elsewhere_and_only_a_new_failure_reopens_it():
    """Opened by a failure, it covered the zone cards and the status chips, and only its own
    button closed it."""
    holder = page_with(("outbox", "div"), ("outbox-toggle", "button"), ("outbox-badge", "span"),
                       ("outbox-panel", "div"), ("outbox-list", "ul"), ("outbox-status", "p"), ("elsewhere", "div"))
    panel = holder.querySelector("#outbox-panel")
    holder.querySelector("#outbox").appendChild(panel)
    panel.hidden = True
    view = OutboxView(lambda fn: None)
    first = OutboxItem("c-1", "set_status", "D-1", "D-1: status to delivered", "failed", "Server busy", True,
                       "2026-11-26T10:00:00Z")
    view.show([first], 1, 1)
    assert not panel.hidden
    panel.dispatchEvent(Event("pointerdown", target=panel))
    assert not panel.hidden  # a press inside keeps it
    holder.querySelector("#outbox-toggle").dispatchEvent(Event("keydown", key="Escape"))
    assert panel.hidden
    assert document.activeElement is holder.querySelector("#outbox-toggle")
    waiting = OutboxItem("c-2", "set_status", "D-2", "D-2: status to pending", "waiting", None, False,
                         "2026-11-26T10:01:00Z")
    view.show([first, waiting], 2, 1)
    assert panel.hidden  # the same failure: it stays closed
    second = OutboxItem("c-3", "set_status", "D-3", "D-3: status to failed", "failed", "Server busy", True,
                        "2026-11-26T10:02:00Z")
    view.show([first, waiting, second], 3, 2)
    assert not panel.hidden  # a new one opens it again
    elsewhere = holder.querySelector("#elsewhere")
    elsewhere.dispatchEvent(Event("pointerdown", target=elsewhere))
    assert panel.hidden
    view.destroy()
    holder.remove()
