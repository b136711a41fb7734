"""SortedIds against sortedcontainers.SortedKeyList for the deliveries table's order, in Pyodide in Chromium.

    .venv/bin/python -m bench.sorted_ids                 # 50,000 ids; medians of 5; JSON in bench/results/
    .venv/bin/python -m bench.sorted_ids --n 10000 --runs 3

The issue asks which to keep by a measurement in the browser, where the table
runs. The workload is scripts/sorted_ids_vs_sortedcontainers.py's, the same
ids and moves (one ``random.Random(7)``, drawn for 10,000 and then 50,000):
a snapshot (``reset``), then 20,000 moves, the first 100 ids taken every 17th
move; the two take turns at going first. Both run in the vendored Pyodide (no snapshot, no app): app/sorted_ids.py
and sortedcontainers' own source (pure Python, the pinned 2.4.0 from the venv)
are written into Pyodide's file system, and the same code (``WORKLOAD``) runs
under this CPython for comparison. Each run is timed in the page with
``time.perf_counter``; the figures are the medians of ``--runs``, with every
run and the 1-minute load average before and after kept in the JSON.
The page is served by a throwaway HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PAGE = "/_sorted_ids.html"
PAGE_HTML = """<!doctype html><meta charset="utf-8"><title>SortedIds in Pyodide</title>
<script type="module">
  import { loadPyodide } from "/static/vendor/pyodide/pyodide.mjs";
  window.pyodide = await loadPyodide();
  document.documentElement.setAttribute("data-state", "ready");
