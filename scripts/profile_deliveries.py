"""Profile the deliveries panel under CPython through the runtime seam: what grows with the number of deliveries.

    .venv/bin/python scripts/profile_deliveries.py --sizes 10000,50000 [--profile] [--views]

For each size: a snapshot (mount and reset), then a stream of frames, each
with ``--per-frame`` live updates to rows in the window (the benchmark's
1,000 events/s at 60 frames/s), one frame per event-loop turn while the
rows are built in the background, then ``--frames`` more, each followed by
an event-loop turn (the background's share between frames). Prints the longest
build turn (a long task in the browser), and the cost per frame (median and
p95), all in Python time (the fake page's own time left out); with ``--profile``, the top functions of the frames by cumulative time. The page is the fake one
(``app.web.fake_dom``), so these are Python's costs only, not layout's.

With ``--views``, then a change of view as the user makes it (a status
filter, a sort, clearing the filter): the Python time of the change's own
turn (the click), and of the background turns until the count and the sort
are done (the longest and how many).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.web.fakes import FakeClient, context, delivery, publish, section, staff  # noqa: E402

from app.web import fake_scripts  # noqa: E402
from app.web.panels.deliveries import DeliveriesPanel  # noqa: E402


def python_seconds(fn) -> float:
    """CPU seconds ``fn()`` took (so a busy machine's waits do not count), less the fake page's share:
    the time inside the fake ``RowTable.apply``, the browser's work, not Python's. The timer is on
    that method only while ``fn`` runs, so importing this module changes nothing."""
    page = [0.0]
    apply = fake_scripts.RowTable.apply

    def timed_apply(self, text):
        started = time.process_time()
        try:
            return apply(self, text)
        finally:
            page[0] += time.process_time() - started

    fake_scripts.RowTable.apply = timed_apply
    try:
        started = time.process_time()
        fn()
        return time.process_time() - started - page[0]
    finally:
        fake_scripts.RowTable.apply = apply


def building(panel) -> bool:
    """Rows wait to be built (this panel, or the one before the redesign: ``--before``)."""
    if hasattr(panel, "table"):
        return panel.table.has_ahead() or panel.chunks.scheduled
    return bool(panel._queue) or "chunk" in panel._handles


def window_of(panel) -> list:
    return panel.table.window() if hasattr(panel, "table") else panel._window


#: The view changes of ``--views``, in order: (name, the new filters from the current ones).
VIEWS = (
    ("status filter", lambda f: f.with_(status="assigned")),
    ("sort", lambda f: f.with_(sort="priority")),
    ("clear filter", lambda f: f.with_(status="")),
    ("sort back", lambda f: f.with_(sort="eta")),
)


def settling(panel) -> bool:
    """Background work of a view change still to do (a count, a sort build, rows to build)."""
    table = panel.table
    return getattr(table, "counting", False) or getattr(table, "sorting", False) or building(panel)


def views(panel, loop) -> list[str]:
    """Each change of ``VIEWS``: its own turn's Python time, then its background turns (bounded)."""
    lines = []
    for name, change in VIEWS:
        click = python_seconds(lambda: panel.set_filters(change(panel.filters)))
        turns = []
        for _ in range(10000):
            if not settling(panel):
                break
            turns.append(python_seconds(lambda: loop.run_until_complete(asyncio.sleep(0))))
        lines.append(f"  {name}: the change's turn {click * 1000:.1f} ms; then {len(turns)} turns, longest "
                     f"{max(turns, default=0) * 1000:.1f} ms, {sum(turns) * 1000:.0f} ms in all; "
                     f"count {panel.toolbar.count_text.textContent!r}")
    return lines


def run(n: int, frames: int, per_frame: int, profile: bool, with_views: bool = False) -> dict:
    gc.collect()
    gc.disable()  # the fake page's objects (every row's elements) would make the collector's passes the cost
    asyncio.set_event_loop(asyncio.new_event_loop())
    loop = asyncio.get_event_loop()
    rng = random.Random(7)
    statuses = ("pending", "assigned", "in_transit", "delivered")
    client = FakeClient([delivery(i, status=statuses[i % 4] if with_views else "pending",
                                  eta_minutes=rng.uniform(-60, 600)) for i in range(n)],
                        [staff(i) for i in range(500)])
    ctx = context(client, page_rows=100)
    started = time.perf_counter()
    panel = DeliveriesPanel(section(), ctx).mount()
    mounted = time.perf_counter() - started
    profiler = cProfile.Profile() if profile else None
    costs, turns = [], []

    def frame() -> None:
        window = window_of(panel)
        ids = rng.sample(window, min(per_frame, len(window)))
        for delivery_id in ids:
            client.put(delivery(int(delivery_id[2:]), eta_minutes=rng.uniform(-60, 600)))
        if profiler:
            profiler.enable()
        costs.append(python_seconds(lambda: publish(ctx, deliveries=set(ids), event_types={"delivery_update"})))
        if profiler:
            profiler.disable()

    started = time.perf_counter()
    while building(panel):  # the stream starts while rows are built
        frame()
        turns.append(python_seconds(lambda: loop.run_until_complete(asyncio.sleep(0))))
    built = time.perf_counter() - started
    during_build = len(costs)
    costs.clear()  # the figures below are for the frames once the load's rows are built (as in the benchmark)
    later_turns = []
    for _ in range(frames):
        frame()  # then a turn, as the browser gives the background between frames
        later_turns.append(python_seconds(lambda: loop.run_until_complete(asyncio.sleep(0))))
    rows_built = len(panel.rows) if hasattr(panel, "rows") else None
    view_lines = views(panel, loop) if with_views else []
    report = ""
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats("app/(?!web/fake)", 16)
        report = out.getvalue()
    panel.unmount()
    gc.enable()
    costs.sort()
    return {"n": n, "mount_s": mounted, "build_all_s": built, "frame_median_ms": statistics.median(costs) * 1000,
            "frame_p95_ms": costs[int(len(costs) * 0.95)] * 1000, "frames": len(costs), "during_build": during_build,
            "turn_max_ms": max(turns, default=0) * 1000, "turns": len(turns), "profile": report,
            "later_turn_max_ms": max(later_turns, default=0) * 1000, "rows_built": rows_built,
            "views": view_lines}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000")
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--per-frame", type=int, default=17)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--views", action="store_true", help="then filter, sort and clear (see the docstring)")
    args = parser.parse_args()
    for n in (int(size) for size in args.sizes.split(",")):
        result = run(n, args.frames, args.per_frame, args.profile, args.views)
        print(f"n={n}: mount {result['mount_s']:.2f} s; the load's rows built during the stream in "
              f"{result['build_all_s']:.2f} s ({result['during_build']} frames), {result['turns']} build turns, "
              f"longest {result['turn_max_ms']:.1f} ms; then "
              f"{result['frames']} frames, median {result['frame_median_ms']:.2f} ms, p95 {result['frame_p95_ms']:.2f} ms, "
              f"each followed by a turn (longest {result['later_turn_max_ms']:.1f} ms); rows built at the end "
              f"{result['rows_built']}")
        for line in result["views"]:
            print(line)
        if result["profile"]:
            print(result["profile"])


if __name__ == "__main__":
    main()
