"""app/web/session.py: the token lives in sessionStorage; a handed #token= is adopted only when no session is active."""

import asyncio

import pytest

from app.session import Session
from app.web import http, session
from app.web.runtime import window


class Address:
    """``window.location`` and ``window.history``: replaceState rewrites the fragment."""

    def __init__(self, fragment: str):
        self.pathname, self.search, self.hash = "/", "?x=1", fragment
        self.state = None
        self.replaced: list[str] = []

    def replaceState(self, state, title, url) -> None:
        self.replaced.append(url)
        self.hash = url.partition("#")[2] and "#" + url.partition("#")[2]


@pytest.fixture(autouse=True)
def fresh_tab(monkeypatch):
    window.sessionStorage.clear()
    listeners = {}
    monkeypatch.setattr(window, "addEventListener", lambda name, fn: listeners.__setitem__(name, fn), raising=False)
    monkeypatch.setattr(window, "removeEventListener", lambda name, fn: listeners.pop(name), raising=False)
    yield listeners
    window.sessionStorage.clear()


def at_address(monkeypatch, fragment: str) -> Address:
    address = Address(fragment)
    monkeypatch.setattr(window, "location", address, raising=False)
    monkeypatch.setattr(window, "history", address, raising=False)
    return address


def test_save_load_and_forget_a_session():
    assert session.load() is None and not session.active()
    session.save(Session("tok", "u1", "Ada", "2099-01-01T00:00:00Z"))
    assert session.load() == Session("tok", "u1", "Ada", "2099-01-01T00:00:00Z") and session.active()
    session.forget_token()
    assert session.load() is None and session.user_id() == "u1" and session.user_name() == "Ada"
    session.forget()
    assert session.user_id() == "" and session.expires_at() == ""


def test_a_handed_token_is_adopted_without_a_user_and_leaves_the_address_bar(monkeypatch):
    address = at_address(monkeypatch, "#token=abc&view=map")
    assert session.adopt_fragment_token() == "abc"
    assert address.replaced == ["/?x=1#view=map"]
    assert session.load() == Session("abc", None, None, None)


def test_a_handed_token_never_replaces_an_active_session(monkeypatch):
    session.save(Session("mine", "u1", "Ada", None))
    address = at_address(monkeypatch, "#token=theirs")
    assert session.adopt_fragment_token() is None
    assert session.token() == "mine" and address.replaced == ["/?x=1"], "cleaned from the address all the same"


def test_a_token_kept_aside_by_the_page_script_is_taken_once(monkeypatch):
    at_address(monkeypatch, "")
    window.sessionStorage.setItem(session.HANDED_KEY, "#token=early")
    assert session.adopt_fragment_token() == "early"
    session.forget()
    assert session.adopt_fragment_token() is None


def test_a_hashchange_with_a_token_is_adopted_and_stop_unlistens(monkeypatch, fresh_tab):
    at_address(monkeypatch, "#token=later")
    adopted = []
    watch = session.FragmentWatch(adopted.append)
    fresh_tab["hashchange"](None)
    assert adopted == ["later"]
    watch.stop()
    assert "hashchange" not in fresh_tab


def test_logout_on_the_server_is_best_effort(monkeypatch):
    answers = iter([(204, ""), (404, "")])

    async def request(method, url, headers=None, body=None):
        assert (method, url, headers) == ("POST", "http://api/logout", {"Authorization": "Bearer t"})
        return next(answers)

    async def down(*args, **kwargs):
        raise http.NetworkError("down")

    loop = asyncio.get_event_loop()
    monkeypatch.setattr(http, "request", request)
    assert loop.run_until_complete(session.end_on_server("http://api", "t")) is True
    assert loop.run_until_complete(session.end_on_server("http://api", "t")) is False
    assert loop.run_until_complete(session.end_on_server("http://api", None)) is False
    monkeypatch.setattr(http, "request", down)
    assert loop.run_until_complete(session.end_on_server("http://api", "t")) is False