</script>"""

#: Run as-is in Pyodide and in CPython: ``run(n, SortedIds, SortedKeyList)`` -> times in ms.
WORKLOAD = r'''
import random, time

def workload(n):
    """The ids and moves of scripts/sorted_ids_vs_sortedcontainers.py for ``n`` (one Random(7) for both sizes)."""
    rng = random.Random(7)
    for size in (10_000, 50_000):
        keys = {f"D-{i}": (rng.random(), f"D-{i}") for i in range(size)}
        moves = [(f"D-{rng.randrange(size)}", (rng.random(),)) for _ in range(20_000)]
        if size == n:
            return keys, moves
    raise ValueError(n)

def with_sorted_ids(SortedIds, keys, moves):
    t = time.perf_counter()
    a = SortedIds()
    a.reset(keys.items())
    reset = time.perf_counter() - t
    t = time.perf_counter()
    windows = 0
    for i, (did, k) in enumerate(moves):
        a.place(did, (k[0], did))
        if i % 17 == 0:
            windows += len(a.first(100, lambda x: True))
    return reset, time.perf_counter() - t, windows, a.ids()[:100]

def with_sorted_key_list(SortedKeyList, keys, moves):
    t = time.perf_counter()
    b = SortedKeyList(((k, i) for i, k in keys.items()), key=lambda p: p[0])
    cur = dict(keys)
    reset = time.perf_counter() - t
    t = time.perf_counter()
    windows = 0
    for i, (did, k) in enumerate(moves):
        nk = (k[0], did)
        b.remove((cur[did], did))
        b.add((nk, did))
        cur[did] = nk
        if i % 17 == 0:
            out = []
            for _, x in b:
                out.append(x)
                if len(out) >= 100:
                    break
            windows += len(out)
    return reset, time.perf_counter() - t, windows, [x for _, x in b[:100]]

def run(n, SortedIds, SortedKeyList, key_list_first=False):
    keys, moves = workload(n)
    if key_list_first:
        b = with_sorted_key_list(SortedKeyList, keys, moves)
        a = with_sorted_ids(SortedIds, keys, moves)
    else:
        a = with_sorted_ids(SortedIds, keys, moves)
        b = with_sorted_key_list(SortedKeyList, keys, moves)
    assert a[2:] == b[2:], "the two orders differ"
    return {"SortedIds": {"reset_ms": a[0] * 1000, "moves_ms": a[1] * 1000},
            "SortedKeyList": {"reset_ms": b[0] * 1000, "moves_ms": b[1] * 1000}}
'''


def sources(sorted_ids: Path) -> dict[str, str]:
    """The files to write into Pyodide: ``sorted_ids`` (app/sorted_ids.py) as ``sorted_ids``, and sortedcontainers."""
    import sortedcontainers

    package = Path(sortedcontainers.__file__).parent
    files = {"/home/pyodide/sorted_ids.py": sorted_ids.read_text()}
    for path in sorted(package.glob("*.py")):
        files[f"/home/pyodide/sortedcontainers/{path.name}"] = path.read_text()
    return files


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm",
                      ".json": "application/json", ".zip": "application/zip"}

    def do_GET(self):
        if self.path == PAGE:
            body = PAGE_HTML.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def log_message(self, *args):
        pass


def serve() -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(ROOT)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def in_browser(n: int, runs: int, sorted_ids: Path) -> list[dict]:
    from playwright.sync_api import sync_playwright

    from tests.e2e.harness import CHROMIUM_ARGS, chromium_path

    server, base = serve()
    try:
        with tempfile.TemporaryDirectory(prefix="dc-sorted-ids-") as profile, sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
            try:
                page = context.new_page()
                page.goto(base + PAGE)
                page.wait_for_selector("html[data-state=ready]", state="attached", timeout=180_000)
                page.evaluate("""(files) => {
                    pyodide.FS.mkdirTree('/home/pyodide/sortedcontainers');
                    for (const [path, text] of Object.entries(files)) pyodide.FS.writeFile(path, text);
                }""", sources(sorted_ids))
                page.evaluate("(code) => pyodide.runPython(code)", WORKLOAD + "\nimport sys\n"
                              "sys.path.insert(0, '/home/pyodide')\nfrom sorted_ids import SortedIds\n"
                              "from sortedcontainers import SortedKeyList\n")
                page.set_default_timeout(600_000)
                return [json.loads(page.evaluate(
                    "([n, flip]) => pyodide.runPython(`import json; json.dumps(run(${n}, SortedIds, SortedKeyList, "
                    "${flip ? 'True' : 'False'}))`)", [n, bool(i % 2)]))
                    for i in range(runs)]
            finally:
                context.close()
    finally:
        server.shutdown()


def in_cpython(n: int, runs: int, sorted_ids: Path) -> list[dict]:
    import importlib.util

    from sortedcontainers import SortedKeyList

    spec = importlib.util.spec_from_file_location("sorted_ids_measured", sorted_ids)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    SortedIds = module.SortedIds
    namespace: dict = {}
    exec(WORKLOAD, namespace)  # noqa: S102 - the benchmark's own code, the same text the page runs
    return [namespace["run"](n, SortedIds, SortedKeyList, bool(i % 2)) for i in range(runs)]


def medians(runs: list[dict]) -> dict:
    return {name: {figure: round(statistics.median(r[name][figure] for r in runs), 1)
                   for figure in ("reset_ms", "moves_ms")} for name in ("SortedIds", "SortedKeyList")}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=50_000, choices=(10_000, 50_000))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=RESULTS / "sorted_ids.json")
    parser.add_argument("--sorted-ids", type=Path, default=ROOT / "app" / "sorted_ids.py",
                        help="the SortedIds source to measure (a variant, to compare)")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()[0]
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    browser = in_browser(args.n, args.runs, args.sorted_ids)
    cpython = in_cpython(args.n, args.runs, args.sorted_ids)
    result = {"taken": started, "n": args.n, "moves": 20_000, "runs": args.runs,
              "sorted_ids": str(args.sorted_ids.resolve().relative_to(ROOT)) if args.sorted_ids.resolve()
              .is_relative_to(ROOT) else str(args.sorted_ids),
              "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
              "pyodide": {"median": medians(browser), "every_run": browser},
              "cpython": {"median": medians(cpython), "every_run": cpython}}
    runs = json.loads(args.out.read_text()) if args.out.exists() else []
    runs = runs if isinstance(runs, list) else [runs]
    args.out.write_text(json.dumps([*runs, result], indent=1) + "\n")
    print(f"{started}, n={args.n}, 20,000 moves, medians of {args.runs}, "
          f"1-minute load {result['load_average_1min'][0]} -> {result['load_average_1min'][1]}")
    for where in ("pyodide", "cpython"):
        for name, figures in result[where]["median"].items():
            print(f"  {where:8} {name:14} reset {figures['reset_ms']:8.1f} ms   moves {figures['moves_ms']:8.1f} ms")


if __name__ == "__main__":
    main()
