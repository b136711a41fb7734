"""The measurements: load visits, stream windows, the soak, and the profiling pass.

Each function takes a running ``Stub`` (tests/e2e/harness.py) and Playwright
objects, bounds every wait, and returns plain dicts for the JSON report.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path

from app.config import DEFAULT_VIEW
from bench.browser import Cdp, chromium, clock_skew_ms, first_page, open_ready
from bench.stats import median, summary

CDP_TIMES = ("TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration")


def say(text: str) -> None:
    print(f"bench: {text}", flush=True)


# --- load ------------------------------------------------------------------------


def load_phase(playwright, work: Path, pages: dict, repeats: int, rows_wait_s: float) -> dict:
    """Cold: a fresh profile per visit. Warm: one profile per page visited once
    (filling its HTTP and wasm code caches), then ``repeats`` timed second visits,
    each in a newly launched Chromium. Visits of the pages are interleaved.
    After ready, a visit waits at most ``rows_wait_s`` for every row to be built."""
    runs = {kind: {"cold": [], "warm": []} for kind in pages}

    def visit(kind: str, profile: Path, mode: str | None, number: int = 0) -> None:
        url, rows = pages[kind]
        with chromium(playwright, profile, expectRows=rows) as context:
            marks = open_ready(first_page(context), url, rows=rows, rows_timeout_s=rows_wait_s)
        if mode is None:
            return
        runs[kind][mode].append(marks)
        rows_text = ""
        if rows:
            rows_text = (f", all rows {marks['rowsAt']:.0f} ms" if marks["rowsAt"] is not None else
                         f", {marks['rowsBuilt']} of {rows} rows built after {marks['pageNow'] / 1000:.0f} s")
        say(f"load {kind} {mode} #{number + 1}: ready {marks['readyAt']:.0f} ms{rows_text}")

    for rep in range(repeats):
        for kind in pages:
            visit(kind, work / f"cold-{kind}-{rep}", "cold", rep)
    for kind in pages:
        visit(kind, work / f"warm-{kind}", None)  # the first visit fills the profile's caches
    for rep in range(repeats):
        for kind in pages:
            visit(kind, work / f"warm-{kind}", "warm", rep)
    result = {"rowsWaitSeconds": rows_wait_s}
    for kind, by_mode in runs.items():
        result[kind] = {}
        for mode, visits in by_mode.items():
            complete = all(v["rowsAt"] is not None for v in visits)
            result[kind][mode] = {
                "readyMs": median(v["readyAt"] for v in visits),
                "allRowsMs": median(v["rowsAt"] for v in visits) if complete else None,
                "allRowsWithinWait": complete,
                "runs": visits,
            }
    return result


# --- streams ---------------------------------------------------------------------


def wait_stable_seq(stub, timeout_s: float, quiet_s: float = 0.5) -> int:
    deadline = time.monotonic() + timeout_s
    last, since = stub.stats()["seq"], time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        seq = stub.stats()["seq"]
        if seq != last:
            last, since = seq, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            break
    return last


def wait_page_seq(page, seq: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        shown = page.evaluate("__bench.lastSeq()")
        if shown is not None and shown >= seq:
            return True
        time.sleep(0.2)
    return False


def wait_caught_up(page, timeout_s: float) -> float | None:
    """Seconds until the app's parked rows are all drawn (deliveries.py ``_catch_up``); None if not in time."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if page.evaluate("__bench.caughtUp()"):
            return round(time.monotonic() - start, 2)
        time.sleep(0.1)
    return None


def app_rows(deliveries: int, page_rows: int = DEFAULT_VIEW["pageRows"]) -> int:
    """The rows the app builds after a load: the window and the next page (deliveries/panel.py
    builds the others only when a change of window, filter or sort needs them)."""
    return min(deliveries, 2 * page_rows)


def dom_check(stub, page, token: str) -> dict:
    """Every built row against the server's snapshot (its data-values). ``missing``: deliveries with
    no row, expected from the app (it builds rows only as they may be shown: ``app_rows``), not from
    the reference page; ``percentRight`` is of the rows built."""
    status, snapshot = stub.api("GET", "snapshot", token=token)
    if status != 200:
        return {"error": f"snapshot answered {status}"}
    shown = page.evaluate("__bench.rows()")
    wrong, missing = [], 0
    for d in snapshot["deliveries"]:
        want = [d["status"], d.get("assignedTo") or "", d.get("eta") or ""]
        got = shown.get(d["id"])
        if got is None:
            missing += 1
        elif got != want:
            wrong.append({"id": d["id"], "want": want, "got": got})
    total = len(snapshot["deliveries"])
    built = total - missing
    right = built - len(wrong)
    return {"deliveries": total, "built": built, "right": right, "missing": missing, "wrong": len(wrong),
            "extraRows": len(set(shown) - {d["id"] for d in snapshot["deliveries"]}),
            "percentRight": round(100 * right / built, 3) if built else None, "firstWrong": wrong[:5]}


