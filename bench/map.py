"""The map phase (issue 16): the live map under every driver moving, beside the delivery stream.

    ./dev bench --only map                         # 20 s windows; writes bench/results/map.json
    ./dev bench --only map --window 8 --out /tmp/map.json

One Chromium, one page (10,000 deliveries, 500 staff), and two windows of the
same streams, side by side in each: ``POST /_control/locations {"rate": 500}``
(every staff member once a second, round-robin) while ``POST /_control/stream
{"rate": 1000}`` sends delivery updates. The first window has the map shown,
the second has it hidden with its own button (``[data-testid=map-toggle]``, the
user's path). Each window measures, through bench/instrument.js:

- marker event-to-DOM: from a location event's ``location.at`` (the stub's send
  time, ms) to the moment its marker's ``data-lat``/``data-lon`` show it (a
  MutationObserver); positions superseded within one frame count as drawn
  then; an event repeating the last position (someone standing still) is
  counted apart (``sameAsBefore``): there is nothing to draw;
- delivery rows event-to-DOM, as the stream phase does (rows in the page);
- long tasks as a share of the window (PerformanceObserver);
- the browser's CPU time: every process of this Chromium (the browser, its
  renderer, GPU and utility processes) from ``/proc/<pid>/stat``, utime +
  stime, from the window's start to the end of its drain. The ratio of the
  two windows is the map's cost for the same events;
- beside it, the stub's CPU (it makes and sends every event, on the same
  cores) and the share of the machine's cores busy (``/proc/stat``): a
  window with the machine near 100% busy is bound by the machine, and its
  latencies say as much about the stub, the harness and the other processes
  as about the page.

Targets (issue 16): marker p95 ≤ 100 ms, rows p95 ≤ 50 ms, long tasks < 5%,
CPU with the map ≤ 1.5× without. The stub runs at ``--rate 0``: no other
events and no simulated movement, only the bursts.

The plain-JavaScript reference page (bench/pages/reference.js) then runs the
same two windows in a browser of its own: its 500 dots are plain SVG circles
moved as each event arrives, with no pins, zones or batching. It is the floor
of this machine for these streams, taken in the same run (``reference`` in the
result): a target it misses is out of reach of any page here, not only of ours.
"""

from __future__ import annotations

import os
import time
import urllib.error
from pathlib import Path
from typing import Iterable, Mapping, Optional

from bench.browser import Cdp, chromium, clock_skew_ms, first_page, open_ready
from bench.measure import CDP_TIMES, batch_summary, list_view, say, wait_page_seq, wait_stable_seq
from bench.stats import summary

LOCATION_RATE, STREAM_RATE = 500.0, 1000.0
QUIET_S = 3.0  # no long task for this long before a window starts (``wait_quiet``)
TARGETS = {"markerP95Ms": 100.0, "rowsP95Ms": 50.0, "longTaskPercent": 5.0, "cpuRatio": 1.5}
MAP, TOGGLE, MARKER = "[data-testid=map]", "[data-testid=map-toggle]", "[data-testid=map-staff]"


# --- the browser's CPU time from /proc ------------------------------------------------------------


def parse_stat(text: str) -> tuple[int, int, int]:
    """``(pid, ppid, utime + stime in clock ticks)`` from one ``/proc/<pid>/stat`` line.

    The command name is in parentheses and may hold spaces and parentheses
    itself, so the fields are counted from the *last* ``)``.

    >>> parse_stat("4242 (chrome (x) y) S 4200 1 1 0 -1 4194560 10 0 0 0 150 25 0 0 20 0 9 0")
    (4242, 4200, 175)
    """
    head, _, rest = text.rpartition(")")
    fields = rest.split()  # fields[0] is the state (field 3 of proc(5))
    return int(head.split("(", 1)[0]), int(fields[1]), int(fields[11]) + int(fields[12])


