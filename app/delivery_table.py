"""The deliveries table as data: which deliveries match, how many, in which order, which are on show.

    >>> from app.models import Delivery
    >>> def delivery(i, status="pending", eta="2026-11-26T14:00:00Z"):
    ...     return Delivery(id=i, status=status, customer="Ada", address="1 Mill Lane", zoneId="Z-1",
    ...                     eta=eta, updatedAt="2026-11-26T13:00:00Z")
    >>> table = DeliveryTable(page=2, clock=lambda: 0.0)
    >>> table.reset([delivery("D-1"), delivery("D-2", eta="2026-11-26T13:00:00Z"), delivery("D-3")])
    Reset(gone=[])
    >>> table.window(), table.unbuilt(table.window()), table.take_ahead(10)
    (['D-2', 'D-1'], ['D-2', 'D-1'], ['D-3'])
    >>> table.upsert("D-3", delivery("D-3", eta="2026-11-26T12:00:00Z")).moved
    True
    >>> table.window(), table.counts()["pending"]
    (['D-3', 'D-2'], 3)

No browser and no page: the deliveries panel (``app/web/panels/deliveries``)
asks this what to draw and draws it. It keeps one ``Facts`` per delivery
(``app.filters``), the ids that match the filters, the counts per status
(kept up to date one change at a time), the sort order (``SortedIds``), the
window (the first ``limit`` matching ids in order) and the late set, which
``tick`` brings up to date as the clock moves: from a heap of the ETAs still
ahead, so a tick costs the ETAs that passed, not a pass over every delivery. The clock is injected
(seconds since the epoch), so every rule is tested with a fixed time.

A new filter does not match every delivery at once either (50,000 of
them were a third of a second in the browser): ``set_filters`` starts a
*count*, which ``count_some`` does a step at a time, between frames, in
sort order; the window is taken from the part counted so far (so a common
filter's window is full after the first step, a rare one's fills in over
a few), and until the count is done ``counts()["shown"]`` is ``None`` (the
page says it is counting). A change meanwhile (``upsert``, ``tick``) files
its id by the new filters at once, so the count's later step for it
agrees; ids gone are skipped. A new sort waits for the count.

    >>> table.set_filters(Filters(status="assigned")).matched, table.counting, table.counts()["shown"]
    (True, True, None)
    >>> table.window(), table.count_some(10), table.counting, table.counts()["shown"], table.window()
    ([], 3, False, 0, [])

A new sort is built in steps too (``sort_some``, ``app.stepped_sort``):
until it is ready, the window keeps the order it had (``sorting``), and
changes meanwhile go into that order and are re-placed in the new one
when it takes over.

No change costs a pass over every delivery: the heap's outdated entries
(an ETA revised) are swept out a few per change once they outnumber the
deliveries (``_sweep_some``), and the unbuilt ids are a set.

Two marks are about the page's rows, which the panel builds and draws:

- *queued*: not built yet. A snapshot queues every id. Only the rows that
  can come into the window soon are built: at once, any queued id the
  window needs (``unbuilt``), and in the background the next page past the
  window (``take_ahead``, ``has_ahead``), so "Show more" finds its rows
  built. The rest stay unbuilt until a change of filter, sort or window
  needs them: at 50,000 deliveries, 50,000 built rows (each with its
  controls) were what the browser's major collections traced
  (bench/README.md), and a queued row costs nothing while it waits.
- *waiting*: built but parked (off the window) with a change not drawn yet;
  ``True`` when a live change is among what waits (its row flashes when
  drawn). The panel draws them in the background (``take_waiting``) and as
  they come into the window.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from itertools import islice
from typing import Callable, Iterable, NamedTuple, Optional

from app.eta import is_late
from app.filters import Filters, count, facts, matches, order_key
from app.sorted_ids import SortedIds
from app.stepped_sort import SteppedSort

Clock = Callable[[], float]


@dataclass(frozen=True)
class Reset:
    """After a snapshot: the ids that are gone (their rows go too)."""

    gone: list


class Upserted(NamedTuple):
    """What one changed delivery did to the table (one of the constants below: made once, not per event)."""

    gone: bool = False  # it is no longer there
    new: bool = False  # first seen (and not queued): the panel builds its row now
    moved: bool = False  # the window may have changed


GONE, UNKNOWN, NEW = Upserted(gone=True), Upserted(), Upserted(new=True, moved=True)
MOVED, STILL = Upserted(moved=True), Upserted()


@dataclass(frozen=True)
class Refiltered:
    """What ``set_filters`` changed: the order (a new sort) and/or the matching set."""

    sorted: bool
    matched: bool


class DeliveryTable:
    """Facts, matching, counts, order, window, late set and the row marks; see the module docstring."""

    #: Outdated ETA heap entries tolerated beyond one per delivery before a sweep starts ...
    AHEAD_SLACK = 1024
    #: ... which then re-files this many entries per change.
    SWEEP_STEP = 4

    def __init__(self, filters: Filters = Filters(), page: int = 100, clock: Clock = lambda: 0.0):
        self.filters = filters
        self._terms = filters.terms()
        self.page = page
        self.limit = page
        self._clock = clock
        self.facts: dict = {}
        self.matched: set[str] = set()
        self.late: set[str] = set()
        self._ahead: list[tuple[float, str]] = []  # (ETA, id) of open deliveries not late yet: a heap, lazily pruned
        self._sweep: list[tuple[float, str]] = []  # an older such heap, being swept (``_sweep_some``)
        self.order = SortedIds()
        self._counts = count((), 0)
        self._window: list[str] = []
        self._shown: set[str] = set()
        self._dirty = True
        self._queued: set[str] = set()  # not built
        self._next_page: Optional[list[str]] = None  # the matching ids past the window, a page of them (None: take again)
        self._next_ids: set[str] = set()
        self.waiting: dict[str, bool] = {}
        self._uncounted: Optional[list[str]] = None  # the order's ids when a count (``count_some``) began ...
        self._uncounted_keys: list[tuple] = []  # ... their keys then ...
        self._counted = 0  # ... and how many of them it has matched
        self._strays: set[str] = set()  # ids changed while counting (they may have moved past what is counted)
        self._order_filters = filters  # the sort ``order`` is by (until a new sort's build takes over)
        self._resort: Optional[SteppedSort] = None  # the new sort's order, being built (``sort_some``)
        self._resorted: set[str] = set()  # ids changed while it is built: re-placed when it takes over
        self._retired: list[SortedIds] = []  # orders a new sort replaced, let go of in steps (``sort_some``)

    @property
    def sorting(self) -> bool:
        """Is a new sort's order still being built (``sort_some``)? Meanwhile the window keeps the old.
        (True too while the old order is let go of, in steps, once the new one took over.)"""
        return self._resort is not None or bool(self._retired)

    @property
    def counting(self) -> bool:
        """Is a new filter's matching still going on (``count_some``)? Then ``matched`` is partial."""
        return self._uncounted is not None

    # --- changes in -------------------------------------------------------------------------

    def reset(self, deliveries: Iterable) -> Reset:
        """A snapshot: everything again. Ids already built stay built; the rest are queued."""
        now_ts = self._clock()
        old = self.facts
        self.facts = {d.id: facts(d) for d in deliveries}
        gone = [i for i in old if i not in self.facts]
        built = {i for i in old if i in self.facts and i not in self._queued}
        self._counts = count(self.facts.values(), now_ts)
        self.late = {i for i, f in self.facts.items() if is_late(f.eta_ts, f.open, now_ts)}
        self._ahead = [(f.eta_ts, i) for i, f in self.facts.items()
                       if f.open and f.eta_ts is not None and i not in self.late]
        heapq.heapify(self._ahead)
        self._sweep = []
        self.matched = {i for i, f in self.facts.items() if matches(f, self.filters, now_ts, self._terms)}
        self._uncounted = None
        self.order.reset((i, order_key(f, self.filters)) for i, f in self.facts.items())
        self._order_filters, self._resort = self.filters, None
        self._resorted.clear()
        for delivery_id in gone:
            self.waiting.pop(delivery_id, None)
        for delivery_id in built:
            if delivery_id not in self._shown:
                self.waiting.setdefault(delivery_id, False)
        self._queued = {i for i in self.facts if i not in built}
        self._dirty = True
        self._next_page = None
        return Reset(gone=gone)

    def upsert(self, delivery_id: str, delivery, live: bool = False, now_ts: Optional[float] = None) -> Upserted:
        """One delivery's new state (None: gone). ``live``: a change from the stream, not our own.

        ``now_ts``: the clock's time, when the caller read it once for a batch of changes."""
        if delivery is None:
            return GONE if self._forget(delivery_id) else UNKNOWN
        if now_ts is None:
            now_ts = self._clock()
        old = self.facts.get(delivery_id)
        new = facts(delivery)
        self.facts[delivery_id] = new
        self._tally(old, -1)
        self._tally(new, +1)
        if is_late(new.eta_ts, new.open, now_ts):
            self.late.add(delivery_id)
        else:
            self.late.discard(delivery_id)
            if new.open and new.eta_ts is not None and (old is None or old.eta_ts != new.eta_ts or not old.open):
                heapq.heappush(self._ahead, (new.eta_ts, delivery_id))
                self._sweep_some()
        if matches(new, self.filters, now_ts, self._terms):
            self.matched.add(delivery_id)
        else:
            self.matched.discard(delivery_id)
        key = order_key(new, self._order_filters)
        self.order.place(delivery_id, key)
        if self._resort is not None:
            self._resorted.add(delivery_id)
        if self._uncounted is not None:
            self._strays.add(delivery_id)
        moved = self._touched(delivery_id, key)
        if old is None and delivery_id not in self._queued:
            self._dirty = True
            return NEW
        if delivery_id not in self._queued and delivery_id not in self._shown:
            self.waiting[delivery_id] = self.waiting.get(delivery_id, False) or live
        return MOVED if moved else STILL

    def set_filters(self, new: Filters) -> Refiltered:
        """A new view. A new filter shows the first page again; a new sort keeps how many are shown."""
        old, self.filters = self.filters, new
        self._terms = new.terms()
        resorted = (old.sort, old.descending) != (new.sort, new.descending)
        refiltered = (old.status, old.zone, old.assignee, old.priority, old.terms()) != (
            new.status, new.zone, new.assignee, new.priority, new.terms())
        if resorted:  # built in steps (``sort_some``); a build under way for another sort is dropped
            every = self.facts
            self._resort = SteppedSort(list(every), lambda i: None if i not in every else order_key(every[i], new))
            self._resorted.clear()
        if refiltered:
            self.limit = self.page
            self.matched = set()
            self._uncounted, self._uncounted_keys = self.order.ids(), self.order.keys()  # see ``count_some``
            self._counted = 0
            self._strays = set()
        if resorted or refiltered:
            self._dirty = True
            self._next_page = None
        return Refiltered(sorted=resorted, matched=refiltered)

    def count_some(self, n: int) -> int:
        """Match the next ``n`` ids, in the order's order, by the filters (the count of a new filter);
        how many were matched (0: the count is done, or was). The last step ends the count."""
        uncounted = self._uncounted
        if uncounted is None:
            return 0
        start = self._counted
        step = uncounted[start:start + max(n, 0)]
        self._counted = start + len(step)
        every, matched, filters, terms, now_ts = self.facts, self.matched, self.filters, self._terms, self._clock()
        found = []
        for delivery_id in step:
            item = every.get(delivery_id)
            if item is not None and matches(item, filters, now_ts, terms):
                matched.add(delivery_id)
                found.append(delivery_id)
            # else: gone, or does not match (a live change since filed it by these filters too)
        keys = self._uncounted_keys
        region = (keys[start - 1] if start else None, keys[start + len(step) - 1]) if step else None
        key_then = dict(zip(step, keys[start:start + len(step)]))
        strays = self._strays
        if self._counted >= len(uncounted):
            self._uncounted, self._uncounted_keys, self._strays = None, [], set()
        following = self._next_page
        if region and (following is None or len(self._window) < self.limit or len(following) < self.page):
            self._take_counted(found, key_then, region, strays)
        return len(step)

    def _take_counted(self, found: list[str], key_then: dict, region: tuple, strays: set) -> None:
        """The matches whose key is now in the part just counted (``region``: after its first key,
        up to its last), while the window or the next page is not full: appended to them when
        nothing changed them since they were taken (not dirty), else both are taken again. Those
        are the ids counted in this step that have not moved since the count began, and ids
        changed meanwhile (``strays``) that now fall there. (Taking the window again every step
        was, for a rare filter, a walk over most of the order every turn.)"""
        following, order = self._next_page, self.order
        if self._dirty or following is None:
            self._dirty, self._next_page = True, None
            return
        after, upto = region
        taken = [(key_then[i], i) for i in found if order.key(i) == key_then[i]]
        for delivery_id in strays:
            key = order.key(delivery_id)
            if key is not None and delivery_id in self.matched and (after is None or key > after) and key <= upto:
                taken.append((key, delivery_id))
        if not taken:
            return
        window, more = list(self._window), list(following)
        for _, delivery_id in sorted(set(taken)):
            if len(window) < self.limit and not more:
                window.append(delivery_id)
            elif len(more) < self.page:
                more.append(delivery_id)
            else:
                break
        self._window, self._shown = window, set(window)
        self._next_page, self._next_ids = more, set(more)

    def sort_some(self, n: int) -> int:
        """Build about ``n`` more items of a new sort's order; how many (0: none being built). The
        step that ends it puts the new order in place (the window is taken again)."""
        if self._uncounted is not None:  # the count's window walk is by the order it began with
            return self.count_some(n)
        build = self._resort
        if build is None:
            while self._retired:
                did = self._retired[-1].shrink(n)
                if did:
                    return did
                self._retired.pop()
            return 0
        did = build.step(n)
        if not build.done:
            return did
        order, every, new = build.result(), self.facts, self.filters
        for delivery_id in self._resorted:
            item = every.get(delivery_id)
            if item is None:
                order.remove(delivery_id)
            else:
                order.place(delivery_id, order_key(item, new))
        self._retired.append(self.order)
        self.order, self._order_filters, self._resort = order, new, None
        self._resorted.clear()
        self._dirty = True
        self._next_page = None
        return max(did, 1)

    def is_match(self, delivery_id: str) -> bool:
        """Does it match the filters? (While counting, asked of the delivery itself.)"""
        if self._uncounted is None:
            return delivery_id in self.matched
        item = self.facts.get(delivery_id)
        return item is not None and matches(item, self.filters, self._clock(), self._terms)

    def tick(self) -> set[str]:
        """The clock moved on: the ids whose ETA has now passed join the late set (and are returned).

        Time only moves forward here; a delivery stops being late by a change
        (``upsert``: a later ETA, a closed status), never by a tick.
        """
        now_ts = self._clock()
        flipped = set()
        for ahead in (self._ahead, self._sweep):
            while ahead and ahead[0][0] < now_ts:
                eta_ts, delivery_id = heapq.heappop(ahead)
                if self._due(delivery_id, eta_ts) and delivery_id not in self.late:
                    flipped.add(delivery_id)
        self.late |= flipped
        if flipped and self.filters.status == "late":
            self._dirty = True
            self._next_page = None
            self.matched |= flipped
        return flipped

    def show_more(self) -> None:
        self.limit += self.page
        self._dirty = True
        self._next_page = None

    # --- what to show --------------------------------------------------------------------------

    def window(self) -> list[str]:
        """The first ``limit`` matching ids in order (taken again only when a change may have moved it).

        The next page comes from the same walk: every batch asks for both (``has_ahead``), and
        two walks from the start, of the window and then of the window and a page, cost half as
        much again as one."""
        if self._dirty:
            self._dirty = False
            head = self._first(self.limit + self.page)
            window = head[:self.limit]
            if window != self._window:
                self._window = window
                self._shown = set(window)
            self._next_page = head[len(window):]
            self._next_ids = set(self._next_page)
        return self._window

    def next_page(self) -> list[str]:
        """The ``page`` matching ids past the window, in order: what "Show more" or a row leaving
        the window brings in next (taken again only after the window or a row near it moved)."""
        if self._dirty or self._next_page is None:
            window = self.window()
            head = self._first(len(window) + self.page)
            self._next_page = head[len(window):]
            self._next_ids = set(self._next_page)
        return self._next_page

    def is_shown(self, delivery_id: str) -> bool:
        return delivery_id in self._shown

    def counts(self) -> dict[str, int]:
        """Per status, plus ``all``, ``open`` and ``late`` (the chips), and ``shown`` (matching;
        ``None`` while a new filter's count goes on)."""
        return dict(self._counts, late=len(self.late), shown=None if self.counting else len(self.matched))

    # --- the row marks -------------------------------------------------------------------------

    def is_queued(self, delivery_id: str) -> bool:
        return delivery_id in self._queued

    def take_ahead(self, n: int) -> list[str]:
        """Up to ``n`` unbuilt ids of the window and the next page, in order, now taken
        off the queue: the background builds them, so what comes in next is ready."""
        queued = self._queued
        found = [i for i in (*self.window(), *self.next_page()) if i in queued][:n]
        queued.difference_update(found)
        return found

    def has_ahead(self) -> bool:
        """Is a row of the window or the next page still unbuilt?"""
        queued = self._queued
        return bool(queued) and any(i in queued for i in (*self.window(), *self.next_page()))

    def unbuilt(self, ids: Iterable[str]) -> list[str]:
        """Those of ``ids`` still queued, now taken off the queue (the window needs them built now)."""
        found = [i for i in ids if i in self._queued]
        self._queued.difference_update(found)
        return found

    def unbuilt_count(self) -> int:
        """How many rows are not built (most of them, on a big board, until they are needed)."""
        return len(self._queued)

    def take_waiting(self, n: int) -> list[tuple[str, bool]]:
        """Up to ``n`` parked rows with a change not drawn yet, oldest first: ``(id, live)``."""
        return [(i, self.waiting.pop(i)) for i in list(islice(self.waiting, n))]

    def mark_waiting(self, ids: Iterable[str]) -> None:
        """These built rows need a whole draw (a new local day changes how an ETA reads)."""
        for delivery_id in ids:
            if delivery_id not in self._shown:
                self.waiting.setdefault(delivery_id, False)

    def drawn(self, delivery_id: str) -> bool:
        """Its row is drawn up to date; True if a live change was among what waited."""
        return self.waiting.pop(delivery_id, False)

    # --- inside ------------------------------------------------------------------------------

    def _first(self, count: int) -> list[str]:
        """The first ``count`` matching ids in order; while a count goes on, of the part counted
        so far: an id whose key is at most the last counted id's key (as it was when the count
        began) was counted, or changed since and was filed by these filters then."""
        if self._uncounted is None:
            return self.order.first(count, self.matched.__contains__)
        if not self._counted:
            return []
        return self.order.first(count, self.matched.__contains__, until=self._uncounted_keys[self._counted - 1])

    def _touched(self, delivery_id: str, key: tuple) -> bool:
        """A row moved or (un)matched: the window needs taking again only if it was or may now be in it."""
        following = self._next_page
        if following is not None and (delivery_id in self._next_ids or len(following) < self.page
                                      or not following or key <= self.order.key(following[-1])):
            self._next_page = None  # it may be in the next page now: take that again when asked
        if self._dirty:
            return True
        window = self._window
        if delivery_id in self._shown or len(window) < self.limit or key <= self.order.key(window[-1]):
            self._dirty = True
        return self._dirty

    def _sweep_some(self) -> None:
        """Keep the ETA heap near one entry per delivery without a pass over all of them at once.

        Once outdated entries outnumber the deliveries, the heap becomes the sweep
        and a new one starts; each later call moves ``SWEEP_STEP`` entries from the
        sweep's end (what is left is still a heap, so ``tick`` reads both) to the
        new heap if still current, or drops them."""
        sweep = self._sweep
        if not sweep:
            if len(self._ahead) > 2 * len(self.facts) + self.AHEAD_SLACK:
                self._sweep, self._ahead = self._ahead, []
            return
        ahead = self._ahead
        for _ in range(min(self.SWEEP_STEP, len(sweep))):
            eta_ts, delivery_id = sweep.pop()
            if self._due(delivery_id, eta_ts):
                heapq.heappush(ahead, (eta_ts, delivery_id))

    def _due(self, delivery_id: str, eta_ts: float) -> bool:
        """Is ``(eta_ts, delivery_id)`` still an open delivery's current ETA (not an outdated heap entry)?"""
        item = self.facts.get(delivery_id)
        return item is not None and item.open and item.eta_ts == eta_ts

    def _forget(self, delivery_id: str) -> bool:
        old = self.facts.pop(delivery_id, None)
        if old is None:
            return False
        self._tally(old, -1)
        self.matched.discard(delivery_id)
        self.late.discard(delivery_id)
        self.order.remove(delivery_id)
        if self._resort is not None:
            self._resorted.add(delivery_id)
        self.waiting.pop(delivery_id, None)
        self._queued.discard(delivery_id)
        self._dirty = True
        self._next_page = None
        return True

    def _tally(self, item, sign: int) -> None:
        if item is None:
            return
        counts = self._counts
        counts["all"] += sign
        counts[item.status] = counts.get(item.status, 0) + sign
        if item.open:
            counts["open"] += sign


__all__ = ["DeliveryTable", "Reset", "Upserted", "Refiltered"]
