"""bench/network.py's report: medians per page and line, ratios to React, the resource table."""

from __future__ import annotations

import pytest

from bench import network, run


def visits(ready_ms, transfer):
    return [{"readyAt": r, "transfer": t, "decoded": t * 4, "requests": 10} for r, t in zip(ready_ms, transfer)]


def result():
    line = {kind: {"cold": network.summarize(visits(cold, [size] * 3)), "warm": network.summarize(visits(warm, [1, 1, 1]))}
            for kind, cold, warm, size in (("app", [9000, 10000, 11000], [4000, 4200, 4100], 11.5e6),
                                           ("app-built", [7000, 8000, 9000], [3000, 3075, 3100], 11.4e6),
                                           ("react", [3000, 4000, 5000], [2000, 2100, 2050], 0.3e6))}
    line["loginForm"] = {"firstPaintMs": 230.0, "loginReadyMs": 290.0, "runs": []}
    line["loadAverage"] = 6.5
    return {"cable": line, "resources": {"cable": [
        {"name": "pyodide/snapshot.bin", "start": 500.0, "end": 4000.0, "transfer": 4.5e6, "decoded": 31.5e6},
        {"name": "pyodide/pyodide.asm.wasm", "start": 510.0, "end": 3000.0, "transfer": 2.8e6, "decoded": 9.6e6}]}}


def test_medians_and_the_ratios_to_react():
    got = result()["cable"]
    assert got["app"]["cold"]["readyMs"] == 10000 and got["react"]["warm"]["readyMs"] == 2050
    table = network.render(result())
    assert "| cable | app | 10.00 s | 11.50 / 46.00 MB | 4.10 s |" in table
    assert "| cable | 2.50x | 2.00x | 2.00x, 1.50x | 230 / 290 ms | 6.50 |" in table  # 10.0/4.0, 4.1/2.05; 8/4, 3.075/2.05


def test_the_resource_table_lists_the_biggest_first():
    table = network.render(result())
    snapshot, wasm = table.index("pyodide/snapshot.bin"), table.index("pyodide/pyodide.asm.wasm")
    assert snapshot < wasm and "| 4.50 MB | 31.50 MB | 500 → 4000 ms |" in table


def test_the_network_phase_is_opt_in_and_its_choices_are_checked():
    assert "network" not in run.parse_args([]).phases
    args = run.parse_args(["--only", "network", "--network-lines", "cable", "--network-pages", "app,app-nosnap"])
    assert args.phases == ["network"] and args.network_lines == ["cable"]
    assert run.parse_args(["--only", "network"]).network_pages == ["app", "app-built", "pyodide", "react"]
    with pytest.raises(SystemExit):
        run.parse_args(["--only", "network", "--network-lines", "dial-up"])
    with pytest.raises(SystemExit):
        run.parse_args(["--only", "network", "--network-pages", "app,dist"])


def test_the_readme_block_is_replaced_between_its_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("head\n<!-- network:latest -->\nold\n<!-- /network:latest -->\ntail\n")
    network.refresh_readme("new table\n", readme)
    assert readme.read_text() == "head\n<!-- network:latest -->\nnew table\n<!-- /network:latest -->\ntail\n"
