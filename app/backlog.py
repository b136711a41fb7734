"""Work spread over frames: keys waiting to be written, the big writes a frame's budget at a time.

    backlog = Backlog(clock=time.perf_counter, budget=0.008)
    backlog.add(keys)                  # now: what the live stream changed (all written at the next run)
    backlog.add(keys, later=True)      # later: a big write (a zoom's new sizes, a map being shown)
    done = backlog.run(write)          # write(key): every "now" key, then "later" ones until the budget is spent
    if backlog: ...                    # schedule another run next turn

The map writes its markers through one (``app/web/panels/map.py``): showing
a hidden map or zooming rewrites ~2,000 of them, which in one go is a long
task that holds the frames of the live stream; in 8 ms turns it is not.
The stream's own changes are never held back by the budget: a busy stream
brings bigger batches, and a budget on them would let a queue grow without
end (the markers' latency with it). A key is waiting at most once; a "now"
key passes the "later" ones.
"""

from __future__ import annotations

from typing import Callable, Hashable, Iterable

#: Look at the clock after this many keys: reading it costs more than a small write.
STRIDE = 16


class Backlog:
    def __init__(self, clock: Callable[[], float], budget: float):
        if budget <= 0:
            raise ValueError("the budget must be positive")
        self._clock = clock
        self.budget = budget
        self._now: dict[Hashable, None] = {}
        self._later: dict[Hashable, None] = {}

    def __len__(self) -> int:
        return len(self._now) + len(self._later)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._now or key in self._later

    def add(self, keys: Iterable[Hashable], later: bool = False) -> None:
        if later:
            for key in keys:
                if key not in self._now:
                    self._later[key] = None
        else:
            for key in keys:
                self._later.pop(key, None)
                self._now[key] = None

    def discard(self, key: Hashable) -> None:
        self._now.pop(key, None)
        self._later.pop(key, None)

    def clear(self) -> None:
        self._now.clear()
        self._later.clear()

    def run(self, do: Callable[[Hashable], None]) -> int:
        """``do(key)`` for every "now" key, then for "later" ones until ``budget`` seconds have passed since
        the run began (at least ``STRIDE`` of them a run, so a slow machine still makes progress).
        How many were done."""
        deadline = self._clock() + self.budget
        done = 0
        now = self._now
        while now:
            key = next(iter(now))
            del now[key]
            do(key)
            done += 1
        later, counted = self._later, 0
        while later:
            key = next(iter(later))
            del later[key]
            do(key)
            done += 1
            counted += 1
            if counted % STRIDE == 0 and self._clock() >= deadline:
                break
        return done
