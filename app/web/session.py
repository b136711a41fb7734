"""The login token's one home: ``sessionStorage`` (PROTOCOL.md 1).

Never ``localStorage`` (it would outlive the tab) and never a URL the app
requests; a ``#token=`` handed in the address is moved here and removed from
the address bar.
"""

from __future__ import annotations

from app.config import fragment_without_token, token_from_fragment
from app.session import Session
from app.web.runtime import window

TOKEN_KEY = "dc.token"
USER_KEY = "dc.user"
USER_ID_KEY = "dc.user-id"
EXPIRES_KEY = "dc.expires-at"


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


def expires_at() -> str:
    value = window.sessionStorage.getItem(EXPIRES_KEY)
    return str(value) if value else ""


def load() -> Session | None:
    """The tab's session, if it has a token (a ``#token=`` one has no user or expiry until refreshed)."""
    value = token()
    if not value:
        return None
    return Session(value, user_id() or None, user_name() or None, expires_at() or None)


def save(current: Session) -> None:
    _set(TOKEN_KEY, current.token)
    _set(USER_KEY, current.user_name)
    _set(USER_ID_KEY, current.user_id)
    _set(EXPIRES_KEY, current.expires_at)


def _set(key: str, value) -> None:
    if value:
        window.sessionStorage.setItem(key, str(value))
    else:
        window.sessionStorage.removeItem(key)


def forget_token() -> None:
    """The session ended: its token is dead, but who it was stays (the form asks them first)."""
    for key in (TOKEN_KEY, EXPIRES_KEY):
        window.sessionStorage.removeItem(key)


def forget() -> None:
    for key in (TOKEN_KEY, USER_KEY, USER_ID_KEY, EXPIRES_KEY):
        window.sessionStorage.removeItem(key)