def batch_summary(flat: list, window_ms: float) -> dict:
    """The app's Python batch calls (bridge onBatch): how many, how long, how full."""
    starts, durations, sizes = flat[0::3], flat[1::3], flat[2::3]
    if not durations:
        return {"calls": 0}
    total_ms, events = sum(durations), sum(sizes)
    return {"calls": len(durations), "totalMs": round(total_ms), "percentOfWindow": round(100 * total_ms / window_ms, 1),
            "framesPerCall": round(events / len(durations), 1), "callMs": summary(durations),
            "usPerFrame": round(1000 * total_ms / events, 1) if events else None}


#: The page's Python collector, timed over a stream window (app.heap keeps its pauses off the board's size).
GC_WATCH_ON = ("import gc as _bench_gc, time as _bench_time\n_bench_gc_ms = []\n_bench_gc_t = [0.0]\n"
               "def _bench_gc_cb(phase, info):\n"
               "    if phase == 'start': _bench_gc_t[0] = _bench_time.perf_counter()\n"
               "    else: _bench_gc_ms.append((_bench_time.perf_counter() - _bench_gc_t[0]) * 1000)\n"
               "_bench_gc.callbacks.append(_bench_gc_cb)")
GC_WATCH_OFF = ("import json\n_bench_gc.callbacks.remove(_bench_gc_cb)\n"
                "json.dumps({'ms': _bench_gc_ms, 'frozen': _bench_gc.get_freeze_count()})")


def gc_summary(text) -> dict | None:
    """The page's collections in the window: how many, their total and longest (None: no Python)."""
    if not isinstance(text, str):
        return None
    data = json.loads(text)
    return {"collections": len(data["ms"]), "totalMs": round(sum(data["ms"]), 1),
            "maxMs": round(max(data["ms"], default=0.0), 1), "frozenObjects": data["frozen"]}


#: What a coordinator sees of the deliveries list: whether a sign-in form is on the page, and how
#: many rows lie inside the list's scroll viewport and the window. A stream measured while the list
#: is collapsed to 0 px (a sign-in form left over the board once did that to every ``#token=``
#: visit) skips the rows' layout and paint and reads about half the true latency.
LIST_VIEW = """() => {
    const list = document.querySelector("[data-testid=delivery-list]");
    const login = document.getElementById("login-view");
    const loginShown = Boolean(login && login.getClientRects().length && getComputedStyle(login).visibility !== "hidden");
    if (!list) return {loginShown, rowsInView: 0, viewportPx: 0};
    let port = list.parentElement;
    while (port && port !== document.body && !/(auto|scroll)/.test(getComputedStyle(port).overflowY)) port = port.parentElement;
    const box = (port || document.documentElement).getBoundingClientRect();
    const top = Math.max(box.top, 0), bottom = Math.min(box.bottom, innerHeight);
    let rowsInView = 0;
    for (const row of list.children) {
        const r = row.getBoundingClientRect();
        if (r.bottom > top && r.top < bottom && r.height > 0) rowsInView += 1;
        else if (r.top >= bottom) break;
    }
    return {loginShown, rowsInView, viewportPx: Math.max(0, Math.round(bottom - top))};
}"""


def list_view(page) -> dict:
    """What a coordinator sees of the list; raises when the rows are not on screen (see LIST_VIEW)."""
    view = page.evaluate(LIST_VIEW)
    if view["loginShown"] or view["rowsInView"] == 0:
        raise RuntimeError(f"the deliveries list is not on screen ({view}): a latency measured now would skip "
                           "the rows' layout and paint")
    return view