def descendants(parents: Mapping[int, int], roots: Iterable[int]) -> set[int]:
    """The roots and every process below them, from a pid -> ppid map.

    >>> sorted(descendants({1: 0, 10: 1, 11: 10, 12: 11, 20: 1}, [10]))
    [10, 11, 12]
    """
    children: dict[int, list[int]] = {}
    for pid, ppid in parents.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = set(), [r for r in roots if r in parents]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, ()))
    return found


def browser_cpu_seconds(profile: Path | str, proc: Path = Path("/proc")) -> Optional[float]:
    """CPU seconds (user + system) of the Chromium using ``profile`` and every process under it; None
    when no such browser runs. The browser is the process whose command line names
    ``--user-data-dir=<profile>``; processes that ended are not counted (a renderer lives for the page)."""
    marker = f"--user-data-dir={profile}".encode()
    parents, ticks, roots = {}, {}, []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            pid, ppid, used = parse_stat((entry / "stat").read_text())
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile, or not ours to read
        parents[pid], ticks[pid] = ppid, used
        if marker in cmdline.split(b"\0"):
            roots.append(pid)
    if not roots:
        return None
    tree = descendants(parents, roots)
    return sum(ticks[pid] for pid in tree) / os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int, proc: Path = Path("/proc")) -> Optional[float]:
    """CPU seconds (user + system) of one process; None when it is gone or not ours to read."""
    try:
        return parse_stat((proc / str(pid) / "stat").read_text())[2] / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def machine_ticks(proc: Path = Path("/proc")) -> Optional[tuple[int, int]]:
    """``(busy, idle)`` clock ticks of every core together, from ``/proc/stat``'s ``cpu`` line.
    Idle counts ``idle`` and ``iowait``; busy is the rest, ``steal`` (another guest's turn) included.

    The share of the machine busy over a window says whether the window's figures were bound by
    the machine (the stub, the harness and the browser on the same cores) more than by the page.
    """
    try:
        fields = (proc / "stat").read_text().split("\n", 1)[0].split()
        values = [int(x) for x in fields[1:9]]  # user nice system idle iowait irq softirq steal
    except (OSError, ValueError):
        return None
    if fields[0] != "cpu" or len(values) < 8:
        return None
    idle = values[3] + values[4]
    return sum(values) - idle, idle


def busy_percent(before: Optional[tuple[int, int]], after: Optional[tuple[int, int]]) -> Optional[float]:
    """The share of the machine's cores busy between two ``machine_ticks`` readings.

    >>> busy_percent((100, 900), (250, 950))
    75.0
    """
    if before is None or after is None:
        return None
    busy, idle = after[0] - before[0], after[1] - before[1]
    return round(100 * busy / (busy + idle), 1) if busy + idle > 0 else None


# --- one window ---------------------------------------------------------------------------------------


def map_window(stub, page, cdp: Cdp, profile: Path, *, seconds: float, location_rate: float,
               stream_rate: float, drain_timeout_s: float = 120.0) -> dict:
    """Both bursts side by side for ``seconds``, drained; the figures of this window."""
    view = list_view(page)
    skew = clock_skew_ms(page)
    before = stub.stats()
    metrics0 = cdp.metrics()
    stub_pid = stub.proc.pid
    cpu0, wall0 = browser_cpu_seconds(profile), time.monotonic()
    stub0, machine0 = process_cpu_seconds(stub_pid), machine_ticks()
    page.evaluate("__bench.start()")
    stub.control("locations", {"rate": location_rate, "seconds": seconds})
    stub.control("stream", {"rate": stream_rate, "seconds": seconds})
    time.sleep(seconds)
    seq_end = wait_stable_seq(stub, timeout_s=30)
    stream_end = time.monotonic()
    drained = wait_page_seq(page, seq_end, drain_timeout_s)
    drain_s = time.monotonic() - stream_end
    probe = page.evaluate("__bench.stop()")
    cpu1, wall1 = browser_cpu_seconds(profile), time.monotonic()
    stub1, machine1 = process_cpu_seconds(stub_pid), machine_ticks()
    metrics1 = cdp.metrics()
    figures = window_figures(probe, skew=skew, events=seq_end - before["seq"], seconds=seconds, drained=drained,
                             drain_s=drain_s, cpu=(cpu0, cpu1), wall_s=wall1 - wall0, stub_cpu=(stub0, stub1),
                             machine_busy=busy_percent(machine0, machine1),
                             main_thread={name: metrics1.get(name, 0) - metrics0.get(name, 0) for name in CDP_TIMES})
    return {**figures, "listView": view}


