"""How the page starts Pyodide: from its memory snapshot when it can, the ordinary way when not.

static/js/pyodide-boot.mjs restores scripts/snapshot.py's snapshot and unpacks its precompiled
wheels; ``dcBoot`` says how that went. `./dev test` makes both before the tests run.
"""

from __future__ import annotations

from scripts import snapshot
from tests.e2e.conftest import log_in, open_app
from tests.e2e.harness import Stub, wait_until

#: Python's global random generator, read in the page after the start.
DRAW = "() => dcBoot.pyodide.runPython('import random; random.getrandbits(64)').toString()"
PYDANTIC_FROM_BYTECODE = """() => dcBoot.pyodide.runPython(`
import sys
spec = sys.modules["pydantic.main"].__spec__
spec.cached is not None and spec.loader.path_stats is not None and bool(open(spec.cached, "rb").read(4))
`)"""


def boot(page) -> dict:
    return page.evaluate("() => ({snapshot: dcBoot.snapshot, pycache: dcBoot.pycache})")


def test_the_page_starts_from_the_snapshot_and_draws_its_own_random_numbers(page, stub):
    assert snapshot.up_to_date(), "run python scripts/snapshot.py (./dev test does)"
    open_app(page, stub)
    log_in(page)
    draws = []
    for visit in range(2):
        if visit:
            page.reload()  # the session keeps its token: straight to the dashboard
            page.wait_for_selector("html[data-app-state=ready]", timeout=60_000)
        assert boot(page) == {"snapshot": "used", "pycache": "used"}
        assert page.evaluate(PYDANTIC_FROM_BYTECODE) is True
        draws.append(page.evaluate(DRAW))
    # Every page restored from one heap would share the generator's state (and the
    # backoff's jitter with it) unless it is reseeded after the restore.
    assert draws[0] != draws[1]


def test_without_the_snapshot_the_page_starts_the_ordinary_way(page, stub):
    open_app(page, stub, "snapshot=0")
    log_in(page)
    assert boot(page) == {"snapshot": "off", "pycache": "off"}


def test_a_snapshot_that_cannot_be_restored_is_set_aside(page, stub):
    """A snapshot from another runtime (say, an old one a cache kept) must not stop the page."""
    page.route("**/static/vendor/pyodide/snapshot.bin",
               lambda route: route.fulfill(status=200, body=b"\0" * 4096, content_type="application/octet-stream"))
    page.route("**/static/vendor/pyodide/pycache.zip",
               lambda route: route.fulfill(status=200, body=b"not a zip", content_type="application/zip"))
    open_app(page, stub)
    log_in(page)
    assert boot(page) == {"snapshot": "failed", "pycache": "failed"}
    assert any("snapshot could not be restored" in line and "not a snapshot of this runtime (4096 bytes)" in line
               for line in page.console_messages_seen), "refused by its header, before a runtime is started"


def test_a_snapshot_of_another_pyodide_build_is_set_aside(page, stub):
    """Refused by its header's build id, before Pyodide starts a runtime for it (then a second one)."""
    real = bytearray((snapshot.PYODIDE_DIR / "snapshot.bin").read_bytes())
    real[16] ^= 0xFF  # the build id's first byte
    page.route("**/static/vendor/pyodide/snapshot.bin",
               lambda route: route.fulfill(status=200, body=bytes(real), content_type="application/octet-stream"))
    open_app(page, stub)
    log_in(page)
    assert boot(page)["snapshot"] == "failed"
    assert any("snapshot could not be restored" in line and "made by Pyodide build" in line
               for line in page.console_messages_seen), "refused by the boot, not by Pyodide's own check"


def test_a_large_roster_is_drawn_whole_and_in_name_order_after_the_first_rows(page):
    """The staff panel draws its first rows with the snapshot and the rest in chunks right after;
    a live change to someone not drawn yet lands in its place either way."""
    server = Stub("--seed", "7", "--rate", "0", "--staff", "250")
    try:
        status, world = server.api("GET", "snapshot", token=server.login_token())
        assert status == 200 and len(world["staff"]) == 250
        by_name = sorted(world["staff"], key=lambda m: (m["name"].casefold(), m["id"]))
        last = by_name[-1]
        new_status = "offline" if last["status"] != "offline" else "available"
        page.goto(f"{server.url}#token={server.login_token()}")
        page.wait_for_selector("html[data-app-state=ready]", timeout=60_000)
        server.control("emit", {"event": {"type": "staff_status_update", "staffId": last["id"], "status": new_status}})
        ids = "() => [...document.querySelectorAll('[data-testid=staff-row]')].map((r) => r.dataset.id)"
        wait_until(lambda: len(page.evaluate(ids)) == 250, timeout=20, message="every staff row drawn")
        assert page.evaluate(ids) == [m["id"] for m in by_name]
        wait_until(lambda: page.get_attribute(f'[data-testid=staff-row][data-id="{last["id"]}"]', "data-status")
                   == new_status, timeout=10, message="the live status on the last row")
    finally:
        server.stop()
