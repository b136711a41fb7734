"""Time from navigation to ``html[data-app-state=ready]``, cold and warm, default world.

    .venv/bin/python scripts/load_time.py [--runs 3] [stub flags, e.g. --deliveries 10000]

Cold: a fresh Chromium profile each run (nothing cached). Warm: one
persistent profile visited once first, then timed (Playwright's
``new_context()`` would not keep the 9.6 MB wasm in its cache). The token is
handed in the URL fragment so the login form is not part of the figure.
Prints the median and every run; the full benchmark (``./dev bench``) does
the same at dispatch scale with more.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.harness import CHROMIUM_ARGS, Stub, chromium_path  # noqa: E402


def one_load(playwright, profile: str, url: str) -> float:
    context = playwright.chromium.launch_persistent_context(
        profile, executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
    try:
        page = context.new_page()
        started = time.perf_counter()
        page.goto(url)
        page.wait_for_selector("html[data-app-state=ready]", timeout=120_000)
        return time.perf_counter() - started
    finally:
        context.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args, stub_flags = parser.parse_known_args(argv)
    stub = Stub("--rate", "3", *stub_flags)
    try:
        url = stub.url + "#token=" + stub.login_token()
        cold, warm = [], []
        with sync_playwright() as playwright:
            for _ in range(args.runs):
                with tempfile.TemporaryDirectory() as profile:
                    cold.append(one_load(playwright, profile, url))
            with tempfile.TemporaryDirectory() as profile:
                one_load(playwright, profile, url)  # fill the cache
                for _ in range(args.runs):
                    warm.append(one_load(playwright, profile, url))
    finally:
        stub.stop()
    print(f"machine: {platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores; "
          f"world: {' '.join(stub_flags) or 'default (300 deliveries, 40 staff)'}")
    for name, runs in (("cold", cold), ("warm", warm)):
        print(f"{name}: median {statistics.median(runs):.2f} s  (runs: {', '.join(f'{r:.2f}' for r in runs)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
