"""The load as users meet it: throttled lines, bytes on the wire, cold and warm (issue 13).

    ./dev bench --only network                  # 3 visits each: cable, fast office, localhost
    ./dev bench --only network --repeats 1      # a quick look

For each line (Chrome DevTools Protocol ``Network.emulateNetworkConditions``:
"cable" 25 Mbit/s down, 5 up, 40 ms round trip; "fast office" 100/100 Mbit/s,
10 ms; "localhost" not throttled) and each page (the app; bare Pyodide, which
loads the same runtime and pydantic and nothing else; the seed's React
baseline, built from ``/work/shared/baseline_react`` by ``npm ci && npm run
build`` into bench/pages/react/, git-ignored), it measures visits to
``html[data-app-state=ready]``:

- cold: a fresh profile each time;
- warm: one profile visited once to fill its caches, then ``repeats`` visits,
  each in a newly launched Chromium (so only the disk caches carry over).

Bytes are the page's resource timing at ready, the document included:
``transferSize`` (on the wire, headers included, 0 from the cache) and
``decodedBodySize`` (after Content-Encoding); ``packagesMs``, the app's
``dc-packages`` measure (static/js/pyodide-boot.mjs: pydantic loaded, its
extension instantiated). The app's cold visit also
records ``first-contentful-paint`` and the ``dc-login-ready`` mark of
static/js/early.mjs on a page without a token (the login form takes typing
from its first paint; a submit is queued from the mark on), and a resource
table of the first cold cable visit: where the bytes and the time go.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench.browser import HERE, chromium, first_page, open_ready
from bench.stats import median
from tests.e2e.harness import ROOT, Stub

#: The pages a run may load: the app from its sources (``./dev serve``), the app as a host serves
#: it (scripts/build.py's folder on a ``--site`` stub: hashed folders cached for good), the app
#: without its snapshot, bare Pyodide, and the seed's React baseline.
PAGES = ("app", "app-built", "app-nosnap", "pyodide", "react")
LINES = {
    "cable": {"down_mbit": 25, "up_mbit": 5, "rtt_ms": 40},
    "fast office": {"down_mbit": 100, "up_mbit": 100, "rtt_ms": 10},
    "localhost": None,
}
REACT_SOURCE = Path(os.environ.get("DC_BASELINE_REACT", "/work/shared/baseline_react"))
REACT_PAGES = HERE / "pages" / "react"
REACT_BUILD = HERE / ".react-build"
NPM_TIMEOUT_S = 600

BYTES = """() => {
  const entries = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")];
  const sum = (key) => entries.reduce((n, e) => n + (e[key] || 0), 0);
  return {transfer: sum("transferSize"), encoded: sum("encodedBodySize"), decoded: sum("decodedBodySize"),
          requests: entries.length,
          snapshotRequests: entries.filter((e) => new URL(e.name).pathname.endsWith("/api/snapshot")).length,
          packagesMs: performance.getEntriesByName("dc-packages")[0]?.duration ?? null,
          prefetch: globalThis.dcPrefetch ? {...globalThis.dcPrefetch.state} : null};
}"""
RESOURCES = """() => performance.getEntriesByType("resource").map((e) => ({
  name: new URL(e.name).pathname.split("/").slice(-2).join("/"), start: e.startTime, end: e.responseEnd,
  transfer: e.transferSize, decoded: e.decodedBodySize}))"""
FIRST_PAINT = """() => {
  const paint = performance.getEntriesByName("first-contentful-paint")[0];
  const mark = performance.getEntriesByName("dc-login-ready")[0];
  return {firstPaint: paint ? paint.startTime : null, loginReady: mark ? mark.startTime : null};
}"""


def say(text: str) -> None:
    print(f"bench: {text}", flush=True)


def ensure_react() -> None:
    """bench/pages/react/{index.html,bundle.js}, built from the baseline's sources when missing or older."""
    if not (REACT_SOURCE / "package.json").is_file():
        raise RuntimeError(f"the React baseline is not at {REACT_SOURCE} (set DC_BASELINE_REACT)")
    newest = max(p.stat().st_mtime for p in REACT_SOURCE.rglob("*")
                 if p.is_file() and "node_modules" not in p.parts and "dist" not in p.parts)
    built = REACT_PAGES / "bundle.js"
    if built.is_file() and built.stat().st_mtime >= newest:
        return
    say(f"building the React baseline from {REACT_SOURCE} (npm ci && npm run build)")
    shutil.rmtree(REACT_BUILD, ignore_errors=True)
    shutil.copytree(REACT_SOURCE, REACT_BUILD, ignore=shutil.ignore_patterns("node_modules", "dist"))
    for command in (["npm", "ci", "--no-audit", "--no-fund"], ["npm", "run", "build"]):
        done = subprocess.run(command, cwd=REACT_BUILD, capture_output=True, text=True, timeout=NPM_TIMEOUT_S)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {(done.stderr or done.stdout).strip()[-400:]}")
    REACT_PAGES.mkdir(parents=True, exist_ok=True)
    for name in ("index.html", "bundle.js"):
        shutil.copy2(REACT_BUILD / "dist" / name, REACT_PAGES / name)


