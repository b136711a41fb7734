"""bench/map.py's pure parts: the browser's CPU from /proc, one window's figures, the verdicts and the table."""

import doctest
import os

import pytest

import bench.map as module
from bench.map import (TARGETS, browser_cpu_seconds, busy_percent, compare_markers, descendants, machine_ticks,
                       parse_stat, process_cpu_seconds, render, verdict, window_figures)
from bench.run import RESULTS, parse_args

TICK = os.sysconf("SC_CLK_TCK")


def test_doctests_hold():
    assert doctest.testmod(module).failed == 0


def test_parse_stat_counts_fields_after_the_last_parenthesis():
    assert parse_stat("7 (a) b) c) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0") == (7, 1, 7)
    with pytest.raises((ValueError, IndexError)):
        parse_stat("garbage")


def test_descendants_follow_children_of_children_and_ignore_unknown_roots():
    parents = {1: 0, 10: 1, 11: 10, 12: 11, 13: 10, 20: 1}
    assert descendants(parents, [10]) == {10, 11, 12, 13}
    assert descendants(parents, [99]) == set()


def fake_proc(root, processes):
    """processes: pid -> (ppid, utime, stime, argv)."""
    for pid, (ppid, utime, stime, argv) in processes.items():
        d = root / str(pid)
        d.mkdir()
        (d / "stat").write_text(f"{pid} (chrom e) S {ppid} {pid} {pid} 0 -1 0 0 0 0 0 {utime} {stime} 0 0 20 0\n")
        (d / "cmdline").write_bytes(b"\0".join(a.encode() for a in argv) + b"\0")
    (root / "self").mkdir()  # not a pid: skipped
    (root / "555").mkdir()  # a process that ended while we read: skipped


def test_browser_cpu_sums_the_browser_and_every_process_under_it(tmp_path):
    fake_proc(tmp_path, {
        100: (1, 50, 10, ["chromium", "--user-data-dir=/tmp/p-map", "--headless"]),
        101: (100, 300, 40, ["chromium", "--type=zygote"]),
        102: (101, 900, 100, ["chromium", "--type=renderer"]),
        200: (1, 7000, 7000, ["chromium", "--user-data-dir=/tmp/p-other"]),  # another helper's browser
        201: (200, 7000, 7000, ["chromium", "--type=renderer"]),
        300: (1, 5, 5, ["python", "--user-data-dir=/tmp/p-map-not"]),  # a prefix is not the same profile
    })
    assert browser_cpu_seconds("/tmp/p-map", proc=tmp_path) == pytest.approx((60 + 340 + 1000) / TICK)
    assert browser_cpu_seconds("/tmp/p-none", proc=tmp_path) is None


def test_browser_cpu_on_the_real_proc_finds_no_browser_for_an_unknown_profile(tmp_path):
    assert browser_cpu_seconds(tmp_path / "never-launched") is None


def probe(marker_lat, row_lat, long_ms=0.0, t=(1000.0, 11000.0)):
    return {"t0": t[0], "t1": t[1], "longMs": long_ms, "longCount": 1 if long_ms else 0, "unshown": 0,
            "latShown": row_lat, "batches": [0, 2.0, 10, 5, 3.0, 20], "locEvents": len(marker_lat) + 3,
            "locSame": 3, "markerLat": marker_lat, "markerNet": [1.0] * len(marker_lat), "markerSuperseded": 2,
            "markerUnshown": 0, "markerStray": 0}


def test_a_window_takes_the_clock_skew_off_and_the_cpu_between_its_readings():
    figures = window_figures(probe([15.0, 25.0, 35.0], [12.0, 22.0], long_ms=200.0), skew=5.0, events=15000,
                             seconds=10.0, drained=True, drain_s=0.4, cpu=(12.5, 20.0), wall_s=12.5,
                             main_thread={"TaskDuration": 2.5})
    assert figures["markers"]["latencyMs"]["p50"] == 20.0 and figures["markers"]["latencyMs"]["n"] == 3
    assert figures["markers"]["sameAsBefore"] == 3 and figures["markers"]["superseded"] == 2
    assert figures["rows"]["latencyMs"]["p50"] == 12.0
    assert figures["longTasks"]["percentOfWindow"] == 2.0 and figures["achievedRate"] == 1500.0
    assert figures["cpu"] == {"seconds": 7.5, "wallSeconds": 12.5, "percentOfACore": 60.0}
    assert figures["mainThread"]["TaskDuration"] == 25.0
    missing = window_figures(probe([], []), skew=0, events=0, seconds=10, drained=False, drain_s=120,
                             cpu=(None, 3.0), wall_s=10, main_thread={})
    assert missing["cpu"]["seconds"] is None and missing["markers"]["latencyMs"]["p95"] is None


