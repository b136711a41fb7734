"""The connection policy: when to open, authenticate, ping, give up on and reopen the one socket.

    >>> conn = Connection(clock=lambda: 0.0, delays_factory=lambda: [10, 20])
    >>> conn.start(); [type(a).__name__ for a in conn.actions()]
    ['OpenSocket', 'StartTimer', 'StateChanged']
    >>> conn.socket_opened(); conn.actions()
    [SendAuth()]

Sans-I/O, in the manner of python-websockets' protocol layer: the owner
(``app.client.Client``) calls one method per thing that happened and then
drains ``actions()``, a list of things to do (``OpenSocket``, ``SendAuth``,
``StartTimer`` ...). Nothing here touches a socket, a timer or the clock's
source; the clock and the delays are injected, so tests run in microseconds
and the browser can shorten every duration for end-to-end tests.

Rules (PROTOCOL.md 3 and "Reconnect policy"):

1. At most one socket, ever: ``OpenSocket`` is only emitted from a phase that
   has none (IDLE, WAITING, OFFLINE). ``CloseSocket`` means "close it and
   detach its handlers": the machine forgets that socket at once, and a late
   ``socket_closed`` from it is ignored by every phase that has no socket.
2. The first frame on an open socket is auth (``SendAuth``).
3. ``welcome`` makes the connection OPEN and resets the attempt count.
   Opening alone does not: a server that accepts and at once closes must
   still end OFFLINE, not loop forever.
4. While OPEN, ping every ``ping_interval_ms`` (15 s).
5. Dead socket: nothing received for ``dead_after_ms`` (35 s) since the socket
   was requested, opened or last heard from: close it (4000) and reconnect.
   The same timer bounds a connect or a handshake that hangs: before the
   welcome only the welcome counts, so a server that lost it (and sends
   other frames) cannot keep a handshake going for ever. Frames only note
   the time (no timer churn per frame); the timer re-arms itself for the
   remainder when it fires early.
6. Close 4401, or ``unauthorized()`` (a REST 401): UNAUTHORIZED, no further
   attempt. Any other close (1000, 1006, 1008, 4400, ...), a dead socket or
   ``reconnect()`` (the owner's verdict on an open socket, e.g. a resync that
   never caught up; we close it with 4001): wait the next backoff delay, then
   try again.
7. Never give up: once the schedule is exhausted, OFFLINE, with a slow try
   every ``slow_delay()`` (60 s +-20 %) for as long as the machine runs; its
   ``StateChanged`` carries the wait as ``next_retry_ms``. A slow try that
   fails waits another slow delay (no new burst); only a ``welcome`` resets
   the attempt count (rule 3).
8. From OFFLINE, ``retry_now()``, ``browser_online()`` and ``page_visible()``
   start a fresh schedule with an immediate attempt. While WAITING,
   ``retry_now()`` and ``browser_online()`` do the same (the user or the
   network says "now"); ``page_visible()`` does not (the timer is due anyway).
9. ``stop()`` (logout) closes everything; STOPPED is final. UNAUTHORIZED
   waits for ``signed_in()`` (a new token): a fresh schedule, at once.
10. Any (phase, input) pair not in ``TRANSITIONS`` is ignored.

Public states (``State``, what ``[data-state]`` shows): CONNECTING is a first
attempt (attempt 0), RECONNECTING is waiting for, or making, attempt n >= 1
(a slow try shows as RECONNECTING, attempt n of n, trying now). SYNCING is
never this machine's: the client shows it instead of OPEN while its store
is not in sync (``app.client``).

Transitions (``TRANSITIONS`` is this table as data; a test checks every row):

============  ==============  ======================================  =================================
phase         input           next phase                              actions
============  ==============  ======================================  =================================
IDLE          start           OPENING                                 OpenSocket, StartTimer(dead)
OPENING       socket_opened   HANDSHAKE                               SendAuth
OPENING       socket_closed   WAITING | OFFLINE | UNAUTHORIZED(4401)  CancelTimer(dead), StartTimer(retry)
OPENING       timer dead      OPENING (re-arm) | WAITING | OFFLINE    CloseSocket(4000), StartTimer(retry)
HANDSHAKE     welcome         OPEN                                    StartTimer(ping); attempt := 0
HANDSHAKE     frame           HANDSHAKE                               (nothing: only the welcome counts)
HANDSHAKE     socket_closed   WAITING | OFFLINE | UNAUTHORIZED(4401)  as OPENING
HANDSHAKE     timer dead      HANDSHAKE | WAITING | OFFLINE           as OPENING
OPEN          frame           OPEN                                    (note the time)
OPEN          timer ping      OPEN                                    SendPing, StartTimer(ping)
OPEN          socket_closed   WAITING | OFFLINE | UNAUTHORIZED(4401)  CancelTimer(ping, dead), ...
OPEN          timer dead      OPEN | WAITING | OFFLINE                CloseSocket(4000), ...
OPEN          reconnect       WAITING | OFFLINE                       CloseSocket(4001), CancelTimer(ping, dead), ...
WAITING       timer retry     OPENING                                 OpenSocket, StartTimer(dead)
WAITING       retry_now       OPENING (fresh schedule)                CancelTimer(retry), OpenSocket
WAITING       online          OPENING (fresh schedule)                CancelTimer(retry), OpenSocket
OFFLINE       timer retry     OPENING (a slow try: attempt kept)      OpenSocket, StartTimer(dead)
OFFLINE       retry_now       OPENING (fresh schedule)                CancelTimer(retry), OpenSocket
OFFLINE       online          OPENING (fresh schedule)                CancelTimer(retry), OpenSocket
OFFLINE       visible         OPENING (fresh schedule)                CancelTimer(retry), OpenSocket
UNAUTHORIZED  signed_in       OPENING (fresh schedule)                OpenSocket, StartTimer(dead)
any but U,S   unauthorized    UNAUTHORIZED                            CloseSocket(1000) if a socket
any but S     stop            STOPPED                                 CloseSocket(1000) if a socket
============  ==============  ======================================  =================================

"... | OFFLINE" above means: the schedule is exhausted, so OFFLINE with
StartTimer(retry, slow delay) instead of WAITING with the next quick delay.

Every transition that changes what the UI shows emits ``StateChanged``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Callable, Optional, Union

from app import backoff

#: Timer names (``StartTimer.name``); the owner calls ``timer_fired(name)``.
PING = "ping"
DEAD = "dead"
RETRY = "retry"
TIMERS = (PING, DEAD, RETRY)

#: Close codes.
CLOSE_UNAUTHORIZED = 4401  # from the server: bad or expired token
CLOSE_NORMAL = 1000  # ours: stop() and unauthorized()
CLOSE_DEAD = 4000  # ours: nothing heard for dead_after_ms
CLOSE_RESYNC = 4001  # ours: reconnect() (the snapshot never caught up with the stream)

PING_INTERVAL_MS = 15_000
DEAD_AFTER_MS = 35_000


class State(StrEnum):
    """What the connection indicator shows (PROTOCOL.md 6 ``data-state``), plus idle and stopped."""

    IDLE = "idle"
    CONNECTING = "connecting"
    #: The socket is open but the data is not in sync yet (composed by the client, never by ``Connection``).
    SYNCING = "syncing"
    OPEN = "open"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"
    UNAUTHORIZED = "unauthorized"
    STOPPED = "stopped"


class Phase(StrEnum):
    """The machine's own states: ``State`` splits CONNECTING/RECONNECTING into these."""

    IDLE = "idle"
    OPENING = "opening"  # OpenSocket sent, waiting for socket_opened
    HANDSHAKE = "handshake"  # auth sent, waiting for welcome
    OPEN = "open"
    WAITING = "waiting"  # no socket, retry timer running
    OFFLINE = "offline"  # no socket, schedule exhausted: the slow retry timer runs
    UNAUTHORIZED = "unauthorized"
    STOPPED = "stopped"


