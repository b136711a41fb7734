"""The login form of PROTOCOL.md 6: ``form[data-testid=login]``.

Shown when there is no token, after a 401, or after close code 4401. It owns
one submit listener, freed when the form is hidden again.

The form is usable before Python runs (static/js/early.mjs): a submit made
then waits, and ``show`` picks it up through ``dcEarlyLogin.stop()``.
"""

from __future__ import annotations

import asyncio
import json

from app.models import LoginResult
from app.web import http
from app.web.dom import by_id
from app.web.runtime import ProxyOwner, document, window


class LoginView:
    def __init__(self, api_base: str, on_success):
        self._api_base = api_base
        self._on_success = on_success  # called with (token, LoginResult)
        self._owner = ProxyOwner("login")
        self._form = document.querySelector("form[data-testid=login]")
        self._error = document.querySelector("[data-testid=login-error]")
        self._busy = False
        self._listener = None  # the submit listener's proxy while the form is shown

    def show(self, message: str = "") -> None:
        by_id("login-view").hidden = False
        self._show_error(message)
        if self._listener is None:
            self._listener = self._owner.proxy(self._submit)
            self._form.addEventListener("submit", self._listener)
        if _early_submit():  # submitted while the app loaded: sign in with what the form holds
            asyncio.ensure_future(self._log_in())
            return
        if self._form.contains(document.activeElement):
            return  # typing since the first paint: leave the caret where it is
        username = self._form.querySelector("[name=username]")
        # Back after a logout or an expired session, the username is still there: type the password.
        (self._form.querySelector("[name=password]") if str(username.value).strip() else username).focus()

    def hide(self) -> None:
        by_id("login-view").hidden = True
        if self._listener is not None:
            # Unbind before freeing: a destroyed proxy still bound would throw on the next login.
            self._form.removeEventListener("submit", self._listener)
            self._listener = None
        self._owner.destroy()
        self._owner = ProxyOwner("login")
        self._form.querySelector("[name=password]").value = ""

    def _show_error(self, message: str) -> None:
        self._error.textContent = message
        self._error.hidden = not message

    def _set_busy(self, busy: bool) -> None:
        """While the login is under way the button says so (and a second submit is ignored)."""
        button = self._form.querySelector("[type=submit]")
        button.textContent = "Signing in…" if busy else "Sign in"
        if busy:
            self._form.setAttribute("aria-busy", "true")
        else:
            self._form.removeAttribute("aria-busy")

    def _submit(self, event) -> None:
        event.preventDefault()
        if not self._busy:
            asyncio.ensure_future(self._log_in())

    async def _log_in(self) -> None:
        username = str(self._form.querySelector("[name=username]").value).strip()
        password = str(self._form.querySelector("[name=password]").value)
        if not username or not password:
            self._show_error("Enter your username and password.")
            self._form.querySelector("[name=username]" if not username else "[name=password]").focus()
            return
        self._busy = True
        self._show_error("")
        self._set_busy(True)
        try:
            status, text = await http.request(
                "POST", f"{self._api_base}/login", {"Content-Type": "application/json"},
                json.dumps({"username": username, "password": password}),
            )
        except http.NetworkError:
            self._show_error("Cannot reach the server. Check the connection and try again.")
            return
        finally:
            self._busy = False
            self._set_busy(False)
        if status == 401:
            self._show_error("Wrong username or password.")
            self._form.querySelector("[name=password]").select()  # ready to type it again
            return
        if status != 200:
            self._show_error(f"The server refused the login (HTTP {status}). Try again in a moment.")
            return
        try:
            result = LoginResult.model_validate_json(text)
        except ValueError:
            self._show_error("The server's answer to the login was not understood.")
            return
        self._on_success(result)


def _early_submit() -> bool:
    """Stop static/js/early.mjs's own submit listener; whether a submit was waiting for the app."""
    early = getattr(window, "dcEarlyLogin", None)
    return bool(early.stop()) if early is not None else False
