"""Take docs/map-light.png and docs/map-dark.png: the map panel at 768 px wide, a delivery selected;
and docs/staff-light.png and docs/staff-dark.png: its driver's detail view, opened from their dot.

    .venv/bin/python scripts/map_screenshots.py

Starts its own stub (seed 7, the simulation stopped) and headless Chromium, as
scripts/screenshots.py does for the dashboard's.
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


def main() -> int:
    stub = Stub("--seed", "7", "--rate", "0")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            for scheme in ("light", "dark"):
                page = browser.new_page(viewport={"width": 768, "height": 900}, color_scheme=scheme)
                page.goto(stub.url + "?pageRows=300")
                page.wait_for_selector("html[data-app-state=login]", state="attached", timeout=BOOT_MS)
                page.fill("form[data-testid=login] [name=username]", "demo")
                page.fill("form[data-testid=login] [name=password]", "demo")
                page.click("form[data-testid=login] [type=submit]")
                page.wait_for_selector("html[data-app-state=ready]", timeout=BOOT_MS)
                page.wait_for_selector("[data-testid=map-staff]", state="attached")
                page.locator("[data-testid=delivery-row] [data-field=customer]").nth(3).click()
                page.wait_for_selector("[data-testid=map-link]:not([hidden])", state="attached")
                out = ROOT / "docs" / f"map-{scheme}.png"
                page.locator("#map-panel").screenshot(path=str(out))
                print(out.relative_to(ROOT))
                page.locator("[data-testid=map-staff][data-selected=true]").dispatch_event("click")
                page.wait_for_selector("[data-testid=staff-detail] [data-testid=staff-deliveries] button")
                page.wait_for_timeout(400)  # the backdrop's fade
                out = ROOT / "docs" / f"staff-{scheme}.png"
                page.screenshot(path=str(out))
                print(out.relative_to(ROOT))
                page.close()
            browser.close()
    finally:
        stub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
