"""app/web/driver.py: the client run against a fake bridge: a socket, timers, fetches, renders, and a clean stop."""

import asyncio
import json

import pytest

from app.hub import Hub
from app.session import SessionEnded
from app.web import http
from app.web.driver import Driver
from app.web.runtime import ProxyOwner, document, js, window
from tests.fake_shell import API, WS, new_client, snapshot


class Handle:
    """What ``dcBridge.openSocket`` returns: ``send`` and ``abandon``, recorded."""

    def __init__(self, url, on_open, on_batch, on_close):
        self.url, self.on_open, self.on_batch, self.on_close = url, on_open, on_batch, on_close
        self.sent: list[dict] = []
        self.abandoned = None

    def send(self, text):
        self.sent.append(json.loads(text))

    def abandon(self, code, reason):
        self.abandoned = (code, reason)


class Batch(list):
    def to_py(self):
        return list(self)


class Page:
    """The fake page's bridge, window and document listeners, and the server's REST answers."""

    def __init__(self, monkeypatch):
        self.sockets: list[Handle] = []
        self.listeners: dict = {}
        self.requests: list[tuple] = []
        self.answers: dict[str, tuple[int, str]] = {}
        monkeypatch.setattr(js.dcBridge, "openSocket", self._open, raising=False)
        for target in (window, document):
            monkeypatch.setattr(target, "addEventListener",
                                lambda name, fn: self.listeners.__setitem__(name, fn), raising=False)
            monkeypatch.setattr(target, "removeEventListener",
                                lambda name, fn: self.listeners.pop(name, None), raising=False)
        monkeypatch.setattr(http, "request", self._request)

    def _open(self, url, on_open, on_batch, on_close):
        self.sockets.append(Handle(url, on_open, on_batch, on_close))
        return self.sockets[-1]

    async def _request(self, method, url, headers=None, body=None):
        self.requests.append((method, url))
        return self.answers[url]


class Banner:
    def __init__(self):
        self.shown: list[str] = []

    def show(self, state, attempt, max_attempts, next_retry_ms):
        self.shown.append(state)


def turns(n=10):
    loop = asyncio.get_event_loop()
    for _ in range(n):
        loop.run_until_complete(asyncio.sleep(0))


@pytest.fixture
def page(monkeypatch):
    return Page(monkeypatch)


def running(page, app_actions=None):
    client, _, _ = new_client()
    hub, banner, synced, renders = Hub(), Banner(), [], []
    hub.subscribe(("*",), renders.append)
    driver = Driver(client, hub, banner, on_sync=synced.append, app_actions=app_actions)
    driver.start()
    return driver, banner, synced, renders


def test_start_opens_one_socket_and_authenticates_once_it_opens(page):
    driver, banner, _, _ = running(page)
    [socket] = page.sockets
    assert socket.url == WS and banner.shown[-1] == "connecting"
    socket.on_open()
    assert socket.sent[0]["type"] == "auth" and socket.sent[0]["token"] == "tok"
    driver.stop()


def test_a_welcome_fetches_the_snapshot_and_the_render_reaches_the_hub(page):
    driver, _, synced, renders = running(page)
    page.answers[API + "/snapshot"] = (200, json.dumps(snapshot(10)))
    socket = page.sockets[0]
    socket.on_open()
    socket.on_batch(Batch([json.dumps({"type": "welcome", "seq": 10, "resumed": False})]))
    turns()
    assert ("GET", API + "/snapshot") in page.requests
    assert driver.client.ready and synced[-1].ready
    js.dcBridge.run()  # the render waits for the next frame
    assert renders and renders[-1].reset
    driver.stop()


def test_a_close_4401_hands_session_ended_to_the_page_and_opens_nothing(page):
    ended = []
    driver, _, _, _ = running(page, {SessionEnded: ended.append})
    socket = page.sockets[0]
    socket.on_open()
    socket.on_close(4401, "expired")
    turns()
    assert len(ended) == 1 and len(page.sockets) == 1
    driver.stop()


def test_stop_drops_the_socket_cancels_timers_and_frees_every_proxy(page):
    before = ProxyOwner.live()
    driver, _, _, _ = running(page)
    page.sockets[0].on_open()
    assert ProxyOwner.live() > before and driver._timers
    driver.stop()
    assert page.sockets[0].abandoned == (1000, "logout") and driver._timers == {}
    assert ProxyOwner.live() == before and page.listeners == {}
    with pytest.raises(RuntimeError, match="destroyed"):  # freed: nothing in Python is reachable from JS
        page.sockets[0].on_open()
