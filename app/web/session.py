"""The login token's one home: ``sessionStorage`` (PROTOCOL.md 1).

Never ``localStorage`` (it would outlive the tab) and never a URL the app
requests. A ``#token=`` handed in the address is taken out of the address bar
at once by ``static/js/fragment-token.mjs`` (before Python starts, so also
when the configuration fails) and kept aside; ``adopt_fragment_token`` then
uses it only when no session is active in the tab, so a link cannot swap a
signed-in coordinator onto someone else's session (fixation).
``FragmentWatch`` does the same for a ``#token=`` reached without a page load.

A session is active while its token is here: ``forget`` ends it (logout, and
a 401 or close code 4401).
"""

from __future__ import annotations

from app.config import fragment_without_token, token_from_fragment
from app.session import Session
from app.web import http
from app.web.runtime import ProxyOwner, window

TOKEN_KEY = "dc.token"
USER_KEY = "dc.user"
USER_ID_KEY = "dc.user-id"
EXPIRES_KEY = "dc.expires-at"
#: Where fragment-token.mjs keeps the fragment it took the token out of (the same name there).
HANDED_KEY = "dc.handed-fragment"


def _take_handed() -> str | None:
    """The token a link handed, taken once; also out of the address bar if the JS module did not run."""
    storage = window.sessionStorage
    kept = storage.getItem(HANDED_KEY)
    storage.removeItem(HANDED_KEY)
    fragment = str(window.location.hash or "")
    in_address = token_from_fragment(fragment)
    if in_address:
        window.history.replaceState(window.history.state, "", str(window.location.pathname)
                                    + str(window.location.search) + fragment_without_token(fragment))
    return in_address or (token_from_fragment(str(kept)) if kept else None)


def active() -> bool:
    """Whether a session is active in this tab (a token is held and has not been forgotten)."""
    return token() is not None


def adopt_fragment_token() -> str | None:
    """Use a handed ``#token=`` unless a session is active; the token adopted, or None.

    The address bar is cleaned either way. An adopted token comes without its
    user (PROTOCOL.md 1): any user of an earlier session is forgotten with it.
    """
    handed = _take_handed()
    if handed is None or active():
        return None
    forget()
    window.sessionStorage.setItem(TOKEN_KEY, handed)
    return handed


class FragmentWatch:
    """A ``#token=`` reached by a same-page navigation (``hashchange``) follows the same rule.

    ``on_adopted(token)`` is called when one is adopted (there was no active
    session). ``stop()`` removes the listener and frees its proxy.
    """

    def __init__(self, on_adopted):
        self._on_adopted = on_adopted
        self._owner = ProxyOwner("fragment")
        self._listener = self._owner.proxy(self._changed)
        window.addEventListener("hashchange", self._listener)

    def _changed(self, event=None) -> None:
        adopted = adopt_fragment_token()
        if adopted:
            self._on_adopted(adopted)

    def stop(self) -> None:
        if self._listener is not None:
            window.removeEventListener("hashchange", self._listener)
            self._listener = None
        self._owner.destroy()


async def end_on_server(api_base: str, token_value: str | None) -> bool:
    """``POST {api}/logout``, best-effort: whether the server said yes (2xx).

    The caller forgets the token locally whatever happens; this only asks the
    server to stop honouring it too (a token copied before the logout then
    stops working). A server without the route, or no answer, is not an error.
    """
    if not token_value:
        return False
    try:
        status, _ = await http.request("POST", f"{api_base}/logout", {"Authorization": f"Bearer {token_value}"})
    except http.NetworkError:
        return False
    return 200 <= status < 300


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