def window_figures(probe: dict, *, skew: float, events: int, seconds: float, drained: bool, drain_s: float,
                   cpu: tuple[Optional[float], Optional[float]], wall_s: float, main_thread: dict,
                   stub_cpu: tuple[Optional[float], Optional[float]] = (None, None),
                   machine_busy: Optional[float] = None) -> dict:
    """The JSON of one window from the probe's ``__bench.stop()`` and the harness's own readings."""
    window_ms = probe["t1"] - probe["t0"]
    cpu_s = None if None in cpu else round(cpu[1] - cpu[0], 2)
    stub_s = None if None in stub_cpu else round(stub_cpu[1] - stub_cpu[0], 2)
    return {
        "seconds": seconds, "events": events, "achievedRate": round(events / seconds, 1),
        "drained": drained, "drainSeconds": round(drain_s, 2), "windowMs": round(window_ms),
        "clockSkewMs": round(skew, 2),
        "markers": {
            "locationEvents": probe["locEvents"], "sameAsBefore": probe["locSame"],
            "latencyMs": summary(x - skew for x in probe["markerLat"]),
            "toMessageEventMs": summary(x - skew for x in probe["markerNet"]),
            "superseded": probe["markerSuperseded"], "unshown": probe["markerUnshown"],
            "strayMutations": probe["markerStray"],
        },
        "rows": {"latencyMs": summary(x - skew for x in probe["latShown"]), "eventsInPage": len(probe["latShown"]),
                 "unshown": probe["unshown"]},
        "longTasks": {"count": probe["longCount"], "ms": round(probe["longMs"]),
                      "percentOfWindow": round(100 * probe["longMs"] / window_ms, 2) if window_ms else None},
        "mainThread": {name: round(100 * value * 1000 / window_ms, 1) for name, value in main_thread.items()}
        if window_ms else {},
        "pythonBatches": batch_summary(probe["batches"], window_ms) if window_ms else {"calls": 0},
        "cpu": {"seconds": cpu_s, "wallSeconds": round(wall_s, 2),
                "percentOfACore": round(100 * cpu_s / wall_s, 1) if cpu_s is not None and wall_s else None},
        "stubCpu": {"seconds": stub_s,
                    "percentOfACore": round(100 * stub_s / wall_s, 1) if stub_s is not None and wall_s else None},
        "machineBusyPercent": machine_busy,
    }


# --- the phase ----------------------------------------------------------------------------------------


def show_map(page, shown: bool, timeout_s: float = 30.0) -> None:
    """Show or hide the map with its button (at most two presses), and wait until it is so."""
    for _ in range(2):
        if page.locator(MAP).first.is_visible() == shown:
            break
        page.locator(TOGGLE).first.click()
        try:
            page.locator(MAP).first.wait_for(state="visible" if shown else "hidden", timeout=timeout_s * 1000 / 2)
        except Exception:  # Playwright's TimeoutError: look again, then press once more
            pass
    if page.locator(MAP).first.is_visible() != shown:
        raise RuntimeError(f"the map did not become {'shown' if shown else 'hidden'} with {TOGGLE}")


#: Milliseconds since the end of the page's last long task (0 while none has ended yet counts as quiet).
SINCE_LONG_TASK_JS = """() => { const l = __bench.longtasks; const n = l.length;
    return n ? performance.now() - (l[n - 2] + l[n - 1]) : performance.now(); }"""


