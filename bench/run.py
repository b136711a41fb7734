"""``python -m bench``: the whole benchmark in one run; prints one table, writes JSON.

    ./dev bench                       # full: 3 loads each, 20 s windows, 10-minute soak (~20-30 min)
    ./dev bench --quick               # development: 1 load each, 5 s windows, 1-minute soak (~8-15 min)
    ./dev bench --only load,stream    # a subset of the phases (load, stream, soak, profile)
    ./dev bench --profile             # also the profiling pass (cProfile + CDP sampling profiler)
    ./dev bench --only network        # throttled first and second visits, bytes on the wire (bench/network.py)
    ./dev bench --only map            # the live map: 500 locations/s beside 1,000 updates/s, shown vs hidden (bench/map.py)

The stub runs with 10,000 deliveries and 500 staff and the simulation at
rate 0, so only the benchmark's own streams move the world. A full run
writes bench/results/latest.json and bench/results/latest.md (the table with
the machine and the command) and refreshes the table in bench/README.md; a
``--quick`` run writes bench/results/quick.json and quick.md only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench import map as mapbench
from bench import measure, network
from bench.browser import HERE
from tests.e2e.harness import ROOT, Stub

RESULTS = HERE / "results"
README = HERE / "README.md"
DELIVERIES, STAFF = 10_000, 500
PHASES = ("load", "stream", "soak", "profile", "network", "map")


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="short windows, 1 load repeat, 1-minute soak")
    p.add_argument("--repeats", type=int, default=None, help="load visits per page and mode (default 3; quick 1)")
    p.add_argument("--window", type=float, default=None, help="seconds per stream rate (default 20; quick 5)")
    p.add_argument("--rates", default="200,1000,5000", help="events per second, comma-separated")
    p.add_argument("--soak-minutes", type=float, default=None, help="soak length (default 10; quick 1; max 60)")
    p.add_argument("--reconnect-every", type=float, default=30.0, help="seconds between forced reconnects in the soak")
    p.add_argument("--only", default=None,
                   help=f"comma-separated phases of {','.join(PHASES)} (default all but profile, network and map)")
    p.add_argument("--profile", action="store_true", help="add the profiling pass")
    p.add_argument("--network-lines", default=",".join(network.LINES),
                   help="the network phase's lines, comma-separated (default all)")
    p.add_argument("--network-pages", default="app,app-built,pyodide,react",
                   help="the network phase's pages, of app,app-built,app-nosnap,pyodide,react "
                        "(default app,app-built,pyodide,react)")
    p.add_argument("--profile-rates", default="1000,5000", help="stream rates of the profiling pass")
    p.add_argument("--location-rate", type=float, default=mapbench.LOCATION_RATE,
                   help="the map phase's location events per second, round-robin over the staff (default 500)")
    p.add_argument("--map-stream-rate", type=float, default=mapbench.STREAM_RATE,
                   help="the map phase's delivery updates per second beside them (default 1000)")
    p.add_argument("--no-map-reference", dest="map_reference", action="store_false",
                   help="the map phase without the plain-JS reference page's windows (this machine's floor)")
    p.add_argument("--map-first", choices=("shown", "hidden"), default="shown",
                   help="which of the map phase's two windows runs first (default shown)")
    p.add_argument("--seed", type=int, default=7, help="world seed (default 7)")
    p.add_argument("--deliveries", type=int, default=DELIVERIES, help="world size (default 10000; smaller only to debug)")
    p.add_argument("--staff", type=int, default=STAFF, help="staff (default 500)")
    p.add_argument("--rows-wait", type=float, default=None,
                   help="seconds a load visit waits, after ready, for every row (default 60; quick 20)")
    p.add_argument("--out", type=Path, default=None, help="JSON path (default bench/results/latest.json, quick.json)")
    a = p.parse_args(argv)
    a.repeats = a.repeats or (1 if a.quick else 3)
    a.window = a.window or (5.0 if a.quick else 20.0)
    a.soak_minutes = a.soak_minutes if a.soak_minutes is not None else (1.0 if a.quick else 10.0)
    a.rows_wait = a.rows_wait if a.rows_wait is not None else (20.0 if a.quick else 60.0)
    a.rates = [float(r) for r in a.rates.split(",") if r.strip()]
    phases = set(a.only.split(",")) if a.only else {"load", "stream", "soak"}
    if a.profile:
        phases.add("profile")
    unknown = phases - set(PHASES)
    if unknown:
        p.error(f"unknown phase(s) {', '.join(sorted(unknown))}; choose from {', '.join(PHASES)}")
    if not 0 < a.soak_minutes <= 60:
        p.error("--soak-minutes must be in (0, 60]")
    if not 1 <= a.repeats <= 20 or not 1 <= a.window <= 600:
        p.error("--repeats must be 1..20 and --window 1..600 s")
    if not 0 < a.location_rate <= 5000 or not 0 <= a.map_stream_rate <= 5000:
        p.error("--location-rate must be in (0, 5000] and --map-stream-rate in [0, 5000] (the stub's bounds)")
    a.phases = [ph for ph in PHASES if ph in phases]
    a.network_lines = [x.strip() for x in a.network_lines.split(",") if x.strip()]
    a.network_pages = [x.strip() for x in a.network_pages.split(",") if x.strip()]
    if set(a.network_lines) - set(network.LINES) or not a.network_lines:
        p.error(f"--network-lines: choose from {', '.join(network.LINES)}")
    if set(a.network_pages) - set(network.PAGES) or not a.network_pages:
        p.error(f"--network-pages: choose from {', '.join(network.PAGES)}")
    alone = "map.json" if a.phases == ["map"] else "latest.json"  # a map-only run keeps the full run's file
    a.out = a.out or RESULTS / ("quick.json" if a.quick else alone)
    return a


def source_state() -> dict:
    """Which code was measured: HEAD and the files changed on top of it (others edit as we run)."""
    def git(*cmd):
        try:
            return subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""
    changed = [line[3:] for line in git("status", "--porcelain").splitlines()
               if line[3:].startswith(("app/", "static/", "index.html", "pyscript.toml", "server_stub/"))]
    return {"head": git("rev-parse", "--short", "HEAD"), "changedFiles": changed}


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    return {"nproc": os.cpu_count(), "cpu": model or platform.processor(), "memory": mem,
            "os": platform.platform(), "python": platform.python_version()}


def main(argv=None) -> int:
    args = parse_args(argv)
    command = "./dev bench" + ("" if argv is None and len(sys.argv) <= 1 else " " + shlex.join(
        sys.argv[1:] if argv is None else argv))
    report: dict = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"), "command": command,
                    "machine": machine(), "source": source_state(), "options": {k: (str(v) if isinstance(v, Path) else v)
                                                      for k, v in vars(args).items()},
                    "loadAverage": {"start": os.getloadavg()}}
    n = args.deliveries
    built = measure.app_rows(n)  # the rows the app builds (window and next page); the reference page builds n
    measure.say(f"starting the stub: {n} deliveries, {args.staff} staff, rate 0, seed {args.seed}")
    stub = Stub("--deliveries", str(n), "--staff", str(args.staff), "--rate", "0", "--seed", str(args.seed),
                "--bench-pages", str(HERE / "pages"), startup_timeout=120)
    began = time.monotonic()
    try:
        token = stub.login_token()
        app_url = f"{stub.url}#token={token}"
        ref_url = f"{stub.url}bench/reference.html#token={token}"
        bare_url = f"{stub.url}bench/pyodide.html"
        with tempfile.TemporaryDirectory(prefix="dc-bench-") as tmp, sync_playwright() as playwright:
            work = Path(tmp)
            if "load" in args.phases:
                # The app twice: as it ships, and starting Pyodide without its memory snapshot
                # (static/js/pyodide-boot.mjs, ?snapshot=0), so the snapshot's share is in the run.
                report["load"] = measure.load_phase(playwright, work, {
                    "app": (app_url, built), "app-nosnap": (f"{stub.url}?snapshot=0#token={token}", built),
                    "pyodide": (bare_url, 0), "reference": (ref_url, n)},
                    args.repeats, args.rows_wait)
                report["loadAverage"]["afterLoad"] = os.getloadavg()
            if "stream" in args.phases:
                report["stream"] = {
                    "app": measure.stream_phase(playwright, stub, token, work / "warm-app", app_url, built,
                                                args.rates, args.window, hook=True, label="app"),
                    "reference": measure.stream_phase(playwright, stub, token, work / "warm-reference", ref_url,
                                                      n, args.rates, args.window, hook=False,
                                                      label="reference"),
                }
                report["machine"]["chromium"] = report["stream"]["app"]["chromium"]
                report["loadAverage"]["afterStream"] = os.getloadavg()
            if "soak" in args.phases:
                report["soak"] = measure.soak_phase(playwright, stub, token, work / "warm-app", app_url, built,
                                                    args.soak_minutes, reconnect_every=args.reconnect_every)
                report["loadAverage"]["afterSoak"] = os.getloadavg()
            if "network" in args.phases:
                network.ensure_react()
                urls = {"app": app_url, "app-nosnap": f"{stub.url}?snapshot=0#token={token}", "pyodide": bare_url,
                        "react": f"{stub.url}bench/react/#token={token}"}
                site = None
                if "app-built" in args.network_pages:  # the build, served as a host would, same world
                    site = network.site_stub(work / "site", "--deliveries", str(n), "--staff", str(args.staff),
                                             "--rate", "0", "--seed", str(args.seed))
                    urls["app-built"] = f"{site.url}#token={site.login_token()}"
                try:
                    report["network"] = network.network_phase(
                        playwright, work, {kind: urls[kind] for kind in args.network_pages}, stub.url, args.repeats,
                        lines=args.network_lines)
                finally:
                    if site is not None:
                        site.stop()
                report["loadAverage"]["afterNetwork"] = os.getloadavg()
            if "map" in args.phases:
                report["map"] = mapbench.map_phase(
                    playwright, stub, token, work / "map-app", app_url, built, args.staff, args.window,
                    location_rate=args.location_rate, stream_rate=args.map_stream_rate, first=args.map_first)
                if args.map_reference:  # the floor: the same windows for a plain-JS page
                    report["map"]["reference"] = mapbench.map_phase(
                        playwright, stub, token, work / "map-reference", ref_url, n, args.staff, args.window,
                        location_rate=args.location_rate, stream_rate=args.map_stream_rate, first=args.map_first,
                        hook=False)
                report["loadAverage"]["afterMap"] = os.getloadavg()
            if "profile" in args.phases:
                report["profile"] = measure.profile_phase(playwright, stub, token, work / "warm-app", app_url,
                                                          built, [float(r) for r in args.profile_rates.split(",") if r.strip()],
                                                          min(args.window, 10.0))
            if "chromium" not in report["machine"]:
                report["machine"]["chromium"] = chromium_version(playwright, work)
    finally:
        stub.stop()
    report["minutes"] = round((time.monotonic() - began) / 60, 1)
    table = render_table(report)
    if "network" in report:  # alone, the network tables replace the empty main table
        table = (table + "\n\n" if table.count("\n") >= 2 else "") + network.render(report["network"])
    if "map" in report:  # the same: the map's own table, shown beside hidden
        table = (table + "\n\n" if table.count("\n") >= 2 else "") + mapbench.render(report["map"])
    report["table"] = table
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    page = markdown(report, table)
    args.out.with_suffix(".md").write_text(page)
    if args.phases == ["network"] and args.out.resolve() == RESULTS / "network.json" and not args.quick:
        network.refresh_readme(page)
    if args.phases == ["map"] and args.out.resolve() == RESULTS / "map.json" and not args.quick:
        network.refresh_readme(page, README, block="map")
    if not args.quick and args.out.resolve() == RESULTS / "latest.json" and set(args.phases) >= {"load", "stream", "soak"}:
        network.refresh_readme(page, README, block="bench")
    print()
    print(page)
    measure.say(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    return 0


def chromium_version(playwright, work: Path) -> str:
    from bench.browser import Cdp, chromium, first_page

    with chromium(playwright, work / "version") as context:
        cdp = Cdp(context, first_page(context))
        return cdp.version()


# --- the table -----------------------------------------------------------------------


def fmt_ms(x, unit="ms"):
    if x is None:
        return "—"
    return f"{x / 1000:.2f} s" if unit == "s" else f"{x:.0f} ms" if x >= 10 else f"{x:.1f} ms"


def tri(lat: dict | None) -> str:
    if not lat or lat.get("p50") is None:
        return "—"
    return " / ".join(f"{lat[k]:.0f}" if lat[k] >= 10 else f"{lat[k]:.1f}" for k in ("p50", "p95", "p99")) + " ms"


def met(ok) -> str:
    return "—" if ok is None else ("yes" if ok else "**no**")


def busy(window: dict, python: bool = False) -> str:
    m = window.get("mainThread")
    if not m:
        return "—"
    text = (f"{m['TaskDuration']:.0f}% ({m['ScriptDuration']:.0f} / {m['LayoutDuration']:.0f} / "
            f"{m['RecalcStyleDuration']:.0f})")
    batches = window.get("pythonBatches") or {}
    if python and batches.get("calls"):
        text += (f"; Python batches {batches['percentOfWindow']:.0f}%, {batches['usPerFrame']:.0f} µs per event, "
                 f"{batches['framesPerCall']:.0f} events per call; drain {window['drainSeconds']:.1f} s")
    gc_runs = window.get("pythonGc") or {}
    if python and gc_runs.get("collections") is not None:
        text += f"; Python GC {gc_runs['collections']} runs, longest {gc_runs['maxMs']:.0f} ms"
    return text


def render_table(r: dict) -> str:
    rows = [("figure", "app", "baseline (same run)", "target", "met"), ("---",) * 5]
    load = r.get("load")
    if load:
        app, bare = load["app"], load["pyodide"]
        n = len(app["cold"]["runs"])
        for mode, target in (("cold", 3000), ("warm", 2000)):
            a, b = app[mode]["readyMs"], bare[mode]["readyMs"]
            ref = load.get("reference", {}).get(mode, {}).get("readyMs")
            nosnap = load.get("app-nosnap", {}).get(mode, {}).get("readyMs")
            all_rows = (fmt_ms(app[mode]["allRowsMs"], "s") if app[mode].get("allRowsWithinWait", True)
                        else f"not within {load.get('rowsWaitSeconds', 0):g} s more")
            without = f"app without the snapshot {fmt_ms(nosnap, 's')}; " if nosnap is not None else ""
            rows.append((f"load {mode} to ready (median of {n})", fmt_ms(a, "s") + f" (window and next page built {all_rows})",
                         f"{without}bare Pyodide {fmt_ms(b, 's')}; JS reference {fmt_ms(ref, 's')}",
                         f"≤ {target / 1000:.1f} s", met(a is not None and a <= target)))
        for mode in ("cold", "warm"):
            a, b = app[mode]["readyMs"], bare[mode]["readyMs"]
            over = None if a is None or b is None else a - b
            rows.append((f"app overhead over bare Pyodide, {mode}", fmt_ms(over, "s"), "", "≤ 0.8 s",
                         met(over is not None and over <= 800)))
    stream = r.get("stream")
    if stream:
        app_w, ref_w = stream["app"]["windows"], stream["reference"]["windows"]
        for key in app_w:
            a, b = app_w[key], ref_w.get(key, {})
            ap95, rp95 = a["latencyMs"]["p95"], (b.get("latencyMs") or {}).get("p95")
            rate = f"{int(key):,}/s"
            if key == "1000":
                target, ok = "p95 ≤ 50 ms and ≤ 3× ref p95 + 20 ms", (
                    None if ap95 is None or rp95 is None else ap95 <= 50 and ap95 <= 3 * rp95 + 20)
            elif key == "5000":
                target, ok = "p95 ≤ 2× ref p95", None if ap95 is None or rp95 is None else ap95 <= 2 * rp95
            else:
                target, ok = "", None
            rows.append((f"{rate} event→DOM p50 / p95 / p99, rows in the page as the event arrived "
                          f"({a['achievedRate']:.0f}/s sent)",
                         tri(a["latencyMs"]), f"reference {tri(b.get('latencyMs'))}", target, met(ok)))
            if a.get("latencyWithParkedMs"):
                rows.append((f"{rate} event→DOM with parked rows (drawn in the background), "
                             f"caught up {a.get('caughtUpSeconds')} s after the drain",
                             tri(a["latencyWithParkedMs"]), "", "", "—"))
            dom_a, dom_b = a["finalDom"].get("percentRight"), (b.get("finalDom") or {}).get("percentRight")
            rows.append((f"{rate} final DOM right (status, assignedTo, eta)", f"{dom_a}%",
                         f"reference {dom_b}%", "100%" if key in ("1000", "5000") else "",
                         met(dom_a == 100) if key in ("1000", "5000") else "—"))
            lt_a, lt_b = a["longTasks"]["percentOfWindow"], (b.get("longTasks") or {}).get("percentOfWindow")
            rows.append((f"{rate} long tasks, % of window", f"{lt_a}%", f"reference {lt_b}%",
                         "< 5%" if key == "1000" else "", met(lt_a < 5) if key == "1000" else "—"))
            rows.append((f"{rate} main thread busy: all tasks (script / layout / style)", busy(a, python=True),
                         f"reference {busy(b)}", "", "—"))
    soak = r.get("soak")
    if soak:
        first = next((x for x in soak["samples"] if x["t"] == soak.get("comparedSample")), soak["samples"][0])
        last = soak["samples"][-1]
        since = "minute 1" if first["t"] > 0 else "start"
        g = soak["growthPercent"]
        label = (f"soak {soak['minutes']:g} min at {soak['rate']:g}/s, {len(soak['drops'])} forced reconnects "
                 f"(every ≥ {soak['reconnectEvery']:g} s)")
        for key, name, unit in (("jsHeapUsed", "JS heap (after GC)", 1e6), ("wasmBytes", "Pyodide wasm memory", 1e6),
                                ("proxies", "live proxies", 1), ("pythonObjects", "Python objects (after gc)", 1)):
            a, b = first.get(key), last.get(key)
            if a is None and b is None:
                continue
            show = (lambda v: "—" if v is None else f"{v / 1e6:.1f} MB") if unit == 1e6 else (
                lambda v: "—" if v is None else str(v))
            growth = g.get(key)
            rows.append((f"{label}: {name}, {since} → end",
                         f"{show(a)} → {show(b)} ({'—' if growth is None else f'{growth:+.1f}%'})", "", "within 10%" if key in ("jsHeapUsed", "wasmBytes", "proxies") else "",
                         met(growth is not None and abs(growth) <= 10) if key in ("jsHeapUsed", "wasmBytes", "proxies")
                         else "—"))
        rows.append((f"{label}: event→DOM p50 / p95 / p99, final DOM", tri(soak["latencyMs"])
                     + f"; {soak['finalDom'].get('percentRight')}% right; sockets opened {last.get('sockets')}, "
                     f"snapshot resyncs {last.get('resyncs')}",
                     "", "", "—"))
    return "\n".join("| " + " | ".join(str(c) for c in row) + " |" for row in rows)


def markdown(r: dict, table: str) -> str:
    m = r["machine"]
    la = r.get("loadAverage", {})
    loads = ", ".join(f"{k} {v[0]:.2f}" for k, v in la.items())
    if table.count("\n") < 2:
        table += "\n\n(no figures in this run's phases; see the JSON" + (", `profile`" if "profile" in r else "") + ")"
    return (f"Run {r['started']} ({r['minutes']} min): `{r['command']}`\n\n"
            f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memory']}, {m.get('chromium', '?')} headless, "
            f"{m['os']}. 1-minute load average: {loads}.\n\n{table}\n")
