"""bench/ab.py's pure parts: the A B B A order, the paired counts, the table."""

from bench import ab


def window(markers, rows, us, calls, long_tasks=0.0):
    return {"markers": {"latencyMs": {"p95": markers}}, "rows": {"latencyMs": {"p95": rows}},
            "pythonBatches": {"usPerFrame": us, "calls": calls}, "longTasks": {"percentOfWindow": long_tasks}}


def test_each_side_goes_first_in_half_the_rounds():
    assert ab.order(4) == [("a", "b"), ("b", "a"), ("a", "b"), ("b", "a")]
    assert ab.order(0) == []


def test_a_window_gives_its_figures():
    assert ab.figures(window(120.5, 98.0, 183.2, 240, 0.5)) == {
        "markers": 120.5, "rows": 98.0, "us": 183.2, "batches": 240, "longTasks": 0.5, "machine": None}
    assert ab.figures({**window(1, 2, 3, 4), "machineBusyPercent": 96.4})["machine"] == 96.4
    assert ab.figures({**window(1, 2, 3, 4), "pythonBatches": None})["us"] is None  # a page without Python


def test_paired_counts_the_rounds_each_side_won_and_the_median_difference():
    rounds = [{"a": {"markers": 80, "batches": 240}, "b": {"markers": 120, "batches": 160}},
              {"a": {"markers": 150, "batches": 130}, "b": {"markers": 100, "batches": 200}},
              {"a": {"markers": 90, "batches": 200}, "b": {"markers": 90, "batches": 200}},
              {"a": {"markers": None, "batches": 100}, "b": {"markers": 70, "batches": 90}}]
    assert ab.paired(rounds, "markers") == {"aBetter": 1, "bBetter": 1, "ties": 1, "medianAminusB": 0, "rounds": 3}
    assert ab.paired(rounds, "batches", higher_is_better=True) == {
        "aBetter": 2, "bBetter": 1, "ties": 1, "medianAminusB": 5.0, "rounds": 4}
    assert ab.paired([{"a": {"us": None}, "b": {"us": 3}}], "us") is None


def test_the_table_has_a_row_per_round_and_a_line_per_figure():
    rounds = [{"first": "A", "a": ab.figures({**window(80, 81, 180, 240), "machineBusyPercent": 96.6}),
               "b": ab.figures(window(120, 118, 190, 160))},
              {"first": "B", "a": ab.figures(window(95, 90, 178, 220)), "b": ab.figures(window(94, 99, 185, 210))}]
    result = {"a": {"label": "this tree"}, "b": {"label": "867c1ae"}, "window": 8.0, "map": "shown",
              "rounds": rounds, "loadAverage": {"start": (1.2, 1, 1), "end": (1.8, 1, 1)},
              "paired": {key: ab.paired(rounds, key, key == "batches") for key, _ in ab.FIGURES}}
    text = ab.render(result)
    assert "A = this tree, B = 867c1ae; 2 rounds of 8 s, map shown" in text
    assert "| 1 (A first) | 80 / 81 ms, 180 µs, 240 (97% busy) | 120 / 118 ms, 190 µs, 160 |" in text
    assert "| 2 (B first) | 95 / 90 ms, 178 µs, 220 | 94 / 99 ms, 185 µs, 210 |" in text
    assert "| markers p95, ms | 1 | 1 | 0 | -19.5 |" in text
    assert "| Python µs per event | 2 | 0 | 0 | -8.5 |" in text
    assert "| batches (more: shorter frames) | 2 | 0 | 0 | 45.0 |" in text
