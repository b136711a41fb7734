"""bench/run.py's table: the load rows put the app next to its baselines from the same run."""

from bench.run import render_table


def load_report(app_ms: float, nosnap_ms: float | None, bare_ms: float) -> dict:
    def mode(ready):
        return {"readyMs": ready, "allRowsMs": ready + 1000, "allRowsWithinWait": True, "runs": [{}]}

    load = {"app": {"cold": mode(app_ms), "warm": mode(app_ms - 2000)},
            "pyodide": {"cold": mode(bare_ms), "warm": mode(bare_ms - 2000)},
            "reference": {"cold": mode(900), "warm": mode(800)}, "rowsWaitSeconds": 60}
    if nosnap_ms is not None:
        load["app-nosnap"] = {"cold": mode(nosnap_ms), "warm": mode(nosnap_ms - 2000)}
    return {"load": load}


def test_the_app_without_its_snapshot_is_a_baseline_of_the_load_rows():
    table = render_table(load_report(6500, 9400, 6200))
    cold = next(line for line in table.splitlines() if line.startswith("| load cold"))
    assert "6.50 s" in cold and "app without the snapshot 9.40 s" in cold and "bare Pyodide 6.20 s" in cold
    overhead = next(line for line in table.splitlines() if line.startswith("| app overhead over bare Pyodide, cold"))
    assert "0.30 s" in overhead and overhead.rstrip(" |").endswith("yes")


def test_a_run_without_that_page_keeps_its_old_rows():
    table = render_table(load_report(6500, None, 6200))
    assert "without the snapshot" not in table and "bare Pyodide 6.20 s" in table
