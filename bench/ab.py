"""Paired A/B: this tree's app beside another commit's, in windows alternated A B B A.

    .venv/bin/python -m bench.ab 867c1ae                    # 6 rounds of 8 s map windows
    .venv/bin/python -m bench.ab HEAD~3 --rounds 8 --window 10 --out /tmp/ab.json

Why: on a 2-core machine, one run of ``./dev bench --only map`` moved the
markers' p95 by a factor of four from one run to the next, with the same code
(bench/README.md, "The map's Python per event, and a noisy machine"). Two
runs minutes apart cannot judge a change of 10%. Here both apps are loaded
at once, each in its own Chromium with its own stub (seed 7, 10,000
deliveries, 500 staff, rate 0: the idle side receives nothing), and their
windows alternate A B B A, so a slow spell of the machine falls on both.
Each window is the map phase's (``bench.map.map_window``: 500 locations/s
beside 1,000 delivery updates/s, the map shown or, with ``--map hidden``,
hidden).

The other commit is checked out as a detached git worktree in a temporary
folder, with a copy of this tree's ``static/vendor`` (the vendored runtime
is git-ignored; 123 MB); both trees must pin the same runtime (``vendor.lock.json``),
or the comparison would be of the runtimes. Run it alone on the machine.

Prints, per round, each side's markers and rows p95, Python µs per event
and how many batches the page ran, then per figure how many rounds each
side won and the median of the paired differences.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Iterable, Mapping, Optional

from playwright.sync_api import sync_playwright

from bench import map as mapbench
from bench.browser import Cdp, chromium, first_page, open_ready
from bench.measure import app_rows, say
from tests.e2e.harness import ROOT, Stub

WORLD = ("--deliveries", "10000", "--staff", "500", "--rate", "0", "--seed", "7")
#: (key, label, lower is better): what each window gives.
FIGURES = (("markers", "markers p95, ms"), ("rows", "rows p95, ms"), ("us", "Python µs per event"),
           ("batches", "batches (more: shorter frames)"))


def figures(window: Mapping) -> dict:
    """What one ``map_window`` gives, as the table's figures."""
    batches = window.get("pythonBatches") or {}
    return {"markers": window["markers"]["latencyMs"]["p95"], "rows": window["rows"]["latencyMs"]["p95"],
            "us": batches.get("usPerFrame"), "batches": batches.get("calls"),
            "longTasks": window["longTasks"]["percentOfWindow"], "machine": window.get("machineBusyPercent")}


def order(rounds: int) -> list[tuple[str, str]]:
    """A B, B A, A B, ...: each side goes first in half the rounds."""
    return [("a", "b") if number % 2 == 0 else ("b", "a") for number in range(rounds)]


def paired(rounds: Iterable[Mapping[str, Mapping]], key: str, higher_is_better: bool = False) -> Optional[dict]:
    """Across rounds of ``{"a": figures, "b": figures}``: rounds each side was better in, ties,
    and the median of ``a - b``; None when no round has the figure on both sides."""
    diffs = [r["a"][key] - r["b"][key] for r in rounds if r["a"].get(key) is not None and r["b"].get(key) is not None]
    if not diffs:
        return None
    sign = -1 if higher_is_better else 1
    return {"aBetter": sum(1 for d in diffs if sign * d < 0), "bBetter": sum(1 for d in diffs if sign * d > 0),
            "ties": sum(1 for d in diffs if d == 0), "medianAminusB": round(statistics.median(diffs), 1),
            "rounds": len(diffs)}


def render(result: Mapping) -> str:
    a, b = result["a"]["label"], result["b"]["label"]
    lines = [f"A = {a}, B = {b}; {len(result['rounds'])} rounds of {result['window']:g} s, map {result['map']}, "
             f"load average {result['loadAverage']['start'][0]:.2f} at the start, "
             f"{result['loadAverage']['end'][0]:.2f} at the end", "",
             "| round | A: markers / rows p95, Python µs per event, batches (the machine's cores busy) "
             "| B: the same |", "|---|---|---|"]

    def cell(f: Mapping) -> str:
        busy = f.get("machine")
        return f"{f['markers']} / {f['rows']} ms, {f['us']} µs, {f['batches']}" + (
            "" if busy is None else f" ({busy:.0f}% busy)")

    for number, r in enumerate(result["rounds"], 1):
        lines.append(f"| {number} ({r['first']} first) | {cell(r['a'])} | {cell(r['b'])} |")
    lines += ["", "| figure | rounds A better | rounds B better | ties | median A - B |", "|---|---|---|---|---|"]
    for key, label in FIGURES:
        s = result["paired"].get(key)
        if s:
            lines.append(f"| {label} | {s['aBetter']} | {s['bBetter']} | {s['ties']} | {s['medianAminusB']} |")
    return "\n".join(lines)