def throttle(context, page, line: dict | None):
    """Emulate ``line`` for this page's requests (None: as the machine is); the CDP session."""
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    if line is not None:
        cdp.send("Network.emulateNetworkConditions", {
            "offline": False, "latency": line["rtt_ms"],
            "downloadThroughput": line["down_mbit"] * 1e6 / 8, "uploadThroughput": line["up_mbit"] * 1e6 / 8,
        })
    return cdp


def visit(playwright, profile: Path, url: str, line: dict | None, *, details: bool = False) -> dict:
    """One visit; a crashed or stuck tab is tried once more (said, and counted in ``retried``)."""
    try:
        return _visit(playwright, profile, url, line, details=details)
    except Exception as exc:  # Playwright's Error (a crashed renderer) or a timeout
        say(f"network: a visit failed ({str(exc).splitlines()[0]}); once more")
        got = _visit(playwright, profile, url, line, details=details)
        got["retried"] = True
        return got


def _visit(playwright, profile: Path, url: str, line: dict | None, *, details: bool = False) -> dict:
    with chromium(playwright, profile) as context:
        page = first_page(context)
        throttle(context, page, line)
        marks = open_ready(page, url, rows=0)
        out = {"readyAt": marks["readyAt"], **page.evaluate(BYTES)}
        if details:
            out["resources"] = page.evaluate(RESOURCES)
    return out


def login_paint(playwright, profile: Path, url: str, line: dict | None) -> dict:
    """A cold visit without a token: when the login form is painted and when a submit is queued."""
    with chromium(playwright, profile) as context:
        page = first_page(context)
        throttle(context, page, line)
        page.goto(url, wait_until="commit")
        page.wait_for_selector("html[data-boot=login]", timeout=60_000)
        for _ in range(300):  # the paint entry follows the paint: at most 300 x 100 ms
            got = page.evaluate(FIRST_PAINT)
            if got["firstPaint"] is not None:
                return got
            page.wait_for_timeout(100)
        return got


def network_phase(playwright, work: Path, pages: dict, login_url: str, repeats: int, lines=None) -> dict:
    """``pages``: kind -> URL. Cold visits interleaved by page, then warm ones, for each line."""
    chosen = {name: LINES[name] for name in (lines or LINES)}
    result: dict = {"lines": chosen, "repeats": repeats}
    for name, line in chosen.items():
        runs: dict = {kind: {"cold": [], "warm": []} for kind in pages}
        tag = name.replace(" ", "-")
        for rep in range(repeats):
            for kind, url in pages.items():
                got = visit(playwright, work / f"net-{tag}-cold-{kind}-{rep}", url, line,
                            details=(kind == "app" and rep == 0))
                if "resources" in got:
                    result.setdefault("resources", {})[name] = got.pop("resources")
                runs[kind]["cold"].append(got)
                say(f"network {name} {kind} cold #{rep + 1}: ready {got['readyAt']:.0f} ms, "
                    f"{got['transfer'] / 1e6:.2f} MB on the wire ({got['decoded'] / 1e6:.2f} MB decoded)")
        for kind, url in pages.items():
            visit(playwright, work / f"net-{tag}-warm-{kind}", url, line)  # fills the caches
        for rep in range(repeats):
            for kind, url in pages.items():
                got = visit(playwright, work / f"net-{tag}-warm-{kind}", url, line)
                runs[kind]["warm"].append(got)
                say(f"network {name} {kind} warm #{rep + 1}: ready {got['readyAt']:.0f} ms, "
                    f"{got['transfer'] / 1e6:.2f} MB on the wire")
        paints = [login_paint(playwright, work / f"net-{tag}-login-{rep}", login_url, line) for rep in range(repeats)]
        result[name] = {kind: {mode: summarize(visits) for mode, visits in by_mode.items()}
                        for kind, by_mode in runs.items()}
        result[name]["loginForm"] = {
            "firstPaintMs": median([p["firstPaint"] for p in paints if p["firstPaint"] is not None]),
            "loginReadyMs": median([p["loginReady"] for p in paints if p["loginReady"] is not None]),
            "runs": paints,
        }
        result[name]["loadAverage"] = os.getloadavg()[0]
        say(f"network {name}: login form painted at {result[name]['loginForm']['firstPaintMs']:.0f} ms, "
            f"submit queued from {result[name]['loginForm']['loginReadyMs']:.0f} ms; load average "
            f"{result[name]['loadAverage']:.2f}")
    return result


