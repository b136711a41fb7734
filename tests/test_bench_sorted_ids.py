"""bench/sorted_ids.py: the browser measurement's workload, checked under CPython (the page runs the same text)."""

from __future__ import annotations

from pathlib import Path

from bench.sorted_ids import ROOT, WORKLOAD, in_cpython, medians, sources


def test_both_structures_give_the_same_order_and_every_figure_is_timed():
    runs = in_cpython(10_000, 2, ROOT / "app" / "sorted_ids.py")  # run() asserts the two orders agree
    assert len(runs) == 2
    for name in ("SortedIds", "SortedKeyList"):
        assert all(run[name]["reset_ms"] > 0 and run[name]["moves_ms"] > 0 for run in runs)
    assert set(medians(runs)) == {"SortedIds", "SortedKeyList"}


def test_the_workload_is_the_scripts_ids_and_moves():
    namespace: dict = {}
    exec(WORKLOAD, namespace)
    keys, moves = namespace["workload"](50_000)
    assert len(keys) == 50_000 and len(moves) == 20_000
    script = (ROOT / "scripts" / "sorted_ids_vs_sortedcontainers.py").read_text()
    assert "rng = random.Random(7)" in script and "for n in (10_000, 50_000)" in script


def test_the_page_gets_sorted_ids_and_sortedcontainers_source():
    files = sources(ROOT / "app" / "sorted_ids.py")
    assert "/home/pyodide/sorted_ids.py" in files
    assert "/home/pyodide/sortedcontainers/sortedlist.py" in files
    assert all(Path(path).suffix == ".py" for path in files)
