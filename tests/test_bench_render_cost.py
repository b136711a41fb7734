"""bench/render_cost.py: a trace's rendering phases, the variants it is given, the table it prints."""

import pytest

from bench import render_cost


def x(name, dur_us, pid=1, tid=1):
    return {"ph": "X", "name": name, "dur": dur_us, "pid": pid, "tid": tid, "ts": 0}


def test_phases_sums_the_main_threads_rendering_and_leaves_other_threads_and_events_out():
    events = [x("Paint", 2000), x("Paint", 500), x("UpdateLayoutTree", 1000), x("Layerize", 300),
              x("FunctionCall", 9000),  # script is not rendering
              x("Paint", 7000, pid=2),  # another renderer's one paint
              {"ph": "B", "name": "Layout", "pid": 1, "tid": 1}]  # not a complete event
    ms = render_cost.phases(events)
    assert ms["paint"] == 2.5 and ms["style"] == 1.0 and ms["layerize"] == 0.3 and ms["layout"] == 0
    assert ms["total"] == 3.8  # 2.5 + 1 + 0.3


def test_a_trace_without_rendering_is_all_zeros():
    assert render_cost.phases([x("FunctionCall", 100)]) == dict.fromkeys(
        ["style", "layout", "prepaint", "paint", "layerize", "commit", "total"], 0.0)


def test_variants_read_their_sheets_and_refuse_what_they_cannot_use(tmp_path):
    sheet = tmp_path / "old.css"
    sheet.write_text("tr.flash { animation: none; }")
    assert render_cost.variants([]) == {"shipped": ""}
    assert render_cost.variants(["shipped", f"old={sheet}"]) == {"shipped": "", "old": sheet.read_text()}
    for bad in (["old"], [f"={sheet}"], [f"old={sheet}", f"old={sheet}"], [f"gone={tmp_path / 'none.css'}"]):
        with pytest.raises(SystemExit) as error:
            render_cost.variants(bad)
        assert "render_cost:" in str(error.value)


def test_the_table_has_a_row_per_trace_in_order():
    ms = dict.fromkeys(["style", "layout", "prepaint", "paint", "layerize", "commit"], 1.0) | {"total": 6.0}
    lines = render_cost.table([(1, "shipped", ms), (1, "old", ms)]).splitlines()
    assert lines[0].startswith("| round | variant | style |") and lines[-1] == "| 1 | old | 1 | 1 | 1 | 1 | 1 | 1 | 6 |"
    assert len(lines) == 4


def test_bad_options_fail_before_a_browser_starts(capsys):
    with pytest.raises(SystemExit):
        render_cost.main(["--rounds", "0"])
    with pytest.raises(SystemExit):
        render_cost.main(["nofile"])
    with pytest.raises(SystemExit):  # 20 rounds of 2 variants outlast the streams
        render_cost.main(["--scenario", "streams", "--rounds", "20", "--seconds", "10", "shipped", "a=/dev/null"])
