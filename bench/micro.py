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


def main() -> None:
    print(f"SortedIds.place, a move among 10,000 ids: {sorted_ids_move():.2f} µs")
    print(f"ETA timestamp + words + timestamp, per text: {eta_words():.2f} µs")


if __name__ == "__main__":
    main()
