"""Rough timings of "Show 100 more" as the deliveries list grows (10,000 deliveries).

    .venv/bin/python scripts/show_more_timing.py [clicks]      # default 40: up to 4,100 rows shown

Starts its own stub (seed 7, the simulation stopped) and headless Chromium at
1280 x 800, then clicks the list's "Show 100 more" ``clicks`` times; each
figure is from the click to the first frame and task after the new rows are in
the page. Every shown row is in the document (rows.mjs keeps only the others
aside), so a list of thousands pays for all of them on every frame
(bench/README.md, "Show more, thousands of rows down").
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.harness import CHROMIUM_ARGS, Stub, chromium_path  # noqa: E402

BOOT_MS = 120_000
MORE = "[data-testid=delivery-more] button[data-action=show-more]"
SHOWN = "() => document.querySelectorAll('[data-testid=delivery-list] [data-testid=delivery-row]:not([hidden])').length"
SETTLED = "() => new Promise(done => requestAnimationFrame(() => setTimeout(done, 0)))"


def main(argv: list[str]) -> int:
    clicks = int(argv[0]) if argv else 40
    if not 1 <= clicks <= 99:
        print("clicks: 1 to 99", file=sys.stderr)
        return 2
    stub = Stub("--deliveries", "10000", "--staff", "200", "--seed", "7", "--rate", "0", startup_timeout=120)
    try:
        token = stub.login_token()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{stub.url}#token={token}")
            page.wait_for_selector("html[data-app-state=ready]", state="attached", timeout=BOOT_MS)
            for number in range(1, clicks + 1):
                before = page.evaluate(SHOWN)
                started = time.perf_counter()
                page.click(MORE)
                page.wait_for_function(f"n => ({SHOWN})() > n", arg=before, timeout=60_000)
                page.evaluate(SETTLED)
                print(f"click {number:2d}: {before:5d} -> {page.evaluate(SHOWN):5d} rows shown, "
                      f"{(time.perf_counter() - started) * 1000:6.0f} ms", flush=True)
            browser.close()
    finally:
        stub.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
