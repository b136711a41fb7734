"""The connection banner renders through the seam, into the page's own elements."""

from app.web.banner import Banner
from app.web.fake_dom import Event
from tests.web.page import page_with


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
