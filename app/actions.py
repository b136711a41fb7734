"""What the client asks the shell to do: the actions drained from ``Client.actions()``.

The client is sans-I/O: it never opens a socket, starts a timer or makes a
request itself; it says so with one of these frozen dataclasses, and the
shell (``app/web/driver.py``) performs them in order. ``CloseSocket``,
``StartTimer`` and ``CancelTimer`` are the connection machine's own
(``app.connection``); the session and outbox actions are their modules'
(``app.session``, ``app.outbox``). ``app.client`` re-exports them all.

The actions: ``OpenSocket(url)``, ``CloseSocket(code,
reason)`` (close *and detach its handlers*: no event from that socket is
wanted after it), ``SendText(text)``, ``StartTimer(name, ms)`` (replaces a
running timer of that name), ``CancelTimer(name)``, ``HttpRequest(id, method,
url, headers, body_text)`` (answer with ``http_answered`` or
``http_failed``), ``Render(changes)``, ``ShowConnection(state, attempt,
max_attempts, next_retry_ms)``, ``ShowSync(ready, loading, error)``,
``SessionEnded(reason)`` (show the sign-in form over the kept board, then
call ``sign_in``), ``SessionRenewed(session)`` (save it), ``SaveOutbox(user_id,
entries)`` (store them), ``ShowOutbox(count, failed)`` (re-read ``outbox()``),
``Notice(text)`` and ``Log(direction, text)``. Timer names: ``ping``,
``dead``, ``retry``, ``snapshot``, ``refresh`` and ``http:<request id>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from app.connection import CancelTimer, CloseSocket, StartTimer, State
from app.outbox import SaveOutbox, ShowOutbox
from app.session import Notice, SessionEnded, SessionRenewed
from app.store import Changes


@dataclass(frozen=True)
class OpenSocket:
    """Open the WebSocket at ``url`` (there is never another one open or opening)."""

    url: str


@dataclass(frozen=True)
class SendText:
    text: str


@dataclass(frozen=True)
class HttpRequest:
    """Make this request; answer with ``http_answered(id, status, body_text)`` or ``http_failed(id, error)``."""

    id: str
    method: str
    url: str
    headers: dict
    body_text: Optional[str]


@dataclass(frozen=True)
class Render:
    """Redraw what ``changes`` names (everything if ``changes.reset``), reading the client's views."""

    changes: Changes


@dataclass(frozen=True)
class ShowConnection:
    """The connection indicator: ``state`` as ``data-state``, "attempt n of max", next try in ms."""

    state: State
    attempt: int
    max_attempts: int
    next_retry_ms: Optional[int]


@dataclass(frozen=True)
class ShowSync:
    """``ready``: a snapshot was applied (``data-app-state=ready``); ``loading``: a (re)sync is under way."""

    ready: bool
    loading: bool
    error: Optional[str]


@dataclass(frozen=True)
class Log:
    """A line for the console: ``<`` received, ``>`` sent, ``=`` state change."""

    direction: str
    text: str


Action = Union[
    OpenSocket, CloseSocket, SendText, StartTimer, CancelTimer, HttpRequest,
    Render, ShowConnection, ShowSync, SessionEnded, SessionRenewed, SaveOutbox, ShowOutbox, Notice, Log,
]


def describe(change: ShowConnection) -> str:
    """One log line for a connection change."""
    text = f"connection {change.state.value}"
    if change.attempt:
        text += f" (attempt {change.attempt} of {change.max_attempts}"
        if change.next_retry_ms is not None:
            text += f", next try in {change.next_retry_ms / 1000:.1f} s"
        text += ")"
    return text