def result(marker_p95=80.0, rows_p95=40.0, long_pct=1.0, cpu_shown=15.0, cpu_hidden=10.0):
    def window(marker, cpu):
        drawn = {"n": 9000, "p50": 20.0, "p95": marker, "p99": marker} if marker is not None else {
            "n": 0, "p50": None, "p95": None, "p99": None}
        return {"markers": {"latencyMs": drawn, "toMessageEventMs": {"n": 9000, "p50": 9.0, "p95": 31.0, "p99": 33.0},
                            "superseded": 10, "unshown": 0},
                "rows": {"latencyMs": {"n": 900, "p50": 10.0, "p95": rows_p95, "p99": rows_p95}},
                "longTasks": {"percentOfWindow": long_pct}, "cpu": {"seconds": cpu, "percentOfACore": 50.0},
                "achievedRate": 1500.0, "drainSeconds": 0.3, "mainThread": {"TaskDuration": 81.6}}
    return {"locationRate": 500.0, "streamRate": 1000.0, "shown": window(marker_p95, cpu_shown),
            "hidden": window(None, cpu_hidden)}


def test_the_targets_hold_at_their_bounds_and_fail_beyond():
    at_bounds = verdict(result(TARGETS["markerP95Ms"], TARGETS["rowsP95Ms"], 4.99, 15.0, 10.0))
    assert all(v["met"] for v in at_bounds.values()) and at_bounds["cpuRatio"]["value"] == 1.5
    beyond = verdict(result(100.1, 50.1, 5.0, 15.1, 10.0))
    assert not any(v["met"] for v in beyond.values())


def test_a_missing_figure_is_neither_met_nor_failed():
    r = result(marker_p95=None, cpu_hidden=None)
    v = verdict(r)
    assert v["markerP95Ms"]["met"] is None and v["cpuRatio"]["met"] is None and v["rowsP95Ms"]["met"] is True
    assert verdict({})["cpuRatio"]["met"] is None


def test_the_table_has_the_map_shown_beside_hidden_and_the_verdicts():
    table = render(result(marker_p95=130.0))
    lines = table.splitlines()
    marker = next(line for line in lines if line.startswith("| marker event→DOM"))
    assert "130 ms" in marker and "none drawn" in marker and marker.rstrip(" |").endswith("**no**")
    cpu = next(line for line in lines if line.startswith("| browser CPU"))
    assert "15.0 s" in cpu and "10.0 s" in cpu and "ratio 1.50×" in cpu and cpu.rstrip(" |").endswith("yes")
    assert all(line.count("|") == 6 for line in lines)
    assert next(line for line in lines if line.startswith("| renderer main thread busy")).count("82%") == 2
    assert "| location event→the page's message event" in table and "9.0 / 31 / 33 ms" in table
    assert render({"error": "no map"}) == "Map phase: not measured: no map."
    alone = result()
    del alone["shown"]
    alone["note"] = "no map panel"
    table = render(alone)
    assert table.startswith("Map phase: no map panel.\n\n|")
    cpu = next(line for line in table.splitlines() if line.startswith("| browser CPU"))
    assert cpu.startswith("| browser CPU time (all its processes, /proc), window + drain | — | 10.0 s (50% of a core) |")


def test_markers_are_compared_numerically_with_the_server():
    staff = [{"id": "S-1", "location": {"lat": 52.5, "lon": 13.4}}, {"id": "S-2", "location": {"lat": 1, "lon": 2}},
             {"id": "S-3", "location": {"lat": 1, "lon": 2}}, {"id": "S-4", "location": {"lat": 1, "lon": 2}},
             {"id": "S-5"}]
    got = compare_markers(staff, {"S-1": ["52.500", "1.34e1"], "S-2": ["1", "2.0001"], "S-4": ["", None]})
    assert (got["located"], got["right"], got["missing"], got["wrong"]) == (4, 1, 1, 2)
    assert got["percentRight"] == 25.0 and got["firstWrong"][0]["id"] == "S-2"