class Input(StrEnum):
    START = "start"
    SOCKET_OPENED = "socket_opened"
    WELCOME = "welcome"
    FRAME = "frame"
    SOCKET_CLOSED = "socket_closed"
    PING_TIMER = "timer ping"
    DEAD_TIMER = "timer dead"
    RETRY_TIMER = "timer retry"
    RETRY_NOW = "retry_now"
    ONLINE = "online"
    VISIBLE = "visible"
    RECONNECT = "reconnect"
    SIGNED_IN = "signed_in"
    UNAUTHORIZED = "unauthorized"
    STOP = "stop"


# --- actions ------------------------------------------------------------------


@dataclass(frozen=True)
class OpenSocket:
    """Open the socket (the owner knows the URL)."""


@dataclass(frozen=True)
class CloseSocket:
    """Close the socket and detach its handlers: no event from it is wanted any more."""

    code: int
    reason: str


@dataclass(frozen=True)
class SendAuth:
    """Send the auth frame now (the owner fills in the token and resumeFrom)."""


@dataclass(frozen=True)
class SendPing:
    """Send a heartbeat now (the owner stamps it with its clock)."""


@dataclass(frozen=True)
class StartTimer:
    """Call ``timer_fired(name)`` in ``ms`` milliseconds, replacing any timer of that name."""

    name: str
    ms: int