def worktree(commit: str, where: Path) -> Path:
    """``commit`` checked out at ``where`` (detached), with this tree's vendored runtime."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--force", str(where), commit],
                   check=True, capture_output=True, text=True)
    mine, theirs = ROOT / "vendor.lock.json", where / "vendor.lock.json"
    if mine.is_file() and theirs.is_file() and mine.read_bytes() != theirs.read_bytes():
        raise SystemExit(f"bench.ab: {commit} pins another vendored runtime (vendor.lock.json differs): "
                         "the comparison would be of the runtimes, not the apps")
    # A copy, not a link: the stub serves only files that resolve inside the tree it serves.
    shutil.copytree(ROOT / "static" / "vendor", where / "static" / "vendor", symlinks=True)
    return where


def side(stack: ExitStack, playwright, root: Path, profile: Path, shown: bool):
    """A stub serving ``root`` and a Chromium with its app loaded and the map as asked: (stub, page, cdp)."""
    stub = Stub(*WORLD, "--bench-pages", str(root / "bench" / "pages"), startup_timeout=120, root=root)
    stack.callback(stub.stop)
    context = stack.enter_context(chromium(playwright, profile, expectRows=app_rows(10_000), hookPython=True))
    page = first_page(context)
    open_ready(page, f"{stub.url}#token={stub.login_token()}", rows=app_rows(10_000))
    page.wait_for_selector(mapbench.TOGGLE, state="attached", timeout=60_000)
    mapbench.show_map(page, shown)
    if shown:
        page.wait_for_selector(f"{mapbench.MARKER}[data-lat]", state="attached", timeout=120_000)
    cdp = Cdp(context, page)
    stack.callback(cdp.detach)
    return stub, page, cdp


def run(commit: str, rounds: int, seconds: float, shown: bool) -> dict:
    result: dict = {"a": {"label": "this tree", "root": str(ROOT)}, "b": {"label": commit}, "window": seconds,
                    "map": "shown" if shown else "hidden", "rounds": [],
                    "loadAverage": {"start": os.getloadavg()}}
    with tempfile.TemporaryDirectory(prefix="dc-ab-") as tmp, ExitStack() as stack:
        other = worktree(commit, Path(tmp) / "tree")
        stack.callback(subprocess.run, ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)],
                       capture_output=True)
        result["b"]["head"] = subprocess.run(["git", "-C", str(other), "rev-parse", "--short", "HEAD"],
                                             capture_output=True, text=True).stdout.strip()
        playwright = stack.enter_context(sync_playwright())
        sides = {"a": side(stack, playwright, ROOT, Path(tmp) / "profile-a", shown),
                 "b": side(stack, playwright, other, Path(tmp) / "profile-b", shown)}
        for number, pair in enumerate(order(rounds)):
            measured: dict = {"first": pair[0].upper()}
            for key in pair:
                stub, page, cdp = sides[key]
                mapbench.wait_quiet(page)
                window = mapbench.map_window(stub, page, cdp, Path(tmp) / f"profile-{key}", seconds=seconds,
                                             location_rate=mapbench.LOCATION_RATE,
                                             stream_rate=mapbench.STREAM_RATE)
                measured[key] = figures(window)
                time.sleep(1)
            result["rounds"].append(measured)
            say(f"ab round {number + 1}: A {measured['a']}; B {measured['b']}")
    result["loadAverage"]["end"] = os.getloadavg()
    result["paired"] = {key: paired(result["rounds"], key, higher_is_better=key == "batches") for key, _ in FIGURES}
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__.split("\n\n")[0])
    parser.add_argument("commit", help="the other tree: a commit, tag or branch of this repository")
    parser.add_argument("--rounds", type=int, default=6, help="A B / B A pairs of windows (default 6)")
    parser.add_argument("--window", type=float, default=8.0, help="seconds of streams per window (default 8)")
    parser.add_argument("--map", choices=("shown", "hidden"), default="shown")
    parser.add_argument("--out", type=Path, help="also write the result as JSON here")
    args = parser.parse_args(argv)
    if not 1 <= args.rounds <= 40 or not 1 <= args.window <= 60:
        parser.error("--rounds must be 1-40 and --window 1-60 s")
    result = run(args.commit, args.rounds, args.window, args.map == "shown")
    text = render(result)
    print(text)
    if args.out:
        args.out.write_text(json.dumps({**result, "table": text}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
