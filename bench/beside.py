"""How late the map phase's events reach a client that does nothing else: alone, and beside the app.

    .venv/bin/python -m bench.beside [--rounds 3] [--window 8] [--page app|reference|none]
        [--stub-nice N] [--client-nice N]

The map phase's latencies (``./dev bench --only map``) count from the stub's
send time (``location.at``) to the page's DOM. On two cores the stub, the
harness and every Chromium process share the machine, so part of that time
is a wait for a core, before any of the page's code runs. This measures that
part apart: a bare WebSocket client (a Python process of its own, run as
``python -m bench.beside --listen``: it receives, parses and timestamps, and
nothing more) takes the same two streams (500 locations/s, 1,000 delivery
updates/s) from the same stub, first with no browser, then in ``--rounds``
windows beside the page in headless Chromium (the app, map shown; or the
plain-JS reference page), and last alone again. Each line is one window: the
client's location event -> receipt p50 / p95 / p99.

``--stub-nice`` and ``--client-nice`` set the stub's and the client's nice
values for the windows beside the page (negative values need root), to see
whose turn on a core the client waits for.

Run it alone on the machine: it is a measurement of the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.stats import summary  # noqa: E402

LOCATION_RATE = 500
STREAM_RATE = 1000
#: The client connects this long before the streams start, and listens this long after they end.
LEAD_S, TAIL_S = 1.5, 2.0
#: How the listener process gets its token.
TOKEN_VARIABLE = "DC_BENCH_TOKEN"


def latency_ms(text: str, received_s: float) -> Optional[float]:
    """A ``staff_location_update``'s age at ``received_s`` (epoch seconds), from its ``location.at``;
    None for any other frame.

    >>> frame = '{"type": "staff_location_update", "location": {"at": "2026-12-07T07:00:00.250Z"}}'
    >>> latency_ms(frame, datetime.fromisoformat("2026-12-07T07:00:00.300+00:00").timestamp())
    50.0
    >>> latency_ms('{"type": "delivery_update"}', 0.0) is None
    True
    """
    message = json.loads(text)
    if not isinstance(message, dict) or message.get("type") != "staff_location_update":
        return None
    at = datetime.fromisoformat(message["location"]["at"].replace("Z", "+00:00")).timestamp()
    return round((received_s - at) * 1000, 2)


async def listen(url: str, token: str, seconds: float) -> list[float]:
    """Location latencies (ms) for ``seconds`` on a socket of our own (PROTOCOL.md 3: auth first)."""
    from websockets.asyncio.client import connect

    found: list[float] = []
    async with connect(url, open_timeout=10, max_size=None) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token, "resumeFrom": None}))
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            try:
                text = await asyncio.wait_for(ws.recv(), min(1.0, left))
            except asyncio.TimeoutError:
                continue
            age = latency_ms(text, time.time())
            if age is not None:
                found.append(age)
    return found


def line(label: str, ages: list[float], load: float) -> str:
    """One window's line.

    >>> line("alone", [1.0, 2.0, 3.0], 0.5)
    'alone                          n 3  p50 2.0  p95 2.9  p99 3.0 ms  (load average 0.50)'
    """
    s = summary(ages)
    return f"{label:30s} n {s['n']}  p50 {s['p50']}  p95 {s['p95']}  p99 {s['p99']} ms  (load average {load:.2f})"


def window(stub, pump, label: str, seconds: float, nice: int = 0) -> dict:
    """One window: a listener process, both streams for ``seconds``; ``pump(ms)`` waits (and lets a page
    run its events)."""
    # The token goes by the environment: one that starts with "-" would read as an option.
    listener = subprocess.Popen(
        [sys.executable, "-m", "bench.beside", "--listen", stub.url.replace("http", "ws", 1) + "ws",
         str(LEAD_S + seconds + TAIL_S)], cwd=ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, TOKEN_VARIABLE: stub.login_token()})
    if nice:
        os.setpriority(os.PRIO_PROCESS, listener.pid, nice)
    try:
        pump(LEAD_S * 1000)
        stub.control("locations", {"rate": LOCATION_RATE, "seconds": seconds})
        stub.control("stream", {"rate": STREAM_RATE, "seconds": seconds})
        deadline = time.monotonic() + seconds + TAIL_S + 30
        while listener.poll() is None and time.monotonic() < deadline:
            pump(200)
        out, _ = listener.communicate(timeout=30)
    finally:
        if listener.poll() is None:
            listener.kill()
    ages = json.loads(out or "[]")
    load = os.getloadavg()[0]
    print(line(label, ages, load), flush=True)
    pump(3000)  # the page drains before the next window
    return {"label": label, "latencyMs": summary(ages), "loadAverage": round(load, 2)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="windows beside the page (default 3)")
    parser.add_argument("--window", type=float, default=8.0, help="seconds of streams per window (default 8)")
    parser.add_argument("--page", choices=("app", "reference", "none"), default="app")
    parser.add_argument("--stub-nice", type=int, default=0, help="the stub's nice value beside the page")
    parser.add_argument("--client-nice", type=int, default=0, help="the bare client's nice value beside the page")
    parser.add_argument("--listen", nargs=2, metavar=("URL", "SECONDS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.listen:
        url, seconds = args.listen
        print(json.dumps(asyncio.run(listen(url, os.environ[TOKEN_VARIABLE], float(seconds)))))
        return 0
    if not (1 <= args.rounds <= 20 and 1 <= args.window <= 60):
        parser.error("--rounds is 1 to 20 and --window 1 to 60 seconds")

    from playwright.sync_api import sync_playwright

    from bench.browser import chromium, first_page, open_ready
    from tests.e2e.harness import Stub

    stub = Stub("--deliveries", "10000", "--staff", "500", "--rate", "0", "--seed", "7",
                "--bench-pages", str(ROOT / "bench" / "pages"), startup_timeout=120)
    sleep = lambda ms: time.sleep(ms / 1000)  # noqa: E731
    try:
        window(stub, sleep, "alone", args.window)
        if args.page != "none":
            token = stub.login_token()
            url = f"{stub.url}#token={token}" if args.page == "app" else f"{stub.url}bench/reference.html#token={token}"
            with tempfile.TemporaryDirectory(prefix="dc-beside-") as tmp, sync_playwright() as playwright:
                with chromium(playwright, Path(tmp), expectRows=0, hookPython=args.page == "app") as context:
                    page = first_page(context)
                    open_ready(page, url, rows=0)
                    page.wait_for_timeout(5000)  # the rows built after ready, the map drawn
                    if args.stub_nice:
                        os.setpriority(os.PRIO_PROCESS, stub.proc.pid, args.stub_nice)
                    for n in range(args.rounds):
                        window(stub, page.wait_for_timeout, f"beside the {args.page} page, {n + 1}", args.window,
                               args.client_nice)
                    os.setpriority(os.PRIO_PROCESS, stub.proc.pid, 0)
            window(stub, sleep, "alone again", args.window)
    finally:
        stub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
