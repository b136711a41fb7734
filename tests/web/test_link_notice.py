"""app/web/link_notice.py: what a link asked for and did not get, a line each, as text."""

from app.web.dom import el
from app.web.link_notice import NOTICE_ID, show_link_notices
from app.web.runtime import document


def page():
    main = el("main", {"id": "main"}, el("section", {"id": "first"}))
    document.body.appendChild(main)
    return main


def test_notices_show_above_the_page_one_line_each_as_text():
    main = page()
    show_link_notices(["Ignored ?api=<b>evil</b>", "Ignored ?timeoutMs=1"])
    box = document.getElementById(NOTICE_ID)
    assert main.firstChild is box and box.getAttribute("role") == "alert"
    assert [line.textContent for line in box.children] == ["Ignored ?api=<b>evil</b>", "Ignored ?timeoutMs=1"]
    main.remove()


def test_new_notices_replace_the_old_and_none_removes_them():
    main = page()
    show_link_notices(["one"])
    show_link_notices(["two"])
    assert len(main.querySelectorAll(f"#{NOTICE_ID}")) == 1
    assert document.getElementById(NOTICE_ID).textContent == "two"
    show_link_notices([])
    assert not document.getElementById(NOTICE_ID)
    main.remove()