@dataclass(frozen=True)
class CancelTimer:
    name: str


@dataclass(frozen=True)
class StateChanged:
    """What to show: e.g. RECONNECTING, attempt 2 of 5, next try in 1900 ms (None: trying now)."""

    state: State
    attempt: int
    of: int
    next_retry_ms: Optional[int]


Action = Union[OpenSocket, CloseSocket, SendAuth, SendPing, StartTimer, CancelTimer, StateChanged]


# --- the table ------------------------------------------------------------------

_P, _I = Phase, Input
_LOSS = frozenset({_P.WAITING, _P.OFFLINE, _P.UNAUTHORIZED})
_SOCKET_PHASES = frozenset({_P.OPENING, _P.HANDSHAKE, _P.OPEN})

#: (phase, input) -> (handler method name, the phases it may lead to).
TRANSITIONS: dict[tuple[Phase, Input], tuple[str, frozenset[Phase]]] = {
    (_P.IDLE, _I.START): ("_open", frozenset({_P.OPENING})),
    (_P.OPENING, _I.SOCKET_OPENED): ("_authenticate", frozenset({_P.HANDSHAKE})),
    (_P.OPENING, _I.SOCKET_CLOSED): ("_lost", _LOSS),
    (_P.OPENING, _I.DEAD_TIMER): ("_check_dead", _LOSS | {_P.OPENING}),
    (_P.HANDSHAKE, _I.WELCOME): ("_welcomed", frozenset({_P.OPEN})),
    (_P.HANDSHAKE, _I.SOCKET_CLOSED): ("_lost", _LOSS),
    (_P.HANDSHAKE, _I.DEAD_TIMER): ("_check_dead", _LOSS | {_P.HANDSHAKE}),
    (_P.OPEN, _I.FRAME): ("_heard", frozenset({_P.OPEN})),
    (_P.OPEN, _I.PING_TIMER): ("_ping", frozenset({_P.OPEN})),
    (_P.OPEN, _I.SOCKET_CLOSED): ("_lost", _LOSS),
    (_P.OPEN, _I.DEAD_TIMER): ("_check_dead", _LOSS | {_P.OPEN}),
    (_P.OPEN, _I.RECONNECT): ("_drop", frozenset({_P.WAITING, _P.OFFLINE})),
    (_P.WAITING, _I.RETRY_TIMER): ("_open", frozenset({_P.OPENING})),
    (_P.WAITING, _I.RETRY_NOW): ("_open_fresh", frozenset({_P.OPENING})),
    (_P.WAITING, _I.ONLINE): ("_open_fresh", frozenset({_P.OPENING})),
    (_P.OFFLINE, _I.RETRY_TIMER): ("_open", frozenset({_P.OPENING})),
    (_P.OFFLINE, _I.RETRY_NOW): ("_open_fresh", frozenset({_P.OPENING})),
    (_P.OFFLINE, _I.ONLINE): ("_open_fresh", frozenset({_P.OPENING})),
    (_P.OFFLINE, _I.VISIBLE): ("_open_fresh", frozenset({_P.OPENING})),
    (_P.UNAUTHORIZED, _I.SIGNED_IN): ("_open_fresh", frozenset({_P.OPENING})),
}
for _phase in Phase:
    if _phase not in (_P.UNAUTHORIZED, _P.STOPPED):
        TRANSITIONS[(_phase, _I.UNAUTHORIZED)] = ("_unauthorized", frozenset({_P.UNAUTHORIZED}))
    if _phase is not _P.STOPPED:
        TRANSITIONS[(_phase, _I.STOP)] = ("_stop", frozenset({_P.STOPPED}))
