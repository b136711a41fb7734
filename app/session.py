"""The sign-in a client works under, and when to renew it (PROTOCOL.md 2, "Sessions").

    >>> renewal = Renewal(Session("tok"), wall_clock=lambda: 0.0, rng=lambda: 0.5)
    >>> renewal.start(); renewal.actions()   # a ``#token=`` session: learn user and expiry at once
    [RefreshNow()]
    >>> answer = '{"token": "t2", "expiresAt": "1970-01-01T01:00:00Z", "user": {"id": "u1", "name": "Ada"}}'
    >>> renewal.answered(200, answer)
    >>> renewal.actions()[0]
    Renewed(session=Session(token='t2', user_id='u1', user_name='Ada', expires_at='1970-01-01T01:00:00Z'))

A token dies at its ``expiresAt``; the app renews it before then with
``POST {api}/session/refresh``, so a wall dashboard never falls back to the
login form. ``Renewal`` is sans-I/O like ``app.connection``: the owner calls
``start``, ``timer_fired(REFRESH_TIMER)``, ``answered(status, body)`` or
``failed(error)``, ``replace(session)`` (a sign-in) and ``stop()``, then drains
``actions()``: ``StartTimer``/``CancelTimer`` (the refresh timer),
``RefreshNow`` (make the request), ``Renewed(session)`` and ``Ended(reason)``.

Rules:

1. The refresh is due at three quarters of the time left when the session
   was received, moved earlier by up to ``JITTER`` (10 %) of it, so that many
   tabs signed in together do not refresh together. The timer is re-checked
   against the wall clock when it fires (a sleeping laptop fires it late; a
   long wait is split into steps of at most ``MAX_TIMER_MS``).
2. A session that names no user or no expiry (a ``#token=`` handed in the
   URL) is refreshed at once: that is how the app learns both.
3. No answer, a 5xx, a 429 or an answer that is not a session: retried with
   the backoff delays (the last one repeated) while the token is still valid;
   after its expiry the socket's 4401 or a REST 401 ends the session.
4. 401: the session is over (``Ended``). 404 or 405: a version-1 backend with
   no refresh; no more attempts, the session lives until a 401.
5. After a refresh the next one waits at least ``MIN_INTERVAL_MS``, however
   short the new token looks (a clock ahead of the server's).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import partial
from typing import Callable, Optional, Union

from pydantic import ValidationError

from app import backoff
from app.connection import CancelTimer, StartTimer
from app.models import LoginResult

REFRESH_TIMER = "refresh"
REFRESH_PATH = "/session/refresh"
#: The refresh is due at this fraction of the time the session had left when it was received.
DUE_AT = 0.75
#: ... moved earlier by up to this fraction of it.
JITTER = 0.1
#: A longer wait is made of steps of at most this (a browser timer overflows past 2**31 ms).
MAX_TIMER_MS = 6 * 3600 * 1000
#: After a refresh, the next one waits at least this long (a clock ahead of the server's would see
#: every new token as expired already and refresh in a tight loop).
MIN_INTERVAL_MS = 5000
#: Statuses that mean "this backend has no refresh" (version 1).
NO_REFRESH = frozenset({404, 405})
#: Statuses worth another try (besides no answer at all).
TRY_AGAIN = frozenset({408, 429})


@dataclass(frozen=True)
class Session:
    """Who the client works for. ``expires_at`` is the server's ISO text; None: unknown (a ``#token=``)."""

    token: str
    user_id: Optional[str] = None
    user_name: Optional[str] = None
    expires_at: Optional[str] = None

    @classmethod
    def from_login(cls, result: LoginResult) -> "Session":
        """From the answer to ``POST /login`` or ``POST /session/refresh``."""
        return cls(result.token, result.user.id, result.user.name, result.expiresAt)

    def __repr__(self) -> str:  # the token stays out of logs and tracebacks
        shown = self.token if len(self.token) <= 3 else "…" + self.token[-3:]
        return (f"Session(token={shown!r}, user_id={self.user_id!r}, user_name={self.user_name!r}, "
                f"expires_at={self.expires_at!r})")


# --- what the client emits to the shell (re-exported by app.client) ----------------------


@dataclass(frozen=True)
class SessionEnded:
    """A 401 or close 4401: show the sign-in form over the kept board, then call ``client.sign_in``.

    The client keeps its store, commands and outbox; it only stops connecting and sending.
    """

    reason: str


@dataclass(frozen=True)
class SessionRenewed:
    """The session was refreshed (new token, expiry, perhaps a user learnt): save it in sessionStorage."""

    session: Session


@dataclass(frozen=True)
class Notice:
    """A plain-text notice for the user (textContent, never markup)."""

    text: str


# --- the renewal machine ----------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshNow:
    """Make the request ``POST {api}/session/refresh`` with the current token."""


@dataclass(frozen=True)
class Renewed:
    session: Session


@dataclass(frozen=True)
class Ended:
    reason: str


Output = Union[StartTimer, CancelTimer, RefreshNow, Renewed, Ended]


class Phase(StrEnum):
    IDLE = "idle"  # not started
    WAITING = "waiting"  # the refresh timer runs (the refresh is due, or a retry)
    ASKING = "asking"  # the request is under way
    EXPIRED = "expired"  # every try failed until the token expired: nothing more to do
    UNSUPPORTED = "unsupported"  # a version-1 backend (404): never again
    STOPPED = "stopped"  # the session ended, or the client stopped


