"""The fault soak: a shift of commands through the UI while the stub misbehaves; nothing may be lost or made twice.

    .venv/bin/python -m bench.soak                  # 10 minutes, 300 commands: bench/results/soak.json
    ./dev soak --minutes 2 --commands 60            # a short run while developing

One headless Chromium signs in as ``demo`` against its own stub (simulation
off, so only the soak moves statuses and assignees; an ETA stream keeps events
flowing) and, for ``--minutes``, makes ``--commands`` changes through the page
itself: two thirds messages with unique bodies (the server's communications
then say exactly which were applied 0, 1 or 2 times), the rest status changes
and assignments on two disjoint sets of deliveries (checked by final state).
Meanwhile: a drop every 20-40 s (no close frame or 1012), one 45 s outage
(handshakes refused, socket cut), two revocations of every token (the soak
signs in again through the form shown over the board), one restart with a new
epoch, and two page reloads (the beforeunload prompt accepted). A failed
command that may be retried is retried from the outbox, as a coordinator would.

Then the faults stop, the outbox drains, and the figures are written:
commands issued (taken by the UI), confirmed (idempotency keys that changed the
server), lost, applied twice, and the final board against the server's
snapshot (every delivery's status and assignedTo). Goal: 0 lost, 0 twice,
100% matching. Not part of the test run; the figures go to bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from tests.e2e import shift
from tests.e2e.harness import CHROMIUM_ARGS, Stub, chromium_path

RESULTS = Path(__file__).resolve().parent / "results"
#: The app's clock for the soak: quicker than production so that ten minutes hold several
#: outages' worth of reconnects, slow enough that a loaded machine does not time out by itself.
TIMINGS = {"heartbeatMs": 2000, "deadAfterMs": 8000, "backoffBaseMs": 500, "commandTimeoutMs": 15000,
           "slowRetryMs": 10000, "pageRows": 300}
USER = "U-demo"
SETTLE_S = 240  # after the faults stop: at most this long for the outbox to drain and the board to settle


def log(start: float, text: str) -> None:
    print(f"[{time.monotonic() - start:7.1f} s] {text}", flush=True)


class Shift:
    """One soak run: the page, the stub, what was issued, what the faults did."""

    def __init__(self, page, stub: Stub, rng: random.Random, start: float):
        self.page, self.stub, self.rng, self.start = page, stub, rng, start
        self.token = stub.login_token()
        self.messages: list[str] = []  # bodies the UI took
        self.intended_status: dict[str, str] = {}
        self.intended_assignee: dict[str, str] = {}
        self.issued = Counter()  # kind -> commands the UI took
        self.not_taken = Counter()  # kind -> attempts the UI did not take (a reload under way, ...)
        self.seen_bodies: dict[str, str] = {}  # communication id -> body, gathered over the run
        self.events: list[dict] = []
        self.sign_ins = 0
        self.retries = 0
        self.refused: list[dict] = []
        snapshot = self.snapshot()
        carriers = [d["id"] for d in snapshot["deliveries"] if d["status"] in shift.CARRYING and d["assignedTo"]]
        rng.shuffle(carriers)
        self.status_targets = carriers[:40]
        self.assign_targets = carriers[40:80]
        self.staff_ids = [s["id"] for s in snapshot["staff"]]

    # --- the server's side ---------------------------------------------------------------

    def snapshot(self) -> dict:
        for _ in range(3):
            status, body = self.stub.api("GET", "snapshot", token=self.token)
            if status == 200:
                return body
            self.token = self.stub.login_token()  # revoked with everyone else's
        raise RuntimeError(f"no snapshot: {status} {body}")

    def gather_messages(self) -> None:
        for c in self.snapshot()["communications"]:
            self.seen_bodies[c["id"]] = c["body"]

    def fault(self, name: str, **detail) -> None:
        self.events.append({"at": round(time.monotonic() - self.start, 1), "fault": name, **detail})
        log(self.start, f"fault: {name} {detail or ''}")

    # --- the page ---------------------------------------------------------------------------

    def app_state(self) -> str:
        try:
            return self.page.evaluate("() => document.documentElement.dataset.appState") or ""
        except PlaywrightError:
            return ""  # navigating

    def sign_in_again_if_asked(self) -> None:
        if self.app_state() == "login" and self.page.is_visible(shift.LOGIN):
            shift.fill_login(self.page)
            self.page.wait_for_selector("html:not([data-app-state=login])", state="attached", timeout=60_000)
            self.sign_ins += 1
            log(self.start, "signed in again over the board")

    def retry_failed(self) -> None:
        try:
            failed = int(self.page.get_attribute(shift.OUTBOX, "data-failed") or 0)
            if not failed:
                return
            for item in shift.outbox_items(self.page):
                if item["state"] != "failed":
                    continue
                selector = f'[data-testid=outbox-item][data-id="{item["id"]}"]'
                if "retry" in item["buttons"]:
                    self.page.click(f"{selector} button[data-action=retry]", timeout=5_000)
                    self.retries += 1
                    log(self.start, f"retried {item['summary']!r} ({item['error']})")
                elif item["id"] not in {r["id"] for r in self.refused}:
                    self.refused.append(item)
                    log(self.start, f"refused, left in the outbox: {item}")
        except PlaywrightError as exc:
            log(self.start, f"outbox not readable now: {str(exc).splitlines()[0]}")

    def command(self, n: int) -> None:
        """The n-th command, through the UI; counted as issued only if the page took it."""
        kind = "message" if n % 3 else ("status" if n % 6 == 0 else "assign")
        page = self.page
        try:
            if kind == "message":
                body = f"soak {self.rng.getrandbits(40):010x} #{n}: parcel left with the neighbour"
                shift.send_message(page, body)
                if not shift.compose_accepted(page):
                    raise RuntimeError("the form kept the text (refused)")
                self.messages.append(body)
            elif kind == "status":
                target = self.settled_one(self.status_targets)
                current = shift.field(page, target, "status")
                want = self.rng.choice([s for s in shift.CARRYING if s != current])
                shift.set_status(page, target, want)
                self.intended_status[target] = want
            else:
                target = self.settled_one(self.assign_targets)
                current = shift.field(page, target, "assignedTo")
                want = self.rng.choice([s for s in self.staff_ids if s != current])
                shift.assign(page, target, want)
                self.intended_assignee[target] = want
            self.issued[kind] += 1
        except (PlaywrightError, RuntimeError) as exc:
            self.not_taken[kind] += 1
            log(self.start, f"command {n} ({kind}) not taken: {str(exc).splitlines()[0]}")

    def settled_one(self, targets: list[str]) -> str:
        """A target whose row has no change under way (a coordinator changes a row once it has settled)."""
        for _ in range(10):
            target = self.rng.choice(targets)
            if not shift.pending(self.page, target):
                return target
        return target

    def reload(self) -> None:
        try:
            self.page.reload(wait_until="commit", timeout=60_000)
            self.page.wait_for_selector("html[data-app-state]:not([data-app-state=loading])", state="attached",
                                        timeout=shift.BOOT_TIMEOUT)
        except PlaywrightError as exc:
            log(self.start, f"the reload did not finish in time: {str(exc).splitlines()[0]}")

    # --- the end ------------------------------------------------------------------------------

    def settle(self) -> dict:
        """Faults off; wait (bounded) until the outbox is empty and the page holds the server's last seq."""
        self.stub.control("refuse", {"seconds": 0})
        deadline = time.monotonic() + SETTLE_S
        while time.monotonic() < deadline:
            self.sign_in_again_if_asked()
            self.retry_failed()
            try:
                count = int(self.page.get_attribute(shift.OUTBOX, "data-count") or 0)
                state = self.page.get_attribute(shift.CONNECTION, "data-state")
                last_seq = shift.diag(self.page, "last-seq")
            except PlaywrightError:
                count, state, last_seq = -1, "", None
            server_seq = self.stub.stats()["seq"]
            if count == len(self.refused) and state == "open" and last_seq == server_seq:
                break
            time.sleep(1.0)  # polling a settling page: bounded by the deadline above
        self.stub.control("stream", {"rate": 0.001, "seconds": 0.001})
        self.gather_messages()
        return self.figures()

    def figures(self) -> dict:
        server = self.snapshot()
        rows = self.page.eval_on_selector_all("[data-testid=delivery-row]", """rows => rows.map(r => ({
            id: r.dataset.id, pending: r.getAttribute('data-pending'),
            status: r.querySelector('[data-field=status]').getAttribute('data-value'),
            assignedTo: r.querySelector('[data-field=assignedTo]').getAttribute('data-value')}))""")
        shown = {r["id"]: r for r in rows}
        mismatched = []
        for d in server["deliveries"]:
            r = shown.get(d["id"])
            if r is None or r["status"] != d["status"] or r["assignedTo"] != (d["assignedTo"] or ""):
                mismatched.append({"id": d["id"], "server": [d["status"], d["assignedTo"]],
                                   "page": None if r is None else [r["status"], r["assignedTo"], r["pending"]]})
        on_server = Counter(self.seen_bodies.values())
        message_counts = Counter(on_server[body] for body in self.messages)
        by_id = {d["id"]: d for d in server["deliveries"]}
        status_lost = [i for i, want in self.intended_status.items() if by_id[i]["status"] != want]
        assign_lost = [i for i, want in self.intended_assignee.items() if by_id[i]["assignedTo"] != want]
        keys = shift.applied(self.stub, USER)
        issued = sum(self.issued.values())
        lost = message_counts[0] + len(status_lost) + len(assign_lost)
        return {
            "commands": {
                "issued": issued, "by_kind": dict(self.issued), "not_taken_by_the_ui": dict(self.not_taken),
                "confirmed": len(keys),
                "lost": lost,
                "applied_twice": sum(n for times, n in message_counts.items() if times >= 2)
                + sum(1 for times in keys.values() if times >= 2),
                "refused_by_the_server": len(self.refused),
                "retried_by_the_user": self.retries,
                "left_in_the_outbox": int(self.page.get_attribute(shift.OUTBOX, "data-count") or 0),
            },
            "messages": {"issued": len(self.messages), "on_server_once": message_counts[1],
                         "missing": message_counts[0],
                         "twice_or_more": sum(n for times, n in message_counts.items() if times >= 2)},
            "changes": {"status_deliveries": len(self.intended_status), "status_not_as_last_set": status_lost,
                        "assign_deliveries": len(self.intended_assignee), "assign_not_as_last_set": assign_lost},
            "board": {"deliveries": len(server["deliveries"]), "rows": len(rows),
                      "matching": len(server["deliveries"]) - len(mismatched),
                      "matching_percent": round(100 * (len(server["deliveries"]) - len(mismatched))
                                                / len(server["deliveries"]), 2),
                      "mismatched": mismatched[:20]},
            "faults": self.events, "sign_ins_again": self.sign_ins,
            "page_errors": [line for line in self.page.console_messages_seen if line.startswith("pageerror")][:20],
            "refused": self.refused[:20],
        }


