"""What the page's rendering costs its main thread, style sheet against style sheet, in one page.

    .venv/bin/python -m bench.render_cost [--scenario flash|streams] [--rounds 3] [--seconds 3]
        [--deliveries 10000] [--staff 500] [--map shown|hidden] NAME=FILE.css ...

Opens the app once (a stub of its own, the benchmark's Chromium and probe),
sets the scenario going, then for each round and each variant adopts the
variant's style sheet on top of the page's own (``document.adoptedStyleSheets``:
the page's CSP refuses a ``<style>`` element, silently) and records a CDP
trace of ``--seconds``. It prints, per trace, the milliseconds the renderer's
main thread spent in each rendering phase (style, layout, pre-paint, paint,
layerize, commit) and their sum. ``shipped`` (no file) is the page as it
is. Variants alternate within each round, so a machine whose speed drifts
moves them alike: compare within a round, never across runs.

Scenarios:
- ``flash``: no events; every row of the window carries the ``flash``
  class, its fade made endless by the scenario's own sheet (which follows
  the fade wherever a variant draws it: the row or its ``::after``). What
  one flashing row costs, times the window.
- ``streams``: the map phase's two streams (500 locations/s, 1,000
  delivery updates/s; ``bench/map.py``) for the whole run.

Traces cost the page too: figures from here compare variants, they are not
the page's speed (``./dev bench`` is). Run it alone on the machine.
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: The rendering phases summed, by their trace event names (devtools.timeline).
PHASES = {"UpdateLayoutTree": "style", "Layout": "layout", "PrePaint": "prepaint", "Paint": "paint",
          "Layerize": "layerize", "Commit": "commit"}
TRACE_CATEGORIES = ("devtools.timeline", "disabled-by-default-devtools.timeline")
#: The delivery rows of the window (a CSS selector).
ROWS = "[data-testid=delivery-list] > [data-testid=delivery-row]"
#: The flash scenario's own sheet: whatever draws the fade, it never ends.
ENDLESS_FADE = (f"{ROWS}.flash, {ROWS}.flash::after, {ROWS}.flash::before"
                " { animation-iteration-count: infinite !important; }")
ADOPT_JS = """sheets => { document.adoptedStyleSheets = sheets.map(css => {
    const sheet = new CSSStyleSheet(); sheet.replaceSync(css); return sheet; }); }"""
#: The streams' length (the stub's most for a location burst): more than any run takes.
STREAM_SECONDS = 600
#: What a trace adds to its own seconds: the pause before it, and its data coming back.
TRACE_OVERHEAD_S = 15
FLASH_ALL_JS = f"() => document.querySelectorAll('{ROWS}').forEach(row => row.classList.add('flash'))"


def phases(events: list) -> dict[str, float]:
    """Milliseconds per rendering phase (and ``total``) on the page's main thread: the thread
    that ran the most of them (a browser has other renderers, and a GPU process)."""
    mine = [e for e in events if e.get("ph") == "X" and e.get("name") in PHASES]
    threads = collections.Counter((e["pid"], e["tid"]) for e in mine)
    out = dict.fromkeys(PHASES.values(), 0.0)
    if threads:
        main = threads.most_common(1)[0][0]
        for e in mine:
            if (e["pid"], e["tid"]) == main:
                out[PHASES[e["name"]]] += e.get("dur", 0) / 1000
    out["total"] = sum(out.values())
    return {name: round(ms, 1) for name, ms in out.items()}


def variants(specs: list[str]) -> dict[str, str]:
    """``NAME=FILE.css`` (or ``shipped``) to {name: the sheet's text}; a clear error for anything else."""
    out: dict[str, str] = {}
    for spec in specs or ["shipped"]:
        name, _, path = spec.partition("=")
        if not name or name in out:
            raise SystemExit(f"render_cost: a variant needs a name of its own: {spec!r}")
        if not path:
            if name != "shipped":
                raise SystemExit(f"render_cost: {spec!r}: give NAME=FILE.css, or 'shipped' for the page as it is")
            out[name] = ""
            continue
        try:
            out[name] = Path(path).read_text()
        except OSError as error:
            raise SystemExit(f"render_cost: {spec!r}: {error}") from None
    return out


def table(results: list[tuple[int, str, dict]]) -> str:
    names = list(PHASES.values()) + ["total"]
    lines = ["| round | variant | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
    for round_no, name, ms in results:
        lines.append(f"| {round_no} | {name} | " + " | ".join(f"{ms[n]:g}" for n in names) + " |")
    return "\n".join(lines)


def run(args) -> list[tuple[int, str, dict]]:
    from playwright.sync_api import sync_playwright

    from bench import map as mapbench
    from bench.browser import Cdp, chromium, first_page, open_ready
    from bench.measure import app_rows
    from tests.e2e.harness import Stub

    sheets = variants(args.variant)
    base = [ENDLESS_FADE] if args.scenario == "flash" else []
    stub = Stub("--deliveries", str(args.deliveries), "--staff", str(args.staff), "--rate", "0", "--seed", "7",
                startup_timeout=120)
    results = []
    try:
        url = f"{stub.url}#token={stub.login_token()}"
        rows = app_rows(args.deliveries)
        with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
            with chromium(playwright, Path(tmp) / "profile", expectRows=rows) as context:
                page = first_page(context)
                open_ready(page, url, rows=rows)
                page.wait_for_selector(mapbench.TOGGLE, state="attached", timeout=60_000)
                mapbench.show_map(page, args.map == "shown")
                mapbench.wait_quiet(page)
                if args.scenario == "streams":
                    # as long as the stub allows: a trace takes a while to come back, and the stub,
                    # stopped at the end, ends both
                    stub.control("locations", {"rate": mapbench.LOCATION_RATE, "seconds": STREAM_SECONDS})
                    stub.control("stream", {"rate": mapbench.STREAM_RATE, "seconds": STREAM_SECONDS})
                else:
                    page.evaluate(FLASH_ALL_JS)
                cdp = Cdp(context, page)
                cdp.trace_start(TRACE_CATEGORIES)  # a first trace, not kept: one run's first came back empty
                time.sleep(0.5)
                cdp.trace_stop(page)
                for round_no in range(1, args.rounds + 1):
                    for name, css in sheets.items():
                        page.evaluate(ADOPT_JS, base + ([css] if css else []))
                        time.sleep(1.5)  # the change's own frames are not the variant's
                        cdp.trace_start(TRACE_CATEGORIES)
                        time.sleep(args.seconds)
                        ms = phases(cdp.trace_stop(page))
                        results.append((round_no, name, ms))
                        print(f"round {round_no} {name}: " + ", ".join(f"{k} {v:g}" for k, v in ms.items())
                              + f" ms; load average {Path('/proc/loadavg').read_text().split()[0]}", flush=True)
                cdp.detach()
    finally:
        stub.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.render_cost", description=__doc__.split("\n\n")[0])
    p.add_argument("variant", nargs="*", help="NAME=FILE.css, or 'shipped' (the default: the page alone)")
    p.add_argument("--scenario", choices=("flash", "streams"), default="flash")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--seconds", type=float, default=3.0, help="length of each trace")
    p.add_argument("--deliveries", type=int, default=10_000)
    p.add_argument("--staff", type=int, default=500)
    p.add_argument("--map", choices=("shown", "hidden"), default="hidden")
    args = p.parse_args(argv)
    if not 1 <= args.rounds <= 20 or not 0.5 <= args.seconds <= 30:
        p.error("--rounds 1-20 and --seconds 0.5-30")
    sheets = variants(args.variant)  # a bad variant fails before a browser starts
    if args.scenario == "streams" and args.rounds * len(sheets) * (args.seconds + TRACE_OVERHEAD_S) > STREAM_SECONDS:
        p.error(f"the streams last {STREAM_SECONDS} s: fewer rounds, variants or seconds")
    print(table(run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
