"""Tell the coordinator what a link asked for and did not get (PROTOCOL.md 1).

``app.config.resolve_endpoints`` ignores a link's untrusted ``?api=``/``?ws=``
and out-of-bounds timings and lists why in ``Endpoints.notices``; this shows
them above the page, one line each, as text (a notice repeats parts of the
link, so it never goes through HTML).

    show_link_notices(endpoints.notices)   # [data-testid=config-notice]
"""

from __future__ import annotations

from app.web.dom import el
from app.web.runtime import document

NOTICE_ID = "config-notice"


def show_link_notices(notices) -> None:
    """One ``[data-testid=config-notice]`` holding a line per notice; nothing when there are none."""
    old = document.getElementById(NOTICE_ID)
    if old:  # JS null arrives as the falsy jsnull, not None
        old.remove()
    if not notices:
        return
    box = el("div", {"id": NOTICE_ID, "data-testid": "config-notice", "class": "form-error config-notice",
                     "role": "alert"}, *(el("p", text=notice) for notice in notices))
    main = document.getElementById("main")
    main.insertBefore(box, main.firstChild)
