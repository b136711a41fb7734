"""The whole app's Python per event under CPython: the map phase's streams, without a browser's noise.

    .venv/bin/python scripts/profile_stream.py [--frames 300] [--map shown|hidden] [--profile]
                                               [--deliveries 10000 --staff 500]

The stub's own world (``server_stub.world.World``: 10,000 deliveries, 500
staff, a city) makes a snapshot and the benchmark's two streams as the stub
sends them (``World.touch``: ETA revisions; ``Tracking.burst``: locations,
round-robin). The real ``Client`` takes the snapshot as the boot does
(``snapshot_prefetched``), a resumed welcome, then batches of frames, one
batch per animation frame: ``--per-frame`` frames (25: 1,000 + 500 a second
at 60 frames a second). Each ``Render`` goes through a real ``Hub`` to the
real panels (deliveries, map, zones, staff, messages) on the fake page
(``app.web.fake_dom``), and the fake page's frame callbacks run after each.

Prints the Python CPU time per event (median and p95 of the batches) with
the fake page's own row-table share left out, as scripts/profile_deliveries.py
does; ``--profile`` adds the top functions by internal and by cumulative
time. The browser runs the same code 2-4 times slower (Pyodide), and adds its
own work (the socket's tasks, style, layout, paint) that no CPython figure
shows: this is the yardstick for Python's share only, steady from run to run
where the page's figures are not (bench/README.md, "The map phase").
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import pstats
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.actions import Render  # noqa: E402
from app.client import Client  # noqa: E402
from app.hub import Hub  # noqa: E402
from app.selection import Selection  # noqa: E402
from app.session import Session  # noqa: E402
from app.web.panels.base import PanelContext  # noqa: E402
from app.web.panels.comms import CommsPanel  # noqa: E402
from app.web.panels.deliveries import DeliveriesPanel  # noqa: E402
from app.web.panels.map import HIDDEN_KEY, MapPanel  # noqa: E402
from app.web.panels.staff import StaffPanel  # noqa: E402
from app.web.panels.zones import ZonesPanel  # noqa: E402
from app.web.runtime import document, js, window  # noqa: E402
from server_stub.dialect import Dialect  # noqa: E402
from server_stub.world import World  # noqa: E402

from scripts.profile_deliveries import python_seconds  # noqa: E402 - the fake row table's time left out

PANELS = (DeliveriesPanel, MapPanel, ZonesPanel, StaffPanel, CommsPanel)  # app.web.main's order


def streams(world: World, frames: int, per_frame: int, locations_share: float) -> list[list[str]]:
    """``frames`` batches of frame texts, a third of them locations (the map phase's 500 of 1,500)."""
    dialect = Dialect(2)
    batches, owed = [], 0.0
    for _ in range(frames):
        owed += per_frame * locations_share
        moves = int(owed)
        owed -= moves
        events = world.touch(per_frame - moves, publish=False) + world.tracking.burst(moves, publish=False)
        events.sort(key=lambda event: event.seq)
        batches.append([dialect.frame(event) for event in events])
    return batches


def run(frames: int, per_frame: int, map_shown: bool, profile: bool, deliveries: int = 10_000,
        staff: int = 500) -> dict:
    gc.collect()
    gc.disable()  # the fake page's objects would make the collector's passes the cost
    asyncio.set_event_loop(asyncio.new_event_loop())
    loop = asyncio.get_event_loop()
    world = World(deliveries=deliveries, staff=staff, seed=7)
    snapshot = world.snapshot()
    snapshot_text = snapshot.model_dump_json(by_alias=True)
    batches = streams(world, frames, per_frame, 1 / 3)

    window.localStorage.clear()
    if not map_shown:
        window.localStorage.setItem(HIDDEN_KEY, "1")
    client = Client("http://127.0.0.1/api", "ws://127.0.0.1/ws", Session("tok", "me", "Me", "2099-01-01T00:00:00Z"))
    hub = Hub()
    ctx = PanelContext(client=client, hub=hub, run=lambda fn: fn(client), page_rows=100)
    ctx.notes["selection"] = Selection()
    panels, sections = [], []
    for cls in PANELS:
        section = document.createElement("section")
        document.body.appendChild(section)
        sections.append(section)
        panels.append(cls(section, ctx).mount())
    try:
        return _stream(client, hub, panels, snapshot, snapshot_text, batches, frames * per_frame, profile, loop)
    finally:  # the fake page is shared (a test may run this): leave it as found
        for panel in panels:
            panel.unmount()
        for section in sections:
            section.remove()
        window.localStorage.clear()
        client.stop()
        gc.enable()
        loop.close()
        asyncio.set_event_loop(None)


def _stream(client, hub, panels, snapshot, snapshot_text, batches, events, profile, loop) -> dict:
    """Feed the snapshot, wait until it is drawn, then time ``batches`` (see ``run``)."""

    def drain() -> None:
        for action in client.actions():
            if isinstance(action, Render):
                hub.publish(action.changes)
        js.dcBridge.run()  # the fake page's animation frames: the map's and the rows' writes
        for _ in range(3):
            loop.run_until_complete(asyncio.sleep(0))  # turns: chunks of rows built in the background

    assert client.snapshot_prefetched(snapshot_text), "the world's snapshot was not taken"
    client.start()
    client.socket_opened()
    client.socket_message(json.dumps({"type": "welcome", "seq": snapshot.seq, "epoch": snapshot.epoch,
                                      "resumed": True}))
    deliveries = panels[0]
    for _ in range(2000):  # the snapshot drawn, the rows and the map's marks built, as the bench waits for
        drain()
        if not (deliveries.table.has_ahead() or deliveries.chunks.scheduled or panels[1]._more_to_write()):
            break
    errors = list(hub.errors)
    assert not errors, f"a panel raised: {errors[0].error!r}"

    profiler = cProfile.Profile() if profile else None
    costs = []

    def feed(batch) -> None:
        if profiler:
            profiler.enable()
        client.socket_messages(batch)
        drain()
        if profiler:
            profiler.disable()

    for batch in batches:
        costs.append(python_seconds(lambda: feed(batch)) / len(batch))
    errors = list(hub.errors)
    assert not errors, f"a panel raised: {errors[0].error!r}"
    diagnostics = client.diagnostics()
    assert diagnostics["invalid"] == 0 and diagnostics["applied"] >= events, diagnostics
    costs.sort()
    out = {"events": events, "median_us": statistics.median(costs) * 1e6,
           "p95_us": costs[int(0.95 * (len(costs) - 1))] * 1e6}
    if profiler:
        text = io.StringIO()
        stats = pstats.Stats(profiler, stream=text)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(35)
        out["profile"] = text.getvalue()
        out["groups"] = by_group(stats, events)
    return out


#: Where a function's own time goes, by its file: the fake page stands for the browser's DOM.
GROUPS = (("the fake page (the browser's DOM)", "app/web/fake_dom.py"), ("app/web (the shell, panels)", "app/web/"),
          ("app (the pure core)", "/app/"), ("pydantic", "pydantic"), ("asyncio", "asyncio"))


def by_group(stats: pstats.Stats, events: int) -> list[tuple[str, float]]:
    """µs per event of each ``GROUPS`` entry's own time (builtins count where the profiler puts them)."""
    totals: dict[str, float] = {}
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        group = next((name for name, part in GROUPS if part in filename), "other (builtins, stdlib)")
        totals[group] = totals.get(group, 0.0) + tottime
    return sorted(((name, seconds / events * 1e6) for name, seconds in totals.items()), key=lambda x: -x[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300, help="batches (animation frames) to feed")
    parser.add_argument("--per-frame", type=int, default=25, help="frames per batch (25: 1,500 a second at 60 fps)")
    parser.add_argument("--map", choices=("shown", "hidden"), default="shown")
    parser.add_argument("--profile", action="store_true", help="cProfile the batches")
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--staff", type=int, default=500)
    args = parser.parse_args()
    result = run(args.frames, args.per_frame, args.map == "shown", args.profile, args.deliveries, args.staff)
    print(f"{result['events']} events, map {args.map}: Python per event median {result['median_us']:.1f} µs, "
          f"p95 {result['p95_us']:.1f} µs (CPython, the fake page's row table left out)")
    if "profile" in result:
        print(result["profile"])
        print("own time per event, by where it is spent (under cProfile, so higher than above):")
        for name, us in result["groups"]:
            print(f"  {us:7.1f} µs  {name}")


if __name__ == "__main__":
    main()