def wait_quiet(page, quiet_s: float = QUIET_S, timeout_s: float = 90.0) -> Optional[float]:
    """Wait until the page has run no long task for ``quiet_s`` (the work after a load or a toggle, such
    as rows built and frozen in the background, is over), at most ``timeout_s``; the seconds it took,
    None if it never went quiet. A fixed pause was not enough: whichever window ran first was slower."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if page.evaluate(SINCE_LONG_TASK_JS) >= quiet_s * 1000 and page.evaluate("__bench.caughtUp()"):
            return round(time.monotonic() - start, 1)
        time.sleep(0.25)
    return None


def markers_right(stub, page, token: str) -> dict:
    """Every staff member's marker against the server's snapshot, compared numerically."""
    status, snapshot = stub.api("GET", "snapshot", token=token)
    if status != 200:
        return {"error": f"snapshot answered {status}"}
    return compare_markers(snapshot["staff"], page.evaluate("__bench.markers()"))


def compare_markers(staff: list, markers: Mapping[str, list]) -> dict:
    """``markers``: id -> [data-lat, data-lon] text; a person without a location needs no marker.

    >>> compare_markers([{"id": "S-1", "location": {"lat": 52.5, "lon": 13.4}}, {"id": "S-2", "location": None}],
    ...                 {"S-1": ["52.50", "13.4"]})
    {'located': 1, 'right': 1, 'missing': 0, 'wrong': 0, 'percentRight': 100.0, 'firstWrong': []}
    """
    located = [m for m in staff if m.get("location")]
    wrong, missing = [], 0
    for member in located:
        got = markers.get(member["id"])
        want = (member["location"]["lat"], member["location"]["lon"])
        if got is None:
            missing += 1
            continue
        try:
            same = (float(got[0]), float(got[1])) == want
        except (TypeError, ValueError):
            same = False
        if not same:
            wrong.append({"id": member["id"], "want": list(want), "got": got})
    right = len(located) - missing - len(wrong)
    return {"located": len(located), "right": right, "missing": missing, "wrong": len(wrong),
            "percentRight": round(100 * right / len(located), 2) if located else None, "firstWrong": wrong[:5]}


def map_phase(playwright, stub, token: str, profile: Path, url: str, rows: int, staff: int, seconds: float, *,
              location_rate: float = LOCATION_RATE, stream_rate: float = STREAM_RATE,
              first: str = "shown", marker_timeout_s: float = 120.0, hook: bool = True) -> dict:
    """The map shown and hidden (``first`` first), under the same two bursts; see the module docstring.
    ``hook``: time the app's Python batches (False for a page without Python)."""
    out: dict = {"locationRate": location_rate, "streamRate": stream_rate, "seconds": seconds, "staff": staff,
                 "first": first}
    with chromium(playwright, profile, expectRows=rows, hookPython=hook) as context:
        page = first_page(context)
        open_ready(page, url, rows=rows)
        try:  # the panels mount with the board; give a loaded machine a while before calling the map absent
            page.wait_for_selector(TOGGLE, state="attached", timeout=30_000)
        except Exception:  # Playwright's TimeoutError
            pass
        try:
            stub.control("locations", {"rate": 0, "seconds": 1})  # rate 0 ends a burst: is the route there?
        except urllib.error.HTTPError as error:
            out["error"] = f"the stub answered {error.code} to /_control/locations: no location bursts in this build"
            say(f"map: {out['error']}")
            return out
        windows: tuple = (("shown", True), ("hidden", False))
        if first == "hidden":
            windows = windows[::-1]
        if not page.locator(TOGGLE).count() or not page.locator(MAP).count():
            out["note"] = (f"no {MAP} or {TOGGLE} on the page (the map panel is not in this build): "
                           "only the window without a map was measured")
            say(f"map: {out['note']}")
            windows = (("hidden", None),)
        else:
            show_map(page, True)
            page.wait_for_selector(f"{MARKER}[data-lat]", state="attached", timeout=marker_timeout_s * 1000)
        cdp = Cdp(context, page)
        for key, shown in windows:
            if shown is not None:
                show_map(page, shown)
            out.setdefault("quietBeforeSeconds", {})[key] = wait_quiet(page)
            say(f"map {key}: {location_rate:g} locations/s + {stream_rate:g} delivery updates/s for {seconds:g} s")
            window = map_window(stub, page, cdp, profile, seconds=seconds, location_rate=location_rate,
                                stream_rate=stream_rate, drain_timeout_s=max(120.0, 30 * seconds))
            if shown:
                window["markersRight"] = markers_right(stub, page, token)
            out[key] = window
            m, r = window["markers"]["latencyMs"], window["rows"]["latencyMs"]
            say(f"  markers p95 {m['p95']} ms (n {m['n']}); rows p95 {r['p95']} ms; long tasks "
                f"{window['longTasks']['percentOfWindow']}%; CPU {window['cpu']['seconds']} s; "
                f"drain {window['drainSeconds']} s")
            time.sleep(2)
        if len(windows) > 1:
            show_map(page, True)  # leave the choice as found (the profile remembers it)
        cdp.detach()
    out["verdict"] = verdict(out)
    return out


