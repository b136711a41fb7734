"""The login token's one home: ``sessionStorage`` (PROTOCOL.md 1).

Never ``localStorage`` (it would outlive the tab) and never a URL the app
requests; a ``#token=`` handed in the address is moved here and removed from
the address bar.
"""

from __future__ import annotations

from app.config import fragment_without_token, token_from_fragment
from app.web.runtime import window

TOKEN_KEY = "dc.token"
USER_KEY = "dc.user"
USER_ID_KEY = "dc.user-id"


def adopt_fragment_token() -> None:
    """Move ``#token=...`` into sessionStorage and out of the address bar."""
    fragment = str(window.location.hash or "")
    token = token_from_fragment(fragment)
    if token:
        window.sessionStorage.setItem(TOKEN_KEY, token)
        rest = fragment_without_token(fragment)
        window.history.replaceState(None, "", str(window.location.pathname) + str(window.location.search) + rest)


def token() -> str | None:
    value = window.sessionStorage.getItem(TOKEN_KEY)
    return str(value) if value else None


def user_name() -> str:
    value = window.sessionStorage.getItem(USER_KEY)
    return str(value) if value else ""


def user_id() -> str:
    value = window.sessionStorage.getItem(USER_ID_KEY)
    return str(value) if value else ""


def save(token_value: str, name: str, uid: str) -> None:
    window.sessionStorage.setItem(TOKEN_KEY, token_value)
    window.sessionStorage.setItem(USER_KEY, name)
    window.sessionStorage.setItem(USER_ID_KEY, uid)


def forget() -> None:
    for key in (TOKEN_KEY, USER_KEY, USER_ID_KEY):
        window.sessionStorage.removeItem(key)
