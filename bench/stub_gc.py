"""The stub's full collections during the benchmark's stream, with and without ``server_stub/heap.py``.

    .venv/bin/python -m bench.stub_gc --deliveries 50000 --events 60000

Builds the world as ``python -m server_stub`` does, then makes the
benchmark stream's ETA revisions (``World.touch``) in batches, in this
process, with no server and no browser; prints each full collection: how
long it took and how many objects it walked. Without freezing, each walks
the whole world (~180,000 objects at 50,000 deliveries); with it, what
changed since the last freeze; and how many tracked objects the collector
still sees at the end. The object counts compare on any machine; the
milliseconds only on a quiet one.
"""

from __future__ import annotations

import argparse
import gc
import time

from app.heap import HeapKeeper
from server_stub.heap import COLLECTIONS
from server_stub.world import World


def run(deliveries: int, events: int, freeze: bool, batch: int = 100) -> dict:
    world = World(deliveries=deliveries, staff=500, seed=7)
    gc.collect()
    heap = HeapKeeper(every=COLLECTIONS)
    fulls: list[tuple[float, int]] = []
    started = [0.0, 0]

    def timed(phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            walked = len(gc.get_objects(2))  # counted before the clock starts
            started[:] = [time.perf_counter(), walked]
        else:
            fulls.append((round((time.perf_counter() - started[0]) * 1000, 1), started[1]))

    if freeze:
        heap.start()
        heap.board_loaded()
    gc.callbacks.append(timed)
    try:
        for i in range(events // batch):
            world.touch(batch, publish=False)
            if freeze and i % 10 == 0:  # the server checks once a second; at 1,000/s that is every 1,000 events
                heap.maybe_freeze()
        in_sight = len(gc.get_objects())  # what a full collection would walk now
    finally:
        gc.callbacks.remove(timed)
        heap.stop()
        gc.unfreeze()
    return {"freeze": freeze, "fullCollections": fulls, "freezes": heap.freezes, "inSight": in_sight}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.stub_gc", description=__doc__.splitlines()[0])
    p.add_argument("--deliveries", type=int, default=50_000)
    p.add_argument("--events", type=int, default=60_000)
    a = p.parse_args(argv)
    for freeze in (False, True):
        r = run(a.deliveries, a.events, freeze)
        walked = [objects for _, objects in r["fullCollections"]]
        print(f"{a.deliveries} deliveries, {a.events} events, {'with' if freeze else 'without'} freezing "
              f"({r['freezes']} freezes): {len(walked)} full collections, objects walked {walked}, "
              f"ms {[ms for ms, _ in r['fullCollections']]}; tracked objects in the collector's sight at the "
              f"end {r['inSight']}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