# --- against the targets, and the table ------------------------------------------------------------------


def verdict(result: dict) -> dict:
    """Each target: the figure, and whether it is met (None when the figure is missing)."""
    shown, hidden = result.get("shown") or {}, result.get("hidden") or {}
    marker = ((shown.get("markers") or {}).get("latencyMs") or {}).get("p95")
    rows = ((shown.get("rows") or {}).get("latencyMs") or {}).get("p95")
    long_tasks = (shown.get("longTasks") or {}).get("percentOfWindow")
    cpu_shown, cpu_hidden = (shown.get("cpu") or {}).get("seconds"), (hidden.get("cpu") or {}).get("seconds")
    ratio = round(cpu_shown / cpu_hidden, 2) if cpu_shown is not None and cpu_hidden else None

    def within(value, limit, strict=False):
        return None if value is None else (value < limit if strict else value <= limit)

    return {
        "markerP95Ms": {"value": marker, "met": within(marker, TARGETS["markerP95Ms"])},
        "rowsP95Ms": {"value": rows, "met": within(rows, TARGETS["rowsP95Ms"])},
        "longTaskPercent": {"value": long_tasks, "met": within(long_tasks, TARGETS["longTaskPercent"], strict=True)},
        "cpuRatio": {"value": ratio, "met": within(ratio, TARGETS["cpuRatio"])},
    }


def _tri(lat: Optional[dict]) -> str:
    if not lat or lat.get("p50") is None:
        return "—"
    show = lambda x: "—" if x is None else f"{x:.0f}" if x >= 10 else f"{x:.1f}"  # noqa: E731
    return " / ".join(show(lat.get(k)) for k in ("p50", "p95", "p99")) + " ms"


def _met(ok) -> str:
    return "—" if ok is None else ("yes" if ok else "**no**")


def render(result: dict) -> str:
    """The phase's markdown table: map shown, map hidden, target, met; then the JS reference's two
    windows when the run has them (``result["reference"]``)."""
    if result.get("error"):
        return f"Map phase: not measured: {result['error']}."
    table = _table(result)
    ref = result.get("reference")
    if ref:
        title = ("Plain-JS reference page, same streams, same run (500 SVG dots moved as each event arrives, "
                 "no pins or zones): the floor of this machine.")
        table += "\n\n" + (f"{title} Not measured: {ref['error']}." if ref.get("error") else f"{title}\n\n{_table(ref)}")
    return table


