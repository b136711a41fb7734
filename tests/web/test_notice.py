"""The notice strip renders through the seam."""

from app.web.fake_dom import Event
from app.web.notice import NoticeView
from tests.web.page import page_with


def test_a_notice_shows_and_hides():
    holder = page_with(("notice", "div"), ("notice-text", "span"), ("notice-dismiss", "button"))
    notice = NoticeView()
    notice.show("Signed in again")
    assert not holder.querySelector("#notice").hidden
    dismiss = holder.querySelector("#notice-dismiss")
    dismiss.dispatchEvent(Event("click", target=dismiss))
    assert holder.querySelector("#notice").hidden and holder.querySelector("#notice-text").textContent == ""
    holder.remove()
