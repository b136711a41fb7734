"""Compare app.sorted_ids.SortedIds with sortedcontainers.SortedKeyList for the deliveries table (CPython).

    .venv/bin/python scripts/sorted_ids_vs_sortedcontainers.py

A snapshot (reset), then 20,000 moves with the first 100 ids taken every 17th move, at 10,000 and 50,000.
"""
import random
import sys
import time

sys.path.insert(0, ".")
from sortedcontainers import SortedKeyList
from app.sorted_ids import SortedIds
rng = random.Random(7)
for n in (10_000, 50_000):
    keys = {f"D-{i}": (rng.random(), f"D-{i}") for i in range(n)}
    moves = [(f"D-{rng.randrange(n)}", (rng.random(),)) for _ in range(20_000)]
    # SortedIds
    t = time.process_time(); a = SortedIds(); a.reset(keys.items()); ta_reset = time.process_time() - t
    t = time.process_time()
    for i, (did, k) in enumerate(moves):
        a.place(did, (k[0], did))
        if i % 17 == 0: a.first(100, lambda x: True)
    ta = time.process_time() - t
    # SortedKeyList of (key, id) with a dict of current keys
    t = time.process_time(); b = SortedKeyList(((k, i) for i, k in keys.items()), key=lambda p: p[0]); cur = dict(keys); tb_reset = time.process_time() - t
    t = time.process_time()
    for i, (did, k) in enumerate(moves):
        nk = (k[0], did); b.remove((cur[did], did)); b.add((nk, did)); cur[did] = nk
        if i % 17 == 0:
            out = []
            for _, x in b:
                out.append(x)
                if len(out) >= 100: break
    tb = time.process_time() - t
    print(f"n={n}: reset SortedIds {ta_reset*1000:.0f} ms, SortedKeyList {tb_reset*1000:.0f} ms; "
          f"20,000 moves + window every 17: SortedIds {ta*1000:.0f} ms, SortedKeyList {tb*1000:.0f} ms")
