"""app/web/login.py: the login form signs in over REST, says why not in words, and frees its listener when hidden."""

import asyncio
import json

import pytest

from app.web import http
from app.web.dom import el
from app.web.fake_dom import Event
from app.web.login import LoginView
from app.web.runtime import ProxyOwner, document

ANSWER = {"token": "tok", "expiresAt": "2099-01-01T00:00:00Z", "user": {"id": "U-1", "name": "Ada"}}


@pytest.fixture
def form():
    """The page's login view and form, as index.html has them."""
    password = el("input", {"name": "password", "type": "password"})
    password.selected = False
    password.select = lambda: setattr(password, "selected", True)
    view = el("div", {"id": "login-view", "hidden": True},
              el("form", {"data-testid": "login"}, el("input", {"name": "username"}), password,
                 el("button", {"type": "submit"}, text="Sign in")),
              el("p", {"data-testid": "login-error", "hidden": True}))
    document.body.appendChild(view)
    yield view.querySelector("form")
    view.remove()


@pytest.fixture
def server(monkeypatch):
    """POST /login answers with the next of ``server.answers``; ``server.sent`` has the bodies."""
    state = type("Server", (), {"answers": [], "sent": []})()

    async def request(method, url, headers=None, body=None):
        assert (method, url) == ("POST", "http://api/login")
        state.sent.append(json.loads(body))
        answer = state.answers.pop(0)
        if answer is None:
            raise http.NetworkError("down")
        return answer

    monkeypatch.setattr(http, "request", request)
    return state


def submit(form, username, password):
    form.querySelector("[name=username]").value = username
    form.querySelector("[name=password]").value = password
    form.dispatchEvent(Event("submit", target=form))
    loop = asyncio.get_event_loop()
    for _ in range(5):  # the login is a task: let it run to its end (bounded)
        loop.run_until_complete(asyncio.sleep(0))


def error(form):
    node = document.querySelector("[data-testid=login-error]")
    return "" if node.hidden else node.textContent


def test_show_focuses_the_username_and_a_good_login_hands_over_the_result(form, server):
    signed_in = []
    view = LoginView("http://api", signed_in.append)
    view.show()
    assert not document.getElementById("login-view").hidden
    assert document.activeElement is form.querySelector("[name=username]")
    server.answers.append((200, json.dumps(ANSWER)))
    submit(form, " ada ", "pw")
    assert server.sent == [{"username": "ada", "password": "pw"}]
    assert signed_in[0].token == "tok" and signed_in[0].user.name == "Ada" and error(form) == ""


def test_a_missing_password_is_said_and_not_sent(form, server):
    LoginView("http://api", lambda result: None).show()
    submit(form, "ada", "")
    assert error(form) == "Enter your username and password." and server.sent == []
    assert document.activeElement is form.querySelector("[name=password]")


@pytest.mark.parametrize("answer, words", [
    ((401, "{}"), "Wrong username or password."),
    ((503, "{}"), "The server refused the login (HTTP 503). Try again in a moment."),
    ((200, '{"token": ""}'), "The server's answer to the login was not understood."),
    (None, "Cannot reach the server. Check the connection and try again."),
])
def test_a_failed_login_says_why_in_words(form, server, answer, words):
    signed_in = []
    LoginView("http://api", signed_in.append).show()
    server.answers.append(answer)
    submit(form, "ada", "pw")
    assert error(form) == words and signed_in == []
    assert form.querySelector("[type=submit]").textContent == "Sign in" and not form.hasAttribute("aria-busy")


def test_after_a_wrong_password_the_password_is_selected_to_type_again(form, server):
    LoginView("http://api", lambda result: None).show()
    server.answers.append((401, "{}"))
    submit(form, "ada", "pw")
    assert form.querySelector("[name=password]").selected


def test_back_after_a_logout_the_caret_waits_in_the_password(form):
    form.querySelector("[name=username]").value = "ada"
    LoginView("http://api", lambda result: None).show()
    assert document.activeElement is form.querySelector("[name=password]")


def test_hide_frees_the_submit_listener_and_clears_the_password(form, server):
    before = ProxyOwner.live()
    view = LoginView("http://api", lambda result: None)
    view.show()
    assert ProxyOwner.live() == before + 1
    form.querySelector("[name=password]").value = "secret"
    view.hide()
    assert ProxyOwner.live() == before and document.getElementById("login-view").hidden
    assert str(form.querySelector("[name=password]").value) == ""
    submit(form, "ada", "pw")
    assert server.sent == [], "no listener after hide"
