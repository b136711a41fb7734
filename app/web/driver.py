"""Run the sans-I/O ``Client`` against the browser: one socket, timers, fetch, frames.

The driver is the only thing that feeds the client. Every browser callback
becomes one client input; after each batch of inputs the driver drains
``client.actions()`` and performs them in order. Renders go to the hub, at
most once per animation frame.

    driver = Driver(client, hub, banner, on_sync=set_app_state,
                    app_actions={SessionEnded: show_login_over_board, SaveOutbox: outbox_store.save})
    driver.start()
    ...
    driver.stop()      # closes the socket, cancels timers, frees every proxy

The heap: once a snapshot is drawn, and every few collections after, the
driver freezes the heap (``app.heap.HeapKeeper``), so the cyclic
collector's pauses cost what changed since, not the whole board. It looks
after each drawn frame and once a second (rows built in the background
allocate while nothing is drawn).

Proxies: each socket gets a ``ProxyOwner`` for its three callbacks, destroyed
when the socket closes or is dropped; the driver owns one more for the
frame callback and the window listeners, unhooked by ``stop()`` and destroyed
then (or by the last frame callback, if one is still scheduled). Timers use
the asyncio loop (Pyodide frees its own callbacks), fetches await promises
(no proxies at all).
"""

from __future__ import annotations

import asyncio
import itertools

from app.client import (
    Client,
    HttpRequest,
    Log,
    OpenSocket,
    Render,
    SendText,
    ShowConnection,
    ShowSync,
)
from app.connection import CancelTimer, CloseSocket, StartTimer
from app.heap import HeapKeeper
from app.hub import Hub
from app.store import Changes
from app.web import http
from app.web.runtime import ProxyOwner, document, js, window

_socket_numbers = itertools.count(1)
#: The page's one heap keeper: a driver after a sign-out collects what the last one left (app/heap.py).
HEAP = HeapKeeper()
#: Seconds between two looks at whether a freeze is due when no frame is drawn.
HEAP_CHECK_SECONDS = 1.0


class BrowserSocket:
    """One ``WebSocket`` through the JS bridge; frames arrive in per-frame batches."""

    def __init__(self, url: str, driver: "Driver"):
        self.number = next(_socket_numbers)
        self._driver = driver
        self._owner = ProxyOwner(f"socket#{self.number}")
        self._handle = js.dcBridge.openSocket(
            url,
            self._owner.proxy(self._opened),
            self._owner.proxy(self._batch),
            self._owner.proxy(self._closed),
        )
        self.alive = True

    def _opened(self) -> None:
        if self.alive:
            self._driver.feed(lambda client: client.socket_opened())

    def _batch(self, frames) -> None:
        if not self.alive:
            return
        texts = frames.to_py()
        self._driver.feed_frames(texts)

    def _closed(self, code, reason) -> None:
        if not self.alive:
            return
        self._release()
        self._driver.socket_gone(self, int(code), str(reason))

    def send(self, text: str) -> None:
        if self.alive:
            self._handle.send(text)

    def drop(self, code: int, reason: str) -> None:
        """Close from our side and detach: the client forgets this socket at once."""
        if not self.alive:
            return
        self._handle.abandon(code, reason)
        self._release()

    def _release(self) -> None:
        self.alive = False
        self._owner.destroy()