def test_a_map_only_run_writes_its_own_file_and_the_rates_are_bounded():
    args = parse_args(["--only", "map"])
    assert args.phases == ["map"] and args.out == RESULTS / "map.json"
    assert args.location_rate == 500 and args.map_stream_rate == 1000
    assert parse_args(["--only", "map,stream"]).out == RESULTS / "latest.json"
    with pytest.raises(SystemExit):
        parse_args(["--only", "map", "--location-rate", "6000"])


def test_a_map_run_refreshes_only_the_map_block_of_the_readme(tmp_path):
    from bench.network import refresh_readme
    from bench.run import README

    copy = tmp_path / "README.md"
    copy.write_text(README.read_text())
    refresh_readme("Run X\n\n| map table |\n", copy, block="map")
    text = copy.read_text()
    assert "<!-- map:latest -->\nRun X\n\n| map table |\n<!-- /map:latest -->" in text
    def outside(markdown: str) -> tuple[str, str]:
        head, rest = markdown.split("<!-- map:latest -->", 1)
        return head, rest.split("<!-- /map:latest -->", 1)[1]

    assert outside(text) == outside(README.read_text())  # whatever the block held before


def test_the_reference_page_gets_a_table_of_its_own_under_the_app():
    both = result(marker_p95=130.0)
    both["reference"] = result(marker_p95=62.0, rows_p95=61.0)
    app_table, ref_table = render(both).split("\n\nPlain-JS reference page", 1)
    assert app_table == render(result(marker_p95=130.0))
    assert "the floor of this machine" in ref_table.splitlines()[0]
    marker = next(line for line in ref_table.splitlines() if line.startswith("| marker event→DOM"))
    assert "62 ms" in marker and marker.rstrip(" |").endswith("yes")
    rows = next(line for line in ref_table.splitlines() if line.startswith("| delivery rows"))
    assert rows.rstrip(" |").endswith("**no**")
    both["reference"] = {"error": "the page did not load"}
    assert render(both).endswith("Not measured: the page did not load.")


def test_the_stubs_cpu_is_one_process_and_missing_when_it_is_gone(tmp_path):
    fake_proc(tmp_path, {400: (1, 120, 30, ["python", "-m", "server_stub"])})
    assert process_cpu_seconds(400, proc=tmp_path) == pytest.approx(150 / TICK)
    assert process_cpu_seconds(401, proc=tmp_path) is None


def test_machine_ticks_split_busy_from_idle_and_iowait(tmp_path):
    (tmp_path / "stat").write_text("cpu  100 5 20 700 10 1 2 12 0 0\ncpu0 50 2 10 350 5 0 1 6 0 0\n")
    assert machine_ticks(proc=tmp_path) == (100 + 5 + 20 + 1 + 2 + 12, 700 + 10)
    (tmp_path / "stat").write_text("intr 1 2 3\n")
    assert machine_ticks(proc=tmp_path) is None
    assert machine_ticks(proc=tmp_path / "none") is None
    assert busy_percent((10, 90), (10, 90)) is None and busy_percent(None, (1, 1)) is None


def test_a_window_keeps_the_stubs_cpu_and_the_machines_share_and_the_table_shows_them():
    figures = window_figures(probe([15.0], [12.0]), skew=0.0, events=15000, seconds=10.0, drained=True,
                             drain_s=0.4, cpu=(12.5, 20.0), wall_s=12.5, main_thread={}, stub_cpu=(3.0, 6.75),
                             machine_busy=97.5)
    assert figures["stubCpu"] == {"seconds": 3.75, "percentOfACore": 30.0}
    assert figures["machineBusyPercent"] == 97.5
    shown = {**result()["shown"], "stubCpu": figures["stubCpu"], "machineBusyPercent": 97.5}
    text = render({**result(), "shown": shown})
    stub_row = next(line for line in text.splitlines() if line.startswith("| the stub's CPU"))
    assert "| 30% of a core | — |" in stub_row
    machine_row = next(line for line in text.splitlines() if line.startswith("| the machine's cores busy"))
    assert "| 98% | — |" in machine_row
