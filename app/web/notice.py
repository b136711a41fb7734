"""The notice strip under the top bar: ``[data-testid=notice]``, one plain-text message the user should see.

Used for what the core says in a ``Notice`` (another user's changes set
aside, and the like). It stays until dismissed or replaced: these are things
a coordinator must not miss while looking elsewhere.
"""

from __future__ import annotations

from app.web.dom import by_id
from app.web.runtime import ProxyOwner


class NoticeView:
    def __init__(self) -> None:
        self._root = by_id("notice")
        self._text = by_id("notice-text")
        self._owner = ProxyOwner("notice")
        by_id("notice-dismiss").addEventListener("click", self._owner.proxy(lambda event: self.hide()))

    def show(self, text: str) -> None:
        self._text.textContent = text
        self._root.hidden = False

    def hide(self) -> None:
        self._root.hidden = True
        self._text.textContent = ""
