"""The open sockets: each one's bounded outgoing queue, fan-out, and how each one ends.

    hub = Hub(limit=10_000, silenced=lambda: False)
    journal.subscribe(hub.publish)     # every recorded event reaches live peers

Fan-out never waits: ``publish`` only puts text on each peer's queue, and a
peer whose queue is already at ``limit`` is ended with 1008 (too slow) rather
than holding the world back. A peer's pump task is the only writer to its
socket, so frames leave in the order they were queued. Ending a peer only
records the code and wakes its handler (ws.py), which does the closing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Callable

#: ``Peer.end(ABORT)`` drops the connection with no close frame, as a dead network would.
ABORT = None


@dataclass
class Stats:
    """Counters for GET /_control/stats (kept whether or not the routes are mounted)."""

    open: int = 0
    max_open: int = 0
    total: int = 0
    auth_failures: int = 0

    def opened(self) -> None:
        self.open += 1
        self.total += 1
        self.max_open = max(self.max_open, self.open)

    def closed(self) -> None:
        self.open -= 1

    def reset(self) -> None:
        self.max_open, self.total, self.auth_failures = self.open, 0, 0

    def as_dict(self, seq: int) -> dict:
        return {"seq": seq, "openSockets": self.open, "maxOpenSockets": self.max_open,
                "totalConnections": self.total, "authFailures": self.auth_failures}


@dataclass(eq=False)
class Peer:
    """One accepted socket. ``live`` turns true once it has authenticated and been
    given its welcome and replay; only live peers get published events."""

    send_text: Callable  # async (str) -> None
    limit: int
    silenced: Callable[[], bool]
    live: bool = False
    #: Whose token the socket authenticated with (None before its auth): revoking a user ends it.
    user_id: str | None = None
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)
    ending: asyncio.Event = field(default_factory=asyncio.Event)
    end_code: int | None = ABORT
    end_reason: str = ""

    def push(self, text: str, force: bool = False) -> None:
        """Queue a frame; past ``limit`` (unless ``force``: welcome and replay) end with 1008."""
        if self.ending.is_set():
            return
        if not force and self.queue.qsize() >= self.limit:
            self.end(1008, "too slow: outgoing queue full")
            return
        self.queue.put_nowait(text)

    def end(self, code: int | None, reason: str = "") -> None:
        """Ask the handler to close with ``code`` (``ABORT``: no close frame). First ask wins."""
        if not self.ending.is_set():
            self.end_code, self.end_reason = code, reason
            self.ending.set()

    async def pump(self) -> None:
        """Send queued frames in order; while silenced they are dropped, not held."""
        while True:
            text = await self.queue.get()
            if not self.silenced():
                await self.send_text(text)


class Hub:
    def __init__(self, limit: int, silenced: Callable[[], bool]) -> None:
        self.limit = limit
        self.silenced = silenced
        self.peers: set[Peer] = set()

    def new_peer(self, send_text: Callable) -> Peer:
        peer = Peer(send_text, self.limit, self.silenced)
        self.peers.add(peer)
        return peer

    def remove(self, peer: Peer) -> None:
        self.peers.discard(peer)

    def publish(self, seq: int, text: str) -> None:
        for peer in list(self.peers):
            if peer.live:
                peer.push(text)

    def send_raw(self, text: str) -> int:
        """Queue ``text`` verbatim on every open socket, authenticated or not."""
        for peer in self.peers:
            peer.push(text, force=True)
        return len(self.peers)

    def end_all(self, code: int | None, reason: str = "") -> int:
        for peer in list(self.peers):
            peer.end(code, reason)
        return len(self.peers)

    def end_user(self, user_id: str, code: int | None, reason: str = "") -> int:
        """End the sockets authenticated as ``user_id``; returns how many."""
        mine = [peer for peer in self.peers if peer.user_id == user_id]
        for peer in mine:
            peer.end(code, reason)
        return len(mine)