def _table(result: dict) -> str:
    shown, hidden = result.get("shown") or {}, result.get("hidden") or {}
    v = result.get("verdict") or verdict(result)
    loc, rate = result["locationRate"], result["streamRate"]
    rows = [("figure", "map shown", "map hidden (same streams)", "target", "met"), ("---",) * 5]

    def cell(window, *path, fmt=str):
        value = window
        for key in path:
            value = (value or {}).get(key)
        return "—" if value is None else fmt(value)

    markers = shown.get("markers") or {}
    drawn_hidden = ((hidden.get("markers") or {}).get("latencyMs") or {}).get("n")
    hidden_markers = (f"{_tri(hidden['markers']['latencyMs'])} ({drawn_hidden} moves drawn)" if drawn_hidden
                      else "none drawn" if drawn_hidden == 0 else "—")
    rows.append((f"marker event→DOM p50 / p95 / p99 ({cell(markers, 'latencyMs', 'n')} moves drawn, "
                 f"{cell(markers, 'superseded')} superseded in a frame, {cell(markers, 'unshown')} never drawn)",
                 _tri(markers.get("latencyMs")), hidden_markers, f"p95 ≤ {TARGETS['markerP95Ms']:.0f} ms",
                 _met(v["markerP95Ms"]["met"])))
    rows.append(("location event→the page's message event p50 / p95 / p99 (before any of the page's code runs)",
                 _tri(markers.get("toMessageEventMs")), "—", "", "—"))
    rows.append(("delivery rows event→DOM p50 / p95 / p99, rows in the page",
                 _tri((shown.get("rows") or {}).get("latencyMs")), _tri((hidden.get("rows") or {}).get("latencyMs")),
                 f"p95 ≤ {TARGETS['rowsP95Ms']:.0f} ms", _met(v["rowsP95Ms"]["met"])))
    rows.append(("long tasks, % of the window", cell(shown, "longTasks", "percentOfWindow", fmt=lambda x: f"{x}%"),
                 cell(hidden, "longTasks", "percentOfWindow", fmt=lambda x: f"{x}%"),
                 f"< {TARGETS['longTaskPercent']:.0f}%", _met(v["longTaskPercent"]["met"])))
    def cpu(window) -> str:
        used = (window or {}).get("cpu") or {}
        if used.get("seconds") is None:
            return "—"
        share = used.get("percentOfACore")
        return f"{used['seconds']:.1f} s" + ("" if share is None else f" ({share:.0f}% of a core)")

    ratio = v["cpuRatio"]["value"]
    rows.append(("browser CPU time (all its processes, /proc), window + drain", cpu(shown), cpu(hidden),
                 f"≤ {TARGETS['cpuRatio']:g}× hidden" + ("" if ratio is None else f" (ratio {ratio:.2f}×)"),
                 _met(v["cpuRatio"]["met"])))
    stub = lambda w: cell(w, "stubCpu", "percentOfACore", fmt=lambda x: f"{x:.0f}% of a core")  # noqa: E731
    rows.append(("the stub's CPU (the load generator, on the same cores), window + drain", stub(shown),
                 stub(hidden), "", "—"))
    machine = lambda w: cell(w, "machineBusyPercent", fmt=lambda x: f"{x:.0f}%")  # noqa: E731
    rows.append(("the machine's cores busy, every process, window + drain (near 100%, the latencies are the "
                 "machine's as much as the page's)", machine(shown), machine(hidden), "", "—"))
    busy = lambda w: cell(w, "mainThread", "TaskDuration", fmt=lambda x: f"{x:.0f}%")  # noqa: E731
    rows.append(("renderer main thread busy, all tasks (CDP TaskDuration; near 100% the CPU ratio says little: "
                 "both windows are capped at a core)", busy(shown), busy(hidden), "", "—"))
    rows.append((f"events sent ({loc:g} locations/s + {rate:g} delivery updates/s asked)",
                 cell(shown, "achievedRate", fmt=lambda x: f"{x:g}/s"), cell(hidden, "achievedRate", fmt=lambda x: f"{x:g}/s"),
                 "", "—"))
    rows.append(("drain after the window", cell(shown, "drainSeconds", fmt=lambda x: f"{x:g} s"),
                 cell(hidden, "drainSeconds", fmt=lambda x: f"{x:g} s"), "", "—"))
    right = shown.get("markersRight") or {}
    if right.get("percentRight") is not None:
        rows.append(("markers at the server's positions after the drain", f"{right['percentRight']}% of "
                     f"{right['located']}", "", "100%", _met(right["percentRight"] == 100)))
    table = "\n".join("| " + " | ".join(str(c) for c in row) + " |" for row in rows)
    return f"Map phase: {result['note']}.\n\n{table}" if result.get("note") else table
