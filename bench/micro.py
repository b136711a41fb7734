"""Micro-benchmarks of the per-event Python hot spots, under CPython (no browser).

    .venv/bin/python -m bench.micro

Prints µs per call, best of 7. Pyodide runs the same code about 2-3× slower;
the figures compare commits on one machine (run it on each, e.g. with
``git stash``), not with the browser's.
"""

from __future__ import annotations

import random
import timeit
from datetime import datetime, timezone

from app.eta import eta_text, timestamp
from app.sorted_ids import SortedIds


def sorted_ids_move(n: int = 10_000, moves: int = 50_000) -> float:
    """``SortedIds.place`` moving random ids among ``n``, keys shaped like the ETA sort's."""
    rng = random.Random(1)
    ids = SortedIds()
    ids.reset((f"D-{i}", (False, False, rng.random(), rng.random(), (i,), f"D-{i}")) for i in range(n))
    plan = [(f"D-{rng.randrange(n)}", rng.random()) for _ in range(moves)]

    def run():
        for item_id, value in plan:
            ids.place(item_id, (False, False, value, value, (0,), item_id))

    return min(timeit.repeat(run, number=1, repeat=7)) / moves * 1e6


def eta_words(texts: int = 3_000) -> float:
    """What a live ETA change costs the deliveries panel: its timestamp, its words, its timestamp again."""
    now = datetime(2026, 11, 27, 5, 0, tzinfo=timezone.utc)
    etas = [f"2026-11-27T{6 + i % 10:02d}:{i % 60:02d}:{(i // 60) % 60:02d}Z" for i in range(texts)]

    def run():
        for text in etas:
            timestamp(text)
            eta_text(text, open_=True, now=now, offset_minutes=60)
            timestamp(text)

    return min(timeit.repeat(run, number=1, repeat=7)) / texts * 1e6


class _Board:
    """The map layer's view of the client: lookups by id, the lists, and the open-work index."""

    def __init__(self, deliveries, staff):
        from app.roster import OpenWork

        self.d, self.s = {x.id: x for x in deliveries}, {x.id: x for x in staff}
        self.work = OpenWork()

    def delivery(self, i): return self.d.get(i)
    def deliveries(self): return list(self.d.values())
    def staff_member(self, i): return self.s.get(i)
    def staff(self): return list(self.s.values())
    def zone(self, i): return None
    def zones(self): return []


def map_layer_frame(n: int = 10_000, people: int = 500, frames: int = 200) -> float:
    """The map layer per message, the map phase's mix: each frame 17 ETA updates and 8 moves
    (1,000 delivery updates/s and 500 locations/s at 60 frames/s), every pin drawn. It includes
    the client's open-work index following each Render (``OpenWork.follow``), which every panel
    that shows open work shares."""
    from app.map_layer import MapLayer
    from app.models import Delivery, Location, Staff
    from app.store import Changes

    rng = random.Random(1)
    now = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)

    def iso(minutes: float) -> str:
        return datetime.fromtimestamp(now.timestamp() + minutes * 60, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def place() -> dict:
        return {"lat": 52.5 + rng.random() * 0.05, "lon": 13.38 + rng.random() * 0.05}

    def member(i: int) -> Staff:
        return Staff(id=f"S-{i}", name=f"Person {i}", role="driver", status="on_delivery", zoneId="Z-1",
                     lastSeenAt=iso(-1), location=Location(**place(), heading=90.0, at=iso(-1)))

    statuses = ("pending", "assigned", "picked_up", "in_transit", "delivered")
    board = _Board([Delivery(id=f"D-{i}", status=rng.choice(statuses), customer=f"Customer {i}", address="1 Mill Lane",
                             zoneId="Z-1", assignedTo=f"S-{rng.randrange(people)}", eta=iso(rng.randint(-30, 300)),
                             updatedAt=iso(-60), dropoff=place()) for i in range(n)],
                   [member(i) for i in range(people)])
    layer = MapLayer(clock=now.timestamp, pin_budget=n)
    layer.note(board.work.follow(Changes(reset=True), board))
    layer.frame(board)
    ids = list(board.d)
    plan = [({i: board.d[i].model_copy(update={"eta": iso(rng.randint(-30, 300))}) for i in rng.sample(ids, 17)},
             {f"S-{i}": member(i) for i in rng.sample(range(people), 8)}) for _ in range(frames)]

    def run():
        for updates, moves in plan:
            board.d.update(updates)
            board.s.update(moves)
            layer.note(board.work.follow(Changes(deliveries=frozenset(updates), moved=frozenset(moves)), board))
            layer.frame(board)

    return min(timeit.repeat(run, number=1, repeat=5)) / (frames * 25) * 1e6


def main() -> None:
    print(f"SortedIds.place, a move among 10,000 ids: {sorted_ids_move():.2f} µs")
    print(f"ETA timestamp + words + timestamp, per text: {eta_words():.2f} µs")
    print(f"Map layer note + frame, per message (17 ETA updates + 8 moves a frame, 10,000 deliveries, "
          f"500 staff): {map_layer_frame():.2f} µs")


if __name__ == "__main__":
    main()
