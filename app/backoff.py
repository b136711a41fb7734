"""Reconnect delays: the seed's schedule, with jitter, as a pure generator.

    >>> list(delays(jitter=0))
    [1000, 2000, 4000, 8000, 16000]
    >>> list(delays(base_ms=10, attempts=3, jitter=0))
    [10, 20, 40]
    >>> slow_delay(jitter=0)
    60000

PROTOCOL.md "Reconnect policy": the delay before attempt n (n = 0, 1, ...) is
``base_ms * 2**n``, at most ``attempts`` times, each moved by a random jitter
of up to +-``jitter`` (20 %) so that a thousand dashboards that lost the same
server do not all come back in the same millisecond. When the generator is
exhausted the caller shows itself offline and keeps trying, slowly: every
``slow_delay()`` (60 s, with the same jitter), for as long as the page is open.

As in python-websockets (``backoff()`` injected as ``reconnect_delays=``),
whoever needs delays takes a *factory* (a zero-argument callable returning a
fresh iterable), so tests pass ``lambda: [1, 1, 1]`` or ``functools.partial(
delays, jitter=0)`` instead of patching time or randomness.
"""

from __future__ import annotations

import random
from typing import Callable, Iterable, Iterator

#: Zero-argument callable returning a fresh, finite schedule of delays in ms.
DelaysFactory = Callable[[], Iterable[int]]

BASE_MS = 1000
ATTEMPTS = 5
JITTER = 0.2
#: The slow tries after the schedule is exhausted: one every 60 s (+-JITTER), never ending.
SLOW_MS = 60_000


def delays(
    base_ms: int = BASE_MS,
    attempts: int = ATTEMPTS,
    jitter: float = JITTER,
    rng: Callable[[], float] = random.random,
) -> Iterator[int]:
    """Yield ``attempts`` delays in ms: ``base_ms * 2**n``, each within +-``jitter`` of it.

    ``rng`` returns a float in [0, 1); 0.5 means no jitter, 0 the shortest
    delay and values near 1 the longest.
    """
    for n in range(attempts):
        nominal = base_ms * 2**n
        yield max(0, round(nominal * (1 + jitter * (2 * rng() - 1))))


def slow_delay(base_ms: int = SLOW_MS, jitter: float = JITTER, rng: Callable[[], float] = random.random) -> int:
    """The wait before the next slow try, once the quick schedule is exhausted: ``base_ms`` +-``jitter``."""
    return max(0, round(base_ms * (1 + jitter * (2 * rng() - 1))))
