"""Chromium for the benchmark: launch a persistent profile, open a page with the probe.

Every page gets bench/instrument.js before its own scripts run (see that
file for what it watches). Load figures come from the page's own clock
(``performance.now()`` at the moment ``html[data-app-state]`` turned
``ready``: milliseconds since navigation start), not from the harness.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.e2e.harness import CHROMIUM_ARGS, chromium_path

HERE = Path(__file__).resolve().parent
PROBE = (HERE / "instrument.js").read_text()
#: On top of the tests' flags: a precise performance.memory, and no throttling
#: of timers or rendering for a page Chromium might consider in the background.
EXTRA_ARGS = [
    "--enable-precise-memory-info",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
VIEWPORT = {"width": 1280, "height": 720}


def probe_script(**config) -> str:
    return f"window.__benchConfig = {json.dumps(config)};\n{PROBE}"


@contextmanager
def chromium(playwright, profile: str | Path, **config):
    """A persistent-profile Chromium (its HTTP and wasm code caches live in ``profile``)."""
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS + EXTRA_ARGS,
        viewport=VIEWPORT,
    )
    try:
        context.set_default_timeout(60_000)
        context.add_init_script(script=probe_script(**config))
        yield context
    finally:
        context.close()


def first_page(context):
    return context.pages[0] if context.pages else context.new_page()


def open_ready(page, url: str, *, rows: int = 0, timeout_s: float = 180.0, rows_timeout_s: float = 900.0) -> dict:
    """Navigate, wait (bounded) until ready, then (if ``rows``) until every row is built or
    ``rows_timeout_s`` has passed (``rowsAt`` None, ``rowsShown`` how many); the milestones."""
    page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
    page.wait_for_function("() => window.__bench && (__bench.errorAt !== null || __bench.readyAt !== null)",
                           polling=100, timeout=timeout_s * 1000)
    if rows and rows_timeout_s > 0:
        try:
            page.wait_for_function("() => __bench.rowsAt !== null", polling=250, timeout=rows_timeout_s * 1000)
        except PlaywrightTimeout:
            pass
    marks = page.evaluate("""() => {
        const B = window.__bench;
        const pick = (part) => {
            const entry = performance.getEntriesByType("resource").find((e) => e.name.includes(part));
            return entry ? {start: entry.startTime, end: entry.responseEnd, bytes: entry.transferSize} : null;
        };
        const list = document.querySelector("[data-testid=delivery-list]");
        const shown = list ? list.childElementCount : 0;
        const tables = globalThis.dcRows && globalThis.dcRows.tables ? [...globalThis.dcRows.tables] : [];
        const parked = tables.reduce((n, table) => n + table.parked.childElementCount, 0);
        return {readyAt: B.readyAt, rowsAt: B.rowsAt, socketAt: B.socketAt, errorAt: B.errorAt,
                rowsShown: shown, rowsBuilt: shown + parked,
                pageNow: performance.now(),
                wasm: pick("pyodide.asm.wasm"), stdlib: pick("python_stdlib.zip"),
                pydanticCore: pick("pydantic_core"), mainPy: pick("app/web/main.py"),
                snapshot: pick("/api/snapshot"), hookError: B.hookError};
    }""")
    if marks["errorAt"] is not None:
        raise RuntimeError(f"{url.split('#')[0]}: the page reported data-app-state=error")
    return marks


def clock_skew_ms(page) -> float:
    """The page's wall clock minus this process's (the stub's), midpoint of a round trip."""
    best = None
    for _ in range(5):
        before = time.time() * 1000
        page_ms = page.evaluate("performance.timeOrigin + performance.now()")
        after = time.time() * 1000
        if best is None or after - before < best[0]:
            best = (after - before, page_ms - (before + after) / 2)
    return best[1]


class Cdp:
    """A DevTools session on one page: metrics, heap, garbage collection, the sampling profiler."""

    def __init__(self, context, page):
        self.session = context.new_cdp_session(page)
        self.session.send("Performance.enable")

    def metrics(self) -> dict:
        return {m["name"]: m["value"] for m in self.session.send("Performance.getMetrics")["metrics"]}

    def heap(self, collect: bool = True) -> dict:
        if collect:
            self.session.send("HeapProfiler.collectGarbage")
        usage = self.session.send("Runtime.getHeapUsage")
        return {"used": usage["usedSize"], "total": usage["totalSize"]}

    def version(self) -> str:
        return self.session.send("Browser.getVersion")["product"]

    def profile_start(self, interval_us: int = 500) -> None:
        self.session.send("Profiler.enable")
        self.session.send("Profiler.setSamplingInterval", {"interval": interval_us})
        self.session.send("Profiler.start")

    def profile_stop(self) -> dict:
        profile = self.session.send("Profiler.stop")["profile"]
        self.session.send("Profiler.disable")
        return profile

    def trace_start(self, categories=("devtools.timeline", "disabled-by-default-devtools.timeline", "v8")) -> None:
        self._trace: list = []
        self._trace_done = False
        if not getattr(self, "_trace_handlers", False):  # once per session: handlers read the current list
            self.session.on("Tracing.dataCollected", lambda params: self._trace.extend(params["value"]))
            self.session.on("Tracing.tracingComplete", lambda params: setattr(self, "_trace_done", True))
            self._trace_handlers = True
        self.session.send("Tracing.start", {"transferMode": "ReportEvents",
                                            "traceConfig": {"includedCategories": list(categories)}})

    def trace_stop(self, page, timeout_s: float = 60) -> list:
        self.session.send("Tracing.end")
        deadline = time.monotonic() + timeout_s
        while not self._trace_done and time.monotonic() < deadline:
            page.wait_for_timeout(100)  # lets Playwright deliver the trace chunks
        return self._trace

    def detach(self) -> None:
        try:
            self.session.detach()
        except Exception:  # the page may be gone already
            pass
