"""How much one client may ask of the stub: login attempts, and sockets waiting for auth.

    logins = LoginLimits(per_address=60, failures_per_user=10, clock=time.monotonic)
    wait = logins.wait("10.0.0.7", "demo")      # None: go ahead; else seconds until a try is allowed
    logins.record("10.0.0.7", "demo", ok=False)

- **Logins** (``LoginLimits``): at most ``per_address`` attempts per client
  address per minute, whatever their outcome, and at most
  ``failures_per_user`` failed attempts per username per 5 minutes (a
  success clears that user's failures). A refused attempt is not checked at
  all and gets a 429 with ``Retry-After`` (rest.py). Usernames are counted
  whether or not they exist, so the answer says nothing about which do.
  The address is uvicorn's ``client``: it takes ``X-Forwarded-For`` from a
  proxy on loopback (its default), so behind the nginx of docs/HOSTING.md
  each browser counts on its own, and a client on the stub's own machine
  can pick its address that way (it could do worse there anyway).
- **Sockets waiting for auth** (``Waiting``): at most ``limit`` accepted
  sockets that have not authenticated yet; the next handshake is refused
  (ws.py). Each such socket also has ``auth_timeout`` seconds (settings.py)
  before it is closed with 1008.

Pure and clock-injected: tests move time by hand. Every table is bounded
(``MAX_KEYS``, oldest key forgotten first) and ``prune`` drops what has aged
out; app.py calls it on a timer.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from typing import Callable, Hashable

#: Keys a window remembers at most: a flood of new addresses or names cannot grow it further.
MAX_KEYS = 10_000
ADDRESS_WINDOW = 60.0
USER_WINDOW = 300.0


class SlidingWindow:
    """At most ``limit`` events per key within the last ``seconds``."""

    def __init__(self, limit: int, seconds: float, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = MAX_KEYS) -> None:
        self.limit, self.seconds, self.clock, self.max_keys = limit, seconds, clock, max_keys
        self._times: OrderedDict[Hashable, deque[float]] = OrderedDict()

    def wait(self, key: Hashable) -> float | None:
        """Seconds until ``key`` may have another event, or None if it may now."""
        times = self._recent(key)
        if times is None or len(times) < self.limit:
            return None
        return max(0.0, times[0] + self.seconds - self.clock())

    def add(self, key: Hashable) -> None:
        times = self._recent(key)
        if times is None:
            times = self._times[key] = deque()
            while len(self._times) > self.max_keys:
                self._times.popitem(last=False)
        self._times.move_to_end(key)
        times.append(self.clock())
        while len(times) > self.limit:
            times.popleft()

    def clear(self, key: Hashable) -> None:
        self._times.pop(key, None)

    def prune(self) -> int:
        """Forget keys with no event in the window; returns how many."""
        stale = [key for key in list(self._times) if self._recent(key) is None]
        return len(stale)

    def __len__(self) -> int:
        return len(self._times)

    def _recent(self, key: Hashable) -> deque[float] | None:
        """The key's times still in the window (older ones dropped); None, and forgotten, if none."""
        times = self._times.get(key)
        if times is None:
            return None
        horizon = self.clock() - self.seconds
        while times and times[0] <= horizon:
            times.popleft()
        if not times:
            del self._times[key]
            return None
        return times


class LoginLimits:
    def __init__(self, per_address: int, failures_per_user: int, clock: Callable[[], float] = time.monotonic):
        self.by_address = SlidingWindow(per_address, ADDRESS_WINDOW, clock)
        self.failures_by_user = SlidingWindow(failures_per_user, USER_WINDOW, clock)

    def wait(self, address: str, username: str) -> float | None:
        """Seconds to wait before this attempt may be checked, or None to check it now."""
        waits = [w for w in (self.by_address.wait(address), self.failures_by_user.wait(username)) if w is not None]
        return max(waits) if waits else None

    def record(self, address: str, username: str, ok: bool) -> None:
        self.by_address.add(address)
        if ok:
            self.failures_by_user.clear(username)
        else:
            self.failures_by_user.add(username)

    def prune(self) -> int:
        return self.by_address.prune() + self.failures_by_user.prune()


def retry_after(seconds: float) -> str:
    """A ``Retry-After`` value: whole seconds, rounded up, at least 1."""
    return str(max(1, math.ceil(seconds)))


class Waiting:
    """Sockets accepted and not yet authenticated, at most ``limit`` at a time.

    ``admit(who)`` before accepting (False: refuse the handshake), ``done(who)``
    once it has authenticated or gone; ``done`` twice is harmless."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._who: set[Hashable] = set()

    def admit(self, who: Hashable) -> bool:
        if len(self._who) >= self.limit:
            return False
        self._who.add(who)
        return True

    def done(self, who: Hashable) -> None:
        self._who.discard(who)

    def __len__(self) -> int:
        return len(self._who)
