"""Demo accounts and bearer tokens: who is calling, and until when.

    >>> tokens = Tokens(ttl=60)
    >>> result = tokens.login("demo", "demo")
    >>> tokens.user(result.token).id
    'U-demo'
    >>> tokens.revoke_all(); tokens.user(result.token) is None
    True

Tokens are random, held in memory and forgotten on restart (a restarted stub
answers 401 and the app shows its login, as PROTOCOL.md 2 says). The clock is
injectable so tests can expire a token without sleeping. The table is
bounded (``max_tokens``, oldest forgotten first) and ``prune`` sweeps out
expired tokens on a timer (app.py).
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from app.models import LoginResult, User

from .clock import iso

#: username -> (password, user). Printed at start-up; this is a stub.
ACCOUNTS = {
    "demo": ("demo", User(id="U-demo", name="Demo Coordinator")),
    "coordinator": ("coordinator", User(id="U-coordinator", name="Casey Coordinator")),
}


@dataclass(frozen=True)
class Grant:
    user: User
    expires: float  # clock seconds


class Tokens:
    def __init__(self, ttl: float, clock: Callable[[], float] = time.time, max_tokens: int = 10_000) -> None:
        self.ttl = ttl
        self.clock = clock
        self.max_tokens = max_tokens
        self._grants: dict[str, Grant] = {}

    def login(self, username: str, password: str) -> LoginResult | None:
        """A fresh token for a known account and its password, else None."""
        account = ACCOUNTS.get(username)
        if account is None or not hmac.compare_digest(account[0].encode(), password.encode()):
            return None
        return self._issue(account[1])

    def refresh(self, token: str | None) -> LoginResult | None:
        """A new token for the user behind a live ``token`` (PROTOCOL.md 2, session refresh),
        with a full lifetime from now; the old token keeps its own expiry. None if not live."""
        grant = self.grant(token)
        return self._issue(grant.user) if grant else None

    def _issue(self, user: User) -> LoginResult:
        self._make_room()
        token = secrets.token_urlsafe(32)
        grant = Grant(user, self.clock() + self.ttl)
        self._grants[token] = grant
        return LoginResult(token=token, expiresAt=self.expires_at(token), user=grant.user)

    def expires_at(self, token: str) -> str | None:
        """A token's expiry on the wire (``2026-11-26T22:05:00Z``), None if unknown."""
        grant = self._grants.get(token)
        return iso(datetime.fromtimestamp(grant.expires, timezone.utc)) if grant else None

    def grant(self, token: str | None) -> Grant | None:
        """The live grant behind ``token``: None when unknown, revoked or expired."""
        grant = self._grants.get(token or "")
        if grant is None or grant.expires <= self.clock():
            return None
        return grant

    def user(self, token: str | None) -> User | None:
        grant = self.grant(token)
        return grant.user if grant else None

    def seconds_left(self, token: str) -> float:
        grant = self._grants.get(token)
        return max(0.0, grant.expires - self.clock()) if grant else 0.0

    def revoke_all(self) -> None:
        self._grants.clear()

    def revoke_user(self, user_id: str) -> int:
        """Forget every token of one user; returns how many there were."""
        mine = [t for t, g in self._grants.items() if g.user.id == user_id]
        for token in mine:
            del self._grants[token]
        return len(mine)

    def _forget_expired(self) -> None:
        now = self.clock()
        for token in [t for t, g in self._grants.items() if g.expires <= now]:
            del self._grants[token]

    def revoke(self, token: str) -> bool:
        """End one session (logout); False if the token was not live."""
        live = self.grant(token) is not None
        self._grants.pop(token, None)
        return live

    def prune(self) -> int:
        """Forget expired tokens (app.py calls this on a timer); returns how many."""
        before = len(self._grants)
        self._forget_expired()
        return before - len(self._grants)

    def _make_room(self) -> None:
        """Before a new token: forget the expired ones, then the oldest while at ``max_tokens``."""
        self._forget_expired()
        while len(self._grants) >= self.max_tokens:
            del self._grants[next(iter(self._grants))]

    def __len__(self) -> int:
        return len(self._grants)
