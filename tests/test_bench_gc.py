"""The benchmark's Python GC figure: the page's collections over a stream window, and its place in the table."""

import json

from bench.measure import gc_summary
from bench.run import busy


def test_the_collections_are_counted_with_their_total_and_longest():
    summary = gc_summary(json.dumps({"ms": [0.5, 12.25, 3.0], "frozen": 300_000}))
    assert summary == {"collections": 3, "totalMs": 15.8, "maxMs": 12.2, "frozenObjects": 300_000}


def test_a_page_without_python_has_no_gc_figure():
    assert gc_summary(None) is None
    assert gc_summary(json.dumps({"ms": [], "frozen": 0}))["maxMs"] == 0.0


def test_the_busy_cell_names_the_longest_collection_for_the_app_only():
    window = {"mainThread": {"TaskDuration": 60, "ScriptDuration": 20, "LayoutDuration": 4, "RecalcStyleDuration": 6},
              "pythonBatches": {"calls": 10, "percentOfWindow": 18, "usPerFrame": 190, "framesPerCall": 17},
              "drainSeconds": 0.8, "pythonGc": {"collections": 4, "totalMs": 200.0, "maxMs": 178.0}}
    assert busy(window, python=True).endswith("; Python GC 4 runs, longest 178 ms")
    assert "Python GC" not in busy(window, python=False)


def test_the_soaks_object_count_does_not_drop_when_the_page_freezes_its_heap():
    import gc

    from bench.measure import PY_COUNTS

    *body, last = PY_COUNTS.split("\n")

    def objects():
        scope = {}
        exec("\n".join(body), scope)
        return json.loads(eval(last, scope))[0]

    keep = [{"n": i} for i in range(20_000)]
    before = objects()
    gc.freeze()
    try:
        frozen = objects()
    finally:
        gc.unfreeze()
    assert len(keep) and abs(frozen - before) < 1000