class Driver:
    """``app_actions`` maps the page-level action classes (``SessionEnded``, ``SessionRenewed``,
    ``SaveOutbox``, ``ShowOutbox``, ``Notice``) to the page's handlers: the driver runs the socket,
    timers and fetches itself and hands the rest up, so it needs no new branch per action."""

    def __init__(self, client: Client, hub: Hub, banner, *, on_sync, app_actions=None, log=None,
                 heap: HeapKeeper | None = None):
        self.client = client
        self.heap = heap if heap is not None else HEAP
        self.hub = hub
        self._banner = banner
        self._on_sync = on_sync
        self._app_actions = dict(app_actions or {})
        self._log = log or (lambda direction, text: None)
        self._socket: BrowserSocket | None = None
        self._timers: dict[str, asyncio.Handle] = {}
        self._owner = ProxyOwner("driver")
        self._pending_render: list[Changes] = []
        self._frame_scheduled = False
        self._frame_callback = self._owner.proxy(self._on_frame)
        self._stopped = False
        self._heap_timer: asyncio.Handle | None = None
        self.sockets_opened = 0
        self._listeners = (
            (window, "online", self._owner.proxy(lambda event: self.feed(lambda c: c.browser_online()))),
            (document, "visibilitychange", self._owner.proxy(self._visibility)),
        )
        for target, name, listener in self._listeners:
            target.addEventListener(name, listener)

    # --- inputs -------------------------------------------------------------------

    def start(self) -> None:
        self.heap.start()
        self._check_heap()
        self.feed(lambda client: client.start())

    def _check_heap(self) -> None:
        """Freeze if due, and look again in a second (until stopped)."""
        if self._stopped:
            return
        self.heap.maybe_freeze()
        self._heap_timer = asyncio.get_event_loop().call_later(HEAP_CHECK_SECONDS, self._check_heap)

    def feed(self, step):
        """Give the client one input, then perform what it asks; return the input's result."""
        if self._stopped:
            return None
        result = step(self.client)
        self._perform(self.client.actions())
        return result

    def feed_frames(self, texts) -> None:
        """A batch of frames from one animation frame: many inputs, one drain, one render."""
        if self._stopped:
            return
        self.client.socket_messages(texts)
        self._perform(self.client.actions(), in_frame=True)

    def socket_gone(self, socket: BrowserSocket, code: int, reason: str) -> None:
        if socket is self._socket:
            self._socket = None
            self.feed(lambda client: client.socket_closed(code, reason))

    def _visibility(self, event) -> None:
        if not document.hidden:
            self.feed(lambda client: client.page_visible())

    def retry_now(self) -> None:
        self.feed(lambda client: client.retry_now())

    def _timer(self, name: str) -> None:
        self._timers.pop(name, None)
        self.feed(lambda client: client.timer_fired(name))

    async def _fetch(self, request: HttpRequest) -> None:
        try:
            status, text = await http.request(request.method, request.url, request.headers, request.body_text)
        except http.NetworkError as exc:
            self.feed(lambda client: client.http_failed(request.id, str(exc) or "network error"))
            return
        self.feed(lambda client: client.http_answered(request.id, status, text))

    # --- actions --------------------------------------------------------------------

    def _perform(self, actions, in_frame: bool = False) -> None:
        loop = asyncio.get_event_loop()
        for action in actions:
            if isinstance(action, Render):
                self._pending_render.append(action.changes)
                if in_frame:
                    self._publish()
                else:
                    self._schedule_frame()
            elif isinstance(action, SendText):
                if self._socket is not None:
                    self._socket.send(action.text)
            elif isinstance(action, StartTimer):
                old = self._timers.pop(action.name, None)
                if old is not None:
                    old.cancel()
                self._timers[action.name] = loop.call_later(action.ms / 1000, self._timer, action.name)
            elif isinstance(action, CancelTimer):
                old = self._timers.pop(action.name, None)
                if old is not None:
                    old.cancel()
            elif isinstance(action, HttpRequest):
                asyncio.ensure_future(self._fetch(action))
            elif isinstance(action, OpenSocket):
                if self._socket is not None:  # the core never asks for two; be sure anyway
                    self._socket.drop(1000, "replaced")
                self.sockets_opened += 1
                self._socket = BrowserSocket(action.url, self)
            elif isinstance(action, CloseSocket):
                if self._socket is not None:
                    self._socket.drop(action.code, action.reason)
                    self._socket = None
            elif isinstance(action, ShowConnection):
                self._banner.show(str(action.state), action.attempt, action.max_attempts, action.next_retry_ms)
            elif isinstance(action, ShowSync):
                self._on_sync(action)
            elif isinstance(action, Log):
                self._log(action.direction, action.text)
            else:
                handler = self._app_actions.get(type(action))
                if handler is not None:
                    handler(action)

    def _schedule_frame(self) -> None:
        if not self._frame_scheduled:
            self._frame_scheduled = True
            js.dcBridge.nextFrame(self._frame_callback)

    def _on_frame(self, *args) -> None:
        """The animation-frame callback (JS calls it once per ``_schedule_frame``)."""
        self._frame_scheduled = False
        if self._stopped:
            self._owner.destroy()  # stop() kept the proxies alive for this last call
            return
        self._publish()

    def _publish(self) -> None:
        if self._stopped or not self._pending_render:
            return
        changes = Changes.merge(self._pending_render)
        self._pending_render = []
        self.hub.publish(changes)
        if changes.reset:  # a whole new board, drawn: out of the collector's sight
            self.heap.board_loaded()
        else:
            self.heap.maybe_freeze()

    # --- teardown ---------------------------------------------------------------------

    def stop(self) -> None:
        """Logout, 401 or unmount: nothing of this driver stays alive."""
        if self._stopped:
            return
        self.client.stop()
        self._stopped = True
        self.heap.stop()
        if self._heap_timer is not None:
            self._heap_timer.cancel()
            self._heap_timer = None
        if self._socket is not None:
            self._socket.drop(1000, "logout")
            self._socket = None
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        # A destroyed proxy must not stay reachable from JS: unhook the listeners, and
        # if a frame is scheduled, let its callback (_on_frame) free the proxies.
        for target, name, listener in self._listeners:
            target.removeEventListener(name, listener)
        if not self._frame_scheduled:
            self._owner.destroy()
