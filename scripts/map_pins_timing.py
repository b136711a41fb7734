"""Rough timings of the map with a big world: a full redraw (showing the hidden map) and one arrow-key pan.

    .venv/bin/python scripts/map_pins_timing.py [deliveries]     # default 10000, 500 staff

Starts its own stub (seed 7, the simulation stopped) and headless Chromium;
prints three runs. Each figure is from the page event to the next frame. The
README's "The map" has the figures and how they were taken (the all-pins rows
with ``app.map_layer.PIN_BUDGET`` raised above the open deliveries).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.harness import CHROMIUM_ARGS, Stub, chromium_path  # noqa: E402

BOOT_MS = 120_000
#: Click the toggle (the map was hidden: everything is drawn), then wait for a frame and a task.
REDRAW = """() => new Promise(done => {
    const t0 = performance.now();
    document.querySelector('[data-testid=map-toggle]').click();
    requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0), 0));
})"""
PAN = """() => new Promise(done => {
    const t0 = performance.now();
    const map = document.querySelector('[data-testid=map]');
    map.focus();
    map.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight', bubbles: true}));
    requestAnimationFrame(() => setTimeout(() => done(performance.now() - t0), 0));
})"""


def main(argv: list[str]) -> int:
    deliveries = int(argv[0]) if argv else 10_000
    stub = Stub("--seed", "7", "--rate", "0", "--deliveries", str(deliveries), "--staff", "500")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(stub.url)
            page.wait_for_selector("html[data-app-state=login]", state="attached", timeout=BOOT_MS)
            page.fill("form[data-testid=login] [name=username]", "demo")
            page.fill("form[data-testid=login] [name=password]", "demo")
            page.click("form[data-testid=login] [type=submit]")
            page.wait_for_selector("html[data-app-state=ready]", timeout=BOOT_MS)
            page.wait_for_selector("[data-testid=map-delivery]", state="attached", timeout=60_000)
            for _ in range(3):
                page.click("[data-testid=map-toggle]")
                page.wait_for_selector("[data-testid=map-toggle][aria-expanded=false]")
                redraw = page.evaluate(REDRAW)
                pins = page.locator("[data-testid=map-delivery]").count()
                pan = page.evaluate(PAN)
                print(f"{deliveries} deliveries: redraw {redraw:.0f} ms, {pins} pins drawn; one pan {pan:.0f} ms")
            browser.close()
    finally:
        stub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