def stream_window(stub, page, cdp: Cdp, token: str, rate: float, seconds: float, *, drain_timeout_s: float = 300,
                  drained_hook=None) -> dict:
    """One stream at ``rate`` for ``seconds``, drained, then checked; ``drained_hook()`` runs
    right after the drain (before the DOM check), e.g. to stop a profiler."""
    view = list_view(page)
    skew = clock_skew_ms(page)
    before = stub.stats()
    sockets = before["openSockets"]
    metrics0 = cdp.metrics()
    diag0 = page.evaluate("__bench.diagnostics()")
    page.evaluate(f"__bench.python({json.dumps(GC_WATCH_ON)})")
    page.evaluate("__bench.start()")
    started = time.monotonic()
    stub.control("stream", {"rate": rate, "seconds": seconds})
    time.sleep(seconds)
    seq_end = wait_stable_seq(stub, timeout_s=30)
    stream_end = time.monotonic()
    drained = wait_page_seq(page, seq_end, drain_timeout_s)
    drain_s = time.monotonic() - stream_end
    probe = page.evaluate("__bench.stop()")
    python_gc = gc_summary(page.evaluate(f"__bench.python({json.dumps(GC_WATCH_OFF)})"))
    hooked = drained_hook() if drained_hook is not None else None
    after = stub.stats()
    metrics1 = cdp.metrics()
    diag1 = page.evaluate("__bench.diagnostics()")
    caught_up_s = wait_caught_up(page, 120)
    dom = dom_check(stub, page, token)
    window_ms = probe["t1"] - probe["t0"]
    events = seq_end - before["seq"]
    lat = [x - skew for x in probe["latShown"]]  # events for rows in the page as they arrived: what a coordinator sees
    lat_all = [x - skew for x in probe["lat"]]
    in_page = [total - net for total, net in zip(probe["lat"], probe["net"])]
    result = {
        "rate": rate, "seconds": seconds, "events": events,
        "achievedRate": round(events / seconds, 1),
        "openSocketsAtStart": sockets, "clockSkewMs": round(skew, 2),
        # sockets the page opened during the window (a server close, e.g. 1008 too slow, then a reconnect)
        "newConnections": after["totalConnections"] - before["totalConnections"],
        "drained": drained, "drainSeconds": round(drain_s, 2), "windowMs": round(window_ms),
        "listView": view,  # rows on screen while measured (LIST_VIEW)
        "latencyMs": summary(lat),
        # every event, parked rows included: drawn as they come into the page, or in the background
        "latencyWithParkedMs": summary(lat_all), "eventsInPage": len(lat),
        "caughtUpSeconds": caught_up_s,  # after the drain, until the last parked row was drawn
        # ts -> the page's WebSocket message event (server send, network, and the wait for the main thread)
        "toMessageEventMs": summary(x - skew for x in probe["net"]),
        "messageToDomMs": summary(in_page),  # that message event -> its row's eta data-value changed
        "shown": len(lat_all), "superseded": probe["superseded"], "unshown": probe["unshown"],
        "strayMutations": probe["strayMutations"], "received": probe["received"],
        "longTasks": {"count": probe["longCount"], "ms": round(probe["longMs"]),
                      "percentOfWindow": round(100 * probe["longMs"] / window_ms, 2) if window_ms else None},
        "mainThread": {name: round(100 * (metrics1.get(name, 0) - metrics0.get(name, 0)) * 1000 / window_ms, 1)
                       for name in CDP_TIMES},
        "pythonBatches": batch_summary(probe["batches"], window_ms),
        "pythonGc": python_gc,
        "frameCallbacks": {"calls": len(probe["frames"]) // 2, "totalMs": round(sum(probe["frames"][1::2]))},
        "finalDom": dom,
    }
    if hooked is not None:
        result["hook"] = hooked
    if diag0 and diag1:
        result["appCounters"] = {k: (diag1[k] - diag0[k]) if isinstance(diag1.get(k), (int, float)) and
                                 isinstance(diag0.get(k), (int, float)) else diag1.get(k)
                                 for k in ("received", "applied", "invalid", "duplicates", "resyncs", "sockets")}
    return result


def stream_phase(playwright, stub, token: str, profile: Path, url: str, rows: int, rates, seconds: float,
                 *, hook: bool, label: str) -> dict:
    out = {}
    with chromium(playwright, profile, expectRows=rows, hookPython=hook) as context:
        page = first_page(context)
        open_ready(page, url, rows=rows)
        cdp = Cdp(context, page)
        version = cdp.version()
        time.sleep(3)  # let start-up work (compilation, GC) settle
        for rate in rates:
            say(f"stream {label} {rate:g}/s for {seconds:g} s")
            window = stream_window(stub, page, cdp, token, rate, seconds, drain_timeout_s=max(120.0, 30 * seconds))
            out[str(int(rate))] = window
            lat = window["latencyMs"]
            say(f"  p50 {lat['p50']} p95 {lat['p95']} p99 {lat['p99']} ms; achieved {window['achievedRate']}/s; "
                f"DOM {window['finalDom'].get('percentRight')}% right; long tasks "
                f"{window['longTasks']['percentOfWindow']}%; drain {window['drainSeconds']} s")
            time.sleep(2)
        cdp.detach()
    return {"windows": out, "chromium": version}


# --- soak --------------------------------------------------------------------------

#: Frozen objects (app/heap.py) are in no generation: counted apart, or the figure would drop at every freeze.
PY_COUNTS = ("import gc, sys, json\ngc.collect()\n"
             "json.dumps([len(gc.get_objects()) + gc.get_freeze_count(), sys.getallocatedblocks()])")


def soak_sample(stub, page, cdp: Cdp, elapsed: float) -> dict:
    heap = cdp.heap(collect=True)
    memory = page.evaluate("__bench.memory()")
    diag = page.evaluate("__bench.diagnostics()") or {}
    metrics = cdp.metrics()
    py = page.evaluate(f"__bench.python({json.dumps(PY_COUNTS)})")
    objects, blocks = json.loads(py) if isinstance(py, str) else (None, None)
    return {"t": round(elapsed, 1), "jsHeapUsed": heap["used"], "jsHeapTotal": heap["total"],
            "performanceMemoryUsed": memory["jsHeapUsed"], "wasmBytes": memory["wasmBytes"],
            "heapU8": memory["heapU8"], "pythonObjects": objects, "pythonBlocks": blocks,
            "proxies": diag.get("proxies"), "sockets": diag.get("sockets"), "resyncs": diag.get("resyncs"),
            "domNodes": memory["domNodes"], "listeners": metrics.get("JSEventListeners"),
            "lastSeq": diag.get("last-seq"), "serverSeq": stub.stats()["seq"]}


def soak_phase(playwright, stub, token: str, profile: Path, url: str, rows: int, minutes: float,
               rate: float = 200, reconnect_every: float = 30) -> dict:
    seconds = minutes * 60
    with chromium(playwright, profile, expectRows=rows, hookPython=True) as context:
        page = first_page(context)
        open_ready(page, url, rows=rows)
        cdp = Cdp(context, page)
        time.sleep(3)
        skew = clock_skew_ms(page)
        samples = [soak_sample(stub, page, cdp, 0.0)]
        say(f"soak {minutes:g} min at {rate:g}/s, a forced reconnect every {reconnect_every:g} s")
        page.evaluate("__bench.start()")
        started = time.monotonic()
        stub.control("stream", {"rate": rate, "seconds": seconds})
        drops = []
        next_drop = reconnect_every / 2  # drops fall between the minute samples
        next_sample = 60.0
        while True:
            elapsed = time.monotonic() - started
            if elapsed >= seconds:
                break
            due = min(next_drop, next_sample, seconds)
            if due > elapsed:
                time.sleep(min(due - elapsed, 5.0))
                continue
            if next_sample <= elapsed and next_sample <= seconds:
                sample = soak_sample(stub, page, cdp, elapsed)
                samples.append(sample)
                say(f"  minute {len(samples) - 1}: JS heap {sample['jsHeapUsed'] / 1e6:.1f} MB, wasm "
                    f"{sample['wasmBytes'] / 1e6:.1f} MB, proxies {sample['proxies']}, sockets {sample['sockets']}")
                next_sample += 60
            if next_drop <= elapsed:
                drops.append({"t": round(elapsed, 1), "sockets": stub.control("drop", {"code": None})["sockets"]})
                next_drop += reconnect_every
        seq_end = wait_stable_seq(stub, timeout_s=30)
        drained = wait_page_seq(page, seq_end, 120)
        if not samples or samples[-1]["t"] < seconds - 1:
            samples.append(soak_sample(stub, page, cdp, time.monotonic() - started))
        probe = page.evaluate("__bench.stop()")
        caught_up_s = wait_caught_up(page, 120)
        dom = dom_check(stub, page, token)
        cdp.detach()
    # "minute 1" is the sample one minute in; a soak of a minute or less compares with the start.
    first = samples[1] if len(samples) > 2 else samples[0]
    last = samples[-1]

    def growth(key):
        a, b = first.get(key), last.get(key)
        return round(100 * (b - a) / a, 1) if a and b is not None else None

    return {
        "minutes": minutes, "rate": rate, "reconnectEvery": reconnect_every, "drops": drops, "drained": drained,
        "comparedSample": first["t"], "samples": samples, "latencyMs": summary(x - skew for x in probe["latShown"]),
        "latencyWithParkedMs": summary(x - skew for x in probe["lat"]), "unshown": probe["unshown"],
        "caughtUpSeconds": caught_up_s, "finalDom": dom,
        "growthPercent": {key: growth(key) for key in ("jsHeapUsed", "wasmBytes", "proxies", "pythonObjects",
                                                       "pythonBlocks", "domNodes", "listeners")},
    }


# --- profiling ----------------------------------------------------------------------

PSTATS = ("_bench_prof.disable()\nimport io, pstats\n_s = io.StringIO()\n"
          "_p = pstats.Stats(_bench_prof, stream=_s)\n_p.sort_stats('tottime').print_stats({n})\n"
          "_p.sort_stats('cumtime').print_stats({n})\n_s.getvalue()")
PROFILE_ON = "import cProfile as _bench_cp\n_bench_prof = _bench_cp.Profile()\n_bench_prof.enable()"


def cpu_profile_summary(profile: dict, top: int = 25) -> dict:
    """Self time by function and by category from a CDP sampling profile."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    self_us: dict[int, float] = defaultdict(float)
    for node_id, delta in zip(profile["samples"], profile["timeDeltas"]):
        self_us[node_id] += delta
    total = sum(self_us.values()) or 1
    parent = {child: n["id"] for n in profile["nodes"] for child in n.get("children", ())}
    by_function: dict[str, float] = defaultdict(float)
    by_category: dict[str, float] = defaultdict(float)
    callers: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))

    def label(node_id) -> str:
        frame = nodes[node_id]["callFrame"]
        return f"{frame['functionName'] or '(anonymous)'} {frame.get('url', '').rsplit('/', 1)[-1]}".strip()

    for node_id, us in self_us.items():
        frame = nodes[node_id]["callFrame"]
        name, url = frame["functionName"] or "(anonymous)", frame.get("url", "")
        by_function[label(node_id)] += us
        by_category[category(name, url)] += us
        if node_id in parent:
            callers[label(node_id)][label(parent[node_id])] += us
    pct = lambda us: round(100 * us / total, 1)  # noqa: E731
    return {"sampledMs": round(total / 1000),
            "byCategory": {k: pct(v) for k, v in sorted(by_category.items(), key=lambda kv: -kv[1])},
            "topSelf": [[k, pct(v), max(callers[k], key=callers[k].get) if callers.get(k) else None]
                        for k, v in sorted(by_function.items(), key=lambda kv: -kv[1])[:top]]}


#: Trace events worth naming on the renderer's main thread (inclusive times; some nest in others).
TRACE_NAMES = ("RunTask", "FunctionCall", "EventDispatch", "TimerFire", "FireAnimationFrame", "RunMicrotasks",
               "UpdateLayoutTree", "Layout", "PrePaint", "Paint", "Layerize", "Commit", "HitTest",
               "ScheduleStyleRecalculation", "Animation", "MajorGC", "MinorGC", "V8.GC_MC_INCREMENTAL",
               "ParseHTML", "v8.callFunction", "V8.Execute")


def trace_summary(events: list, window_ms: float) -> dict:
    """Inclusive ms of the main-thread trace events (those above, and any over 1% of the window)."""
    main = {(e["pid"], e["tid"]) for e in events
            if e.get("ph") == "M" and e.get("name") == "thread_name" and e.get("args", {}).get("name") == "CrRendererMain"}
    totals: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    open_b: dict = {}
    for e in events:
        if (e.get("pid"), e.get("tid")) not in main:
            continue
        if e.get("ph") == "X":
            totals[e["name"]] += e.get("dur", 0) / 1000
            counts[e["name"]] += 1
        elif e.get("ph") == "B":
            open_b[(e["tid"], e["name"])] = e["ts"]
        elif e.get("ph") == "E" and (e["tid"], e["name"]) in open_b:
            totals[e["name"]] += (e["ts"] - open_b.pop((e["tid"], e["name"]))) / 1000
            counts[e["name"]] += 1
    return {"events": len(events), "mainThreads": len(main),
            "inclusive": {k: {"ms": round(v), "count": counts[k], "percentOfWindow": round(100 * v / window_ms, 1)}
                          for k, v in sorted(totals.items(), key=lambda kv: -kv[1])
                          if k in TRACE_NAMES or v >= window_ms / 100}}


PROBE_FUNCTIONS = {"onMessage", "onMutations", "look", "timed", "grab", "wall", "rowCount"}
PLAYWRIGHT_FUNCTIONS = {"evaluate", "createExpression", "_evaluateExpression", "poll", "predicate"}


def category(name: str, url: str) -> str:
    if name in ("(idle)", "(program)", "(garbage collector)", "(root)"):
        return {"(program)": "browser native (style, layout, paint, DOM outside JS)"}.get(name, name)
    if url.startswith("wasm://") or url.endswith(".wasm") or name.startswith("$") or name.startswith("wasm-"):
        return "wasm: CPython interpreter"
    if "pyodide.asm" in url or "pyodide.mjs" in url:
        return "Pyodide JS glue (FFI, proxies)"
    if "bridge" in url:
        return "bridge.mjs"
    if "pyscript" in url or "core-" in url:
        return "PyScript"
    if not url and name in PROBE_FUNCTIONS:
        return "bench probe"
    if not url and name in PLAYWRIGHT_FUNCTIONS:
        return "Playwright polling"
    if not url:
        return "DOM and Web API calls (insertBefore, setAttribute, ...)"
    return url.rsplit("/", 1)[-1]


def profile_phase(playwright, stub, token: str, profile: Path, url: str, rows: int, rates, seconds: float) -> dict:
    out: dict = {}
    # 1. the load, with cProfile on from the first socket (snapshot decode, first render, row chunks).
    with chromium(playwright, profile, expectRows=rows, hookPython=True, profileLoad=True) as context:
        page = first_page(context)
        marks = open_ready(page, url, rows=rows)
        text = page.evaluate(f"__bench.python({json.dumps(PSTATS.format(n=30))})")
        out["load"] = {"marks": marks, "cprofile": text}
        say(f"profile: load with cProfile: ready {marks['readyAt']:.0f} ms, rows {marks['rowsAt']:.0f} ms")
    # 2. streams: CDP sampling profile (JS + wasm + browser), then cProfile (Python functions).
    with chromium(playwright, profile, expectRows=rows, hookPython=True) as context:
        page = first_page(context)
        open_ready(page, url, rows=rows)
        cdp = Cdp(context, page)
        time.sleep(3)
        for rate in rates:
            key = str(int(rate))
            out[key] = {}
            cdp.profile_start()
            window = stream_window(stub, page, cdp, token, rate, seconds, drained_hook=cdp.profile_stop)
            out[key]["cdp"] = cpu_profile_summary(window.pop("hook"))
            out[key]["cdpWindow"] = {k: window[k] for k in ("latencyMs", "longTasks", "mainThread", "pythonBatches")}
            say(f"profile: {rate:g}/s sampled: {out[key]['cdp']['byCategory']}")
            time.sleep(2)
            page.evaluate(f"__bench.python({json.dumps(PROFILE_ON)})")
            window = stream_window(stub, page, cdp, token, rate, seconds, drained_hook=lambda: page.evaluate(
                f"__bench.python({json.dumps(PSTATS.format(n=30))})"))
            out[key]["cprofile"] = window.pop("hook")
            out[key]["cprofileWindow"] = {k: window[k] for k in ("latencyMs", "pythonBatches")}
            say(f"profile: {rate:g}/s with cProfile: p95 {window['latencyMs']['p95']} ms (inflated by cProfile)")
            time.sleep(2)
            cdp.trace_start()
            window = stream_window(stub, page, cdp, token, rate, seconds, drained_hook=lambda: cdp.trace_stop(page))
            out[key]["trace"] = trace_summary(window.pop("hook"), window["windowMs"])
            out[key]["traceWindow"] = {k: window[k] for k in ("latencyMs", "longTasks", "mainThread")}
            say(f"profile: {rate:g}/s traced: " + ", ".join(
                f"{k} {v['percentOfWindow']}%" for k, v in list(out[key]["trace"]["inclusive"].items())[:8]))
            time.sleep(2)
        cdp.detach()
    return out