def summarize(visits: list[dict]) -> dict:
    return {"readyMs": median([v["readyAt"] for v in visits]), "transferBytes": median([v["transfer"] for v in visits]),
            "decodedBytes": median([v["decoded"] for v in visits]), "requests": median([v["requests"] for v in visits]),
            "runs": visits}


def site_stub(folder: Path, *world: str):
    """A stub serving a fresh build (scripts/build.py) of this checkout with ``--site``: the same
    world (``world``: its flags) behind what a host would serve."""
    say(f"building the app (scripts/build.py --out {folder}) for the app-built page")
    done = subprocess.run([sys.executable, "scripts/build.py", "--out", str(folder)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise RuntimeError(f"scripts/build.py failed: {done.stderr or done.stdout}")
    return Stub("--site", str(folder), *world, startup_timeout=120)


def render(result: dict) -> str:
    """The network table: per line, ready and bytes of each page, and the ratios to React."""
    lines = ["| line | page | cold ready | cold bytes (wire / decoded) | warm ready | warm bytes (wire) |",
             "|---|---|---|---|---|---|"]
    for name in LINES:
        got = result.get(name)
        if not got:
            continue
        for kind in (k for k in got if k not in ("loginForm", "loadAverage")):
            cold, warm = got[kind]["cold"], got[kind]["warm"]
            lines.append(f"| {name} | {kind} | {cold['readyMs'] / 1000:.2f} s | {cold['transferBytes'] / 1e6:.2f} / "
                         f"{cold['decodedBytes'] / 1e6:.2f} MB | {warm['readyMs'] / 1000:.2f} s | "
                         f"{warm['transferBytes'] / 1e6:.2f} MB |")
    out = ["\n".join(lines), ""]
    ratios = ["| line | app / React cold | app / React warm | built app / React cold, warm "
              "| login form painted / queued | load avg |", "|---|---|---|---|---|---|"]
    for name in LINES:
        got = result.get(name)
        if not got or "react" not in got or "app" not in got:
            continue
        app, react, login = got["app"], got["react"], got["loginForm"]
        built = got.get("app-built")
        built_cell = (f"{built['cold']['readyMs'] / react['cold']['readyMs']:.2f}x, "
                      f"{built['warm']['readyMs'] / react['warm']['readyMs']:.2f}x" if built else "")
        ratios.append(f"| {name} | {app['cold']['readyMs'] / react['cold']['readyMs']:.2f}x | "
                      f"{app['warm']['readyMs'] / react['warm']['readyMs']:.2f}x | {built_cell} | "
                      f"{login['firstPaintMs']:.0f} / {login['loginReadyMs']:.0f} ms | {got['loadAverage']:.2f} |")
    out += ["\n".join(ratios), ""]
    for name, resources in result.get("resources", {}).items():
        top = sorted(resources, key=lambda r: -r["transfer"])[:12]
        rows = ["| resource | on the wire | decoded | start → end |", "|---|---|---|---|"]
        rows += [f"| {r['name']} | {r['transfer'] / 1e6:.2f} MB | {r['decoded'] / 1e6:.2f} MB | "
                 f"{r['start']:.0f} → {r['end']:.0f} ms |" for r in top]
        out += [f"Where the bytes go, app cold on {name}:", "", "\n".join(rows), ""]
    return "\n".join(out)


def refresh_readme(page: str, readme: Path = HERE / "README.md", block: str = "network") -> None:
    """Put a run's tables between bench/README.md's ``<block>:latest`` markers (``network`` or ``bench``)."""
    if not readme.exists():
        return
    text = readme.read_text()
    start, end = f"<!-- {block}:latest -->", f"<!-- /{block}:latest -->"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        _, tail = rest.split(end, 1)
        readme.write_text(f"{head}{start}\n{page}{end}{tail}")