del _phase


class Connection:
    """The connection state machine; see the table above. Call inputs, then drain ``actions()``."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = lambda: time.monotonic() * 1000,
        delays_factory: backoff.DelaysFactory = backoff.delays,
        slow_delay: Callable[[], int] = backoff.slow_delay,
        ping_interval_ms: int = PING_INTERVAL_MS,
        dead_after_ms: int = DEAD_AFTER_MS,
    ) -> None:
        self._clock = clock
        self._delays_factory = delays_factory
        self._slow_delay = slow_delay
        self.ping_interval_ms = ping_interval_ms
        self.dead_after_ms = dead_after_ms
        self.phase = Phase.IDLE
        #: The attempt being waited for or made (0: a first attempt, not a retry).
        self.attempt = 0
        self._delays: list[int] = self._fresh_delays()
        self._next_retry_ms: Optional[int] = None
        self._last_heard = 0.0
        self._timers: set[str] = set()
        self._actions: list[Action] = []
        self._shown: Optional[tuple] = None
        #: The code of the last close, ours or the server's (for diagnostics).
        self.last_close_code: Optional[int] = None

    # --- inputs ------------------------------------------------------------

    def start(self) -> None:
        self._input(Input.START)

    def socket_opened(self) -> None:
        self._input(Input.SOCKET_OPENED)

    def welcome_received(self, resumed: bool) -> None:
        """A ``welcome`` arrived (also call ``frame_received`` for it; order does not matter)."""
        self._input(Input.WELCOME)

    def frame_received(self) -> None:
        """Any frame at all, valid or not: the socket is alive."""
        self._input(Input.FRAME)

    def socket_closed(self, code: int) -> None:
        self.last_close_code = code
        self._input(Input.SOCKET_CLOSED, code)

    def timer_fired(self, name: str) -> None:
        """One of PING, DEAD, RETRY fired; other names are not ours and are ignored."""
        if name not in TIMERS:
            return
        self._timers.discard(name)
        self._input({PING: Input.PING_TIMER, DEAD: Input.DEAD_TIMER, RETRY: Input.RETRY_TIMER}[name])

    def retry_now(self) -> None:
        self._input(Input.RETRY_NOW)

    def browser_online(self) -> None:
        self._input(Input.ONLINE)

    def page_visible(self) -> None:
        self._input(Input.VISIBLE)

    def reconnect(self, reason: str) -> None:
        """Close the open socket (4001, ``reason``) and connect again with backoff: the owner gave up on it."""
        self._input(Input.RECONNECT, reason)

    def unauthorized(self) -> None:
        """The token was refused elsewhere (a REST 401): stop for good, as after close 4401."""
        self._input(Input.UNAUTHORIZED)

    def signed_in(self) -> None:
        """After UNAUTHORIZED: a new token is there (the owner sends it with the next ``SendAuth``)."""
        self._input(Input.SIGNED_IN)

    def stop(self) -> None:
        self._input(Input.STOP)

    # --- outputs -----------------------------------------------------------

    def actions(self) -> list[Action]:
        """Everything to do since the last call, in order."""
        out, self._actions = self._actions, []
        return out

    @property
    def state(self) -> State:
        phase = self.phase
        if phase in (Phase.OPENING, Phase.HANDSHAKE, Phase.WAITING):
            return State.RECONNECTING if self.attempt else State.CONNECTING
        return State(phase.value)

    @property
    def has_socket(self) -> bool:
        return self.phase in _SOCKET_PHASES

    @property
    def max_attempts(self) -> int:
        return len(self._delays)

    # --- the machine -------------------------------------------------------

    def _input(self, event: Input, arg: object = None) -> None:
        row = TRANSITIONS.get((self.phase, event))
        if row is None:
            return  # rule 9
        handler, allowed = row
        if event in (Input.SOCKET_CLOSED, Input.RECONNECT):
            getattr(self, handler)(arg)
        else:
            getattr(self, handler)()
        assert self.phase in allowed, (event, self.phase)
        self._show()

    def _open(self) -> None:
        self._emit(OpenSocket())
        self._last_heard = self._clock()
        self._start_timer(DEAD, self.dead_after_ms)
        self._next_retry_ms = None
        self.phase = Phase.OPENING

    def _open_fresh(self) -> None:
        self._cancel_timer(RETRY)
        self._delays = self._fresh_delays()
        self.attempt = 0
        self._open()

    def _authenticate(self) -> None:
        self._emit(SendAuth())
        self._last_heard = self._clock()
        self.phase = Phase.HANDSHAKE

    def _heard(self) -> None:
        self._last_heard = self._clock()

    def _welcomed(self) -> None:
        self._last_heard = self._clock()
        self.attempt = 0
        self._delays = self._fresh_delays()
        self._start_timer(PING, self.ping_interval_ms)
        self.phase = Phase.OPEN

    def _ping(self) -> None:
        self._emit(SendPing())
        self._start_timer(PING, self.ping_interval_ms)

    def _check_dead(self) -> None:
        quiet = self._clock() - self._last_heard
        if quiet < self.dead_after_ms:
            self._start_timer(DEAD, max(1, int(self.dead_after_ms - quiet)))
            return
        self._emit(CloseSocket(CLOSE_DEAD, f"nothing received for {self.dead_after_ms} ms"))
        self.last_close_code = CLOSE_DEAD
        self._lost(None)

    def _drop(self, reason: str) -> None:
        self._emit(CloseSocket(CLOSE_RESYNC, reason))
        self.last_close_code = CLOSE_RESYNC
        self._lost(None)

    def _lost(self, code: Optional[int]) -> None:
        self._cancel_timer(PING)
        self._cancel_timer(DEAD)
        if code == CLOSE_UNAUTHORIZED:
            self.phase = Phase.UNAUTHORIZED
            self._next_retry_ms = None
            return
        if self.attempt >= len(self._delays):  # rule 7: slow tries, for ever
            delay = int(self._slow_delay())
            self._next_retry_ms = delay
            self._start_timer(RETRY, delay)
            self.phase = Phase.OFFLINE
            return
        delay = self._delays[self.attempt]
        self.attempt += 1
        self._next_retry_ms = delay
        self._start_timer(RETRY, delay)
        self.phase = Phase.WAITING

    def _unauthorized(self) -> None:
        self._shut("unauthorized")
        self.phase = Phase.UNAUTHORIZED

    def _stop(self) -> None:
        self._shut("stopped")
        self.phase = Phase.STOPPED

    def _shut(self, reason: str) -> None:
        if self.has_socket:
            self._emit(CloseSocket(CLOSE_NORMAL, reason))
        for name in TIMERS:
            self._cancel_timer(name)
        self._next_retry_ms = None

    # --- helpers -------------------------------------------------------------

    def _fresh_delays(self) -> list[int]:
        return [int(d) for d in self._delays_factory()]

    def _emit(self, action: Action) -> None:
        self._actions.append(action)

    def _start_timer(self, name: str, ms: int) -> None:
        self._timers.add(name)
        self._emit(StartTimer(name, ms))

    def _cancel_timer(self, name: str) -> None:
        if name in self._timers:
            self._timers.discard(name)
            self._emit(CancelTimer(name))

    def _show(self) -> None:
        shown = (self.state, self.attempt, self.max_attempts, self._next_retry_ms)
        if shown != self._shown:
            self._shown = shown
            self._emit(StateChanged(*shown))
