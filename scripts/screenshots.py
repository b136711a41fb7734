"""Take the README's screenshots: the dashboard light and dark, the offline banner, a delivery's detail.

    .venv/bin/python scripts/screenshots.py            # writes docs/screenshot-*.png
    .venv/bin/python scripts/screenshots.py --out /tmp  # somewhere else

Starts the stub (seed 7, faults on) like the end-to-end tests do, logs in with
Chromium (Debian's /usr/bin/chromium when present) at 1280x720, lets a few
seconds of simulated work arrive, then stops the simulation so each picture
is steady. The offline picture refuses new sockets and drops the open one,
with ``?backoffBaseMs=200`` so the schedule (5 attempts) runs out in seconds.
The detail picture needs the deliveries panel's ``button[data-action=open-details]``;
without it that picture is skipped with a message.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.harness import CHROMIUM_ARGS, Stub, chromium_path  # noqa: E402

VIEWPORT = {"width": 1280, "height": 720}
BOOT_MS = 90_000


def log_in(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html[data-app-state=login]", timeout=BOOT_MS)
    page.fill("form[data-testid=login] [name=username]", "demo")
    page.fill("form[data-testid=login] [name=password]", "demo")
    page.click("form[data-testid=login] [type=submit]")
    page.wait_for_selector("html[data-app-state=ready]", timeout=BOOT_MS)
    page.wait_for_selector("[data-testid=staff-row]", state="attached", timeout=20_000)


def settle(page, seconds: float = 1.0) -> None:
    """Let the frame queue drain and relative times render."""
    time.sleep(seconds)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def some_messages(stub: Stub) -> None:
    """A few messages, so the feed is not only the simulation's."""
    status, snapshot = stub.api("GET", "snapshot", token=stub.login_token())
    staff = snapshot["staff"] if status == 200 else []
    open_ids = [d["id"] for d in snapshot.get("deliveries", []) if d["status"] in ("assigned", "in_transit")]
    lines = [
        "Customer not home, left with the neighbour at no. 12 as agreed.",
        "Traffic on the ring road, running about 10 minutes behind.",
        "Picked up. Heading out now.",
    ]
    for i, (member, body) in enumerate(zip(staff[:3], lines)):
        event = {"type": "new_communication", "communication": {
            "id": f"C-shot-{i}", "from": member["id"], "to": "coordinators", "body": body,
            "sentAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60 * (9 - 3 * i))),
            "deliveryId": open_ids[i] if i < len(open_ids) else None}}
        stub.control("emit", {"event": event})


def shoot(out: Path) -> list[str]:
    notes = []
    out.mkdir(parents=True, exist_ok=True)
    stub = Stub("--seed", "7", "--rate", "4")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
            try:
                for scheme in ("light", "dark"):
                    context = browser.new_context(viewport=VIEWPORT, color_scheme=scheme)
                    page = context.new_page()
                    stub.control("rate", {"eventsPerSecond": 4})
                    log_in(page, stub.url)
                    if scheme == "light":
                        some_messages(stub)
                    settle(page, 3)
                    stub.control("rate", {"eventsPerSecond": 0})
                    settle(page)
                    page.screenshot(path=str(out / f"screenshot-{scheme}.png"))
                    notes.append(f"wrote screenshot-{scheme}.png")
                    if scheme == "light":
                        opener = page.locator("button[data-action=open-details]").first
                        if opener.count() == 0:
                            notes.append("skipped screenshot-detail.png: no button[data-action=open-details] yet")
                        else:
                            opener.click()
                            page.wait_for_selector("[data-testid=delivery-detail]", state="visible", timeout=10_000)
                            settle(page)
                            page.screenshot(path=str(out / "screenshot-detail.png"))
                            notes.append("wrote screenshot-detail.png")
                    context.close()

                context = browser.new_context(viewport=VIEWPORT)
                page = context.new_page()
                log_in(page, stub.url + "?backoffBaseMs=200")
                settle(page)
                stub.control("refuse", {"seconds": 120})
                stub.control("drop", {"code": None})
                page.wait_for_selector("[data-testid=connection-status][data-state=offline]", state="attached",
                                       timeout=60_000)
                settle(page, 2)  # "data on screen is ..." is drawn
                page.screenshot(path=str(out / "screenshot-offline.png"))
                notes.append("wrote screenshot-offline.png")
                stub.control("refuse", {"seconds": 0})
                context.close()
            finally:
                browser.close()
    finally:
        stub.stop()
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="directory for the PNGs (default docs/)")
    args = parser.parse_args(argv)
    for line in shoot(args.out):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
