"""The connection banner and the outbox view render through the seam, into the page's own elements."""

from app.outbox import OutboxItem
from app.web.banner import Banner
from app.web.dom import el
from app.web.fake_dom import Event
from app.web.notice import NoticeView
from app.web.outbox_view import OutboxView
from app.web.runtime import document


def page_with(*ids_and_tags):
    holder = el("div")
    for element_id, tag in ids_and_tags:
        holder.appendChild(el(tag, {"id": element_id}))
    document.body.appendChild(holder)
    return holder


def test_the_banner_counts_down_a_reconnect_and_retry_now_calls_back():
    holder = page_with(("connection", "div"), ("connection-text", "span"), ("connection-age", "span"),
                       ("reconnect-now", "button"), ("connection-announce", "p"))
    retried = []
    banner = Banner(lambda: retried.append(True))
    banner.show("open")
    banner.show("reconnecting", attempt=2, of=5, next_retry_ms=4000)
    text = holder.querySelector("#connection-text").textContent
    assert text.startswith("Reconnecting: attempt 2 of 5") and not holder.querySelector("#reconnect-now").hidden
    assert holder.querySelector("#connection-announce").textContent == "Connection lost. Reconnecting."
    button = holder.querySelector("#reconnect-now")
    button.dispatchEvent(Event("click", target=button))
    banner.mark_live()
    assert retried == [True]
    banner.destroy()
    holder.remove()


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


def test_a_notice_shows_and_hides():
    holder = page_with(("notice", "div"), ("notice-text", "span"), ("notice-dismiss", "button"))
    notice = NoticeView()
    notice.show("Signed in again")
    assert not holder.querySelector("#notice").hidden
    dismiss = holder.querySelector("#notice-dismiss")
    dismiss.dispatchEvent(Event("click", target=dismiss))
    assert holder.querySelector("#notice").hidden and holder.querySelector("#notice-text").textContent == ""
    holder.remove()