def expires_ms(text: Optional[str]) -> Optional[float]:
    """``expiresAt`` as ms since 1970, or None when absent or not a timestamp."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None  # a time with no zone names no instant
    return moment.timestamp() * 1000


class Renewal:
    """Keeps one session alive; see the rules above."""

    def __init__(
        self,
        session: Session,
        *,
        wall_clock: Callable[[], float],
        rng: Callable[[], float] = random.random,
        delays_factory: Optional[backoff.DelaysFactory] = None,
    ) -> None:
        self.session = session
        self._wall_clock = wall_clock
        self._rng = rng
        self._delays_factory = delays_factory or partial(backoff.delays, attempts=6, rng=rng)
        self.phase = Phase.IDLE
        self._due: Optional[float] = None  # wall ms at which the refresh is due
        self._failures = 0
        self._delays: list[int] = []
        self._timer = False
        self._out: list[Output] = []
        #: Answers to a refresh that were not a session (for diagnostics).
        self.invalid = 0

    # --- inputs ---------------------------------------------------------------

    def start(self) -> None:
        if self.phase is Phase.IDLE:
            self._schedule()

    def replace(self, session: Session) -> None:
        """A sign-in: work for this session from now on (a version-1 backend stays one)."""
        self.session = session
        if self.phase is not Phase.UNSUPPORTED:
            self._cancel()
            self.phase = Phase.IDLE
            self._schedule()

    def stop(self) -> None:
        """The session ended (or the client stopped): no more timers or requests."""
        if self.phase is not Phase.UNSUPPORTED:
            self._cancel()
            self.phase = Phase.STOPPED

    def timer_fired(self) -> None:
        self._timer = False
        if self.phase is not Phase.WAITING:
            return
        left = (self._due or 0) - self._wall_clock()
        if left > 1000:  # fired early (a step of a long wait): wait for the rest
            self._arm(left)
            return
        self.phase = Phase.ASKING
        self._out.append(RefreshNow())

    def answered(self, status: int, body_text: str) -> None:
        if self.phase is not Phase.ASKING:
            return
        if status == 401:
            self.phase = Phase.STOPPED
            self._out.append(Ended("the session could not be renewed (HTTP 401)"))
        elif status in NO_REFRESH:
            self.phase = Phase.UNSUPPORTED  # rule 4: a version-1 backend
        elif 200 <= status < 300:
            session = self._parse(body_text)
            if session is None:
                self.invalid += 1
                self._try_again()
            else:
                self.session = session
                self._failures = 0
                self._out.append(Renewed(session))
                self._schedule(at_least=MIN_INTERVAL_MS)
        elif status >= 500 or status in TRY_AGAIN:
            self._try_again()
        else:  # a 4xx that says the request itself is wrong: trying again will not help
            self.phase = Phase.UNSUPPORTED

    def failed(self, error: str) -> None:
        """No answer (network error or timeout)."""
        if self.phase is Phase.ASKING:
            self._try_again()

    # --- outputs ----------------------------------------------------------------

    def actions(self) -> list[Output]:
        out, self._out = self._out, []
        return out

    @property
    def due_ms(self) -> Optional[float]:
        """When (wall ms) the next refresh will be asked for, while one is scheduled."""
        return self._due if self.phase is Phase.WAITING else None

    # --- the machine --------------------------------------------------------------

    def _schedule(self, at_least: float = 0.0) -> None:
        now = self._wall_clock()
        expires = expires_ms(self.session.expires_at)
        if expires is None or self.session.user_id is None:
            delay = 0.0  # rule 2
        else:
            left = max(0.0, expires - now)
            delay = left * DUE_AT * (1 - JITTER * self._rng())
        delay = max(delay, at_least)  # rule 5
        self._due = now + delay
        self._delays = []
        self._failures = 0
        self.phase = Phase.WAITING
        if delay <= 0:
            self.timer_fired()
        else:
            self._arm(delay)

    def _try_again(self) -> None:
        now = self._wall_clock()
        expires = expires_ms(self.session.expires_at)
        if expires is not None and now >= expires:
            self.phase = Phase.EXPIRED  # rule 3: the token is dead; a 401 or 4401 will say so
            return
        if not self._delays:
            self._delays = [int(d) for d in self._delays_factory()] or [backoff.BASE_MS]
        delay = self._delays[min(self._failures, len(self._delays) - 1)]
        self._failures += 1
        if expires is not None:
            delay = min(delay, max(1, int(expires - now)))
        self._due = now + delay
        self.phase = Phase.WAITING
        self._arm(delay)

    def _arm(self, ms: float) -> None:
        self._timer = True
        self._out.append(StartTimer(REFRESH_TIMER, max(1, min(int(ms), MAX_TIMER_MS))))

    def _cancel(self) -> None:
        if self._timer:
            self._timer = False
            self._out.append(CancelTimer(REFRESH_TIMER))

    def _parse(self, body_text: str) -> Optional[Session]:
        try:
            result = LoginResult.model_validate_json(body_text or "")
        except (ValidationError, ValueError):
            return None
        if expires_ms(result.expiresAt) is None:
            return None
        return Session.from_login(result)


def reauth_frame(token: str) -> str:
    """The frame that re-authenticates an open socket after a refresh (PROTOCOL.md 3.3)."""
    return json.dumps({"type": "auth", "token": token}, separators=(",", ":"))