def plan(minutes: float, rng: random.Random) -> list[tuple[float, str]]:
    """When each fault happens (seconds from the start), in order."""
    total = minutes * 60
    fixed = [(0.20, "outage"), (0.38, "revoke"), (0.50, "restart"), (0.60, "reload"),
             (0.75, "revoke"), (0.88, "reload")]
    events = [(round(total * f, 1), name) for f, name in fixed]
    outage_at = total * 0.20
    t = rng.uniform(20, 40)
    while t < total:
        if not outage_at - 5 <= t <= outage_at + 50:  # a drop during the outage would change nothing
            events.append((round(t, 1), "drop"))
        t += rng.uniform(20, 40)
    return sorted(events)


def run(minutes: float, commands: int, seed: int, out: Path) -> dict:
    rng = random.Random(seed)
    load_before = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else None
    stub = Stub("--seed", str(seed), "--rate", "0")
    start = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="dc-soak-") as profile, sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS,
                viewport={"width": 1280, "height": 720})
            context.set_default_timeout(15_000)
            page = context.new_page()
            page.console_messages_seen = []
            page.on("console", lambda m: page.console_messages_seen.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: page.console_messages_seen.append(f"pageerror: {e}"))
            page.on("dialog", lambda dialog: dialog.accept())  # "leave with unsent changes?": yes, reload
            stub.control("stream", {"rate": 2, "seconds": minutes * 60 + SETTLE_S + 120})

            shift.sign_in(page, stub, TIMINGS)
            work = Shift(page, stub, rng, start)
            log(start, "signed in; the shift begins")
            schedule = plan(minutes, rng)
            total = minutes * 60
            issued_n = 0
            last_gather = 0.0
            outage_until = 0.0
            for _ in range(100_000):  # bounded: each pass takes a poll interval or a UI action
                now = time.monotonic() - start
                if now >= total and issued_n >= commands:
                    break
                if now >= total + SETTLE_S:
                    log(start, f"out of time with {issued_n} of {commands} commands attempted")
                    break
                while schedule and schedule[0][0] <= now and now < total:
                    _, name = schedule.pop(0)
                    if name == "drop":
                        code = rng.choice([None, 1012])
                        stub.control("drop", {"code": code})
                        work.fault("drop", code=code)
                    elif name == "outage":
                        stub.control("refuse", {"seconds": 45})
                        stub.control("drop", {"code": None})
                        outage_until = now + 45
                        work.fault("outage", seconds=45)
                    elif name == "revoke":
                        stub.control("revoke")
                        work.fault("revoke")
                    elif name == "restart":
                        work.fault("restart", epoch=stub.control("restart")["epoch"])
                    elif name == "reload":
                        work.fault("reload")
                        work.reload()
                work.sign_in_again_if_asked()
                if now - last_gather >= 5:
                    work.gather_messages()
                    work.retry_failed()
                    last_gather = now
                due = commands * min(1.0, now / (total * 0.95))
                if issued_n < commands and issued_n < due and work.app_state() == "ready":
                    work.command(issued_n)
                    issued_n += 1
                else:
                    time.sleep(0.25)  # nothing due: the pace of the shift, not a synchronisation
            log(start, f"faults over (outage until {outage_until:.0f} s); settling")
            figures = work.settle()
            context.close()
    finally:
        stub.stop()
    figures["run"] = {
        "minutes": minutes, "commands_planned": commands, "seed": seed, "timings": TIMINGS,
        "seconds": round(time.monotonic() - start, 1), "loadavg_before": load_before,
        "loadavg_after": Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else None,
        "cpus": os.cpu_count(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the faults go on (default 10)")
    parser.add_argument("--commands", type=int, default=300, help="commands made through the UI (default 300)")
    parser.add_argument("--seed", type=int, default=7, help="world and fault-schedule seed (default 7)")
    parser.add_argument("--out", type=Path, default=RESULTS / "soak.json", help="where the figures go")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.commands < 0:
        parser.error("--minutes must be > 0 and --commands >= 0")
    figures = run(args.minutes, args.commands, args.seed, args.out)
    c, b = figures["commands"], figures["board"]
    print(f"issued {c['issued']}, confirmed {c['confirmed']}, lost {c['lost']}, applied twice "
          f"{c['applied_twice']}, board matching {b['matching']}/{b['deliveries']} ({b['matching_percent']}%)")
    print(f"figures: {args.out}")
    return 0 if c["lost"] == 0 and c["applied_twice"] == 0 and b["matching"] == b["deliveries"] else 1


if __name__ == "__main__":
    sys.exit(main())
