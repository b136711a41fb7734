"""The first visit over a real network (issue 13): what the page does before Python is ready.

- the login form takes typing at first paint, and a submit made during the boot waits for the app;
- the boot shows its steps and their bytes;
- a returning user sees the board's layout (the skeleton), and the data fetched during the boot
  is handed to Python (or asked again when that prefetch failed);
- the runtime crosses the wire compressed.

Python is held back where a test needs the boot to be still under way: the page's main.py is
answered only when the test says so.
"""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import log_in, open_app, with_all_rows
from tests.e2e.harness import Stub, wait_until

MAIN_PY = "**/app/web/main.py"


class HeldBack:
    """Route ``pattern`` and let its requests through only on ``release()``."""

    def __init__(self, page, pattern: str):
        self.page, self.pattern, self.routes = page, pattern, []
        page.route(pattern, self._hold)

    def _hold(self, route) -> None:
        self.routes.append(route)

    def release(self) -> None:
        wait_until(lambda: self.routes or self.page.evaluate("0"), timeout=60, message=f"a request for {self.pattern}")
        for route in self.routes:
            route.continue_()
        self.page.unroute(self.pattern, self._hold)


@pytest.fixture(scope="module")
def still_stub():
    """A world with no events: the prefetched snapshot is still the latest when the socket welcomes."""
    server = Stub("--seed", "7", "--rate", "0")
    yield server
    server.stop()


def steps(page) -> dict:
    return page.evaluate("() => ({...dcBootSteps.states})")


def test_the_form_takes_typing_during_the_boot_and_a_submit_waits_for_the_app(page, stub):
    held = HeldBack(page, MAIN_PY)
    page.goto(f"{stub.url}?{with_all_rows('')}")
    form = "form[data-testid=login]"
    page.wait_for_selector(f"{form} [name=username]", state="visible")
    assert page.get_attribute("html", "data-app-state") == "loading"  # Python has not run
    page.fill(f"{form} [name=username]", "demo")
    page.fill(f"{form} [name=password]", "demo")
    page.click(f"{form} [type=submit]")
    page.wait_for_selector(f"{form}[aria-busy=true]")
    assert page.text_content(f"{form} [type=submit]") == "Signing in…"
    assert page.evaluate("() => Boolean(globalThis.dcPendingLogin)")
    assert page.get_attribute("html", "data-app-state") == "loading"
    assert page.url.split("?")[0] == stub.url  # no navigation: the submit was queued, not sent
    held.release()
    page.wait_for_selector("html[data-app-state=ready]", timeout=60_000)
    assert page.evaluate("() => globalThis.dcPendingLogin === undefined")
    assert page.is_hidden("#login-view") and page.is_visible("#dashboard")


def test_what_was_typed_during_the_boot_stays_and_keeps_its_caret(page, stub):
    held = HeldBack(page, MAIN_PY)
    page.goto(f"{stub.url}?{with_all_rows('')}")
    field = "form[data-testid=login] [name=username]"
    page.wait_for_selector(field, state="visible")
    page.fill("form[data-testid=login] [name=password]", "demo")
    page.click(field)
    page.keyboard.type("de")
    held.release()
    page.wait_for_selector("html[data-app-state=login]", timeout=60_000)
    # Python showed the same form: nothing typed is lost, and the caret stays in the field being
    # typed in (Python's own choice, with a username there, would be the password).
    assert page.input_value("form[data-testid=login] [name=password]") == "demo"
    assert page.input_value(field) == "de"
    assert page.evaluate("() => document.activeElement.name") == "username"
    page.keyboard.type("mo")
    page.keyboard.press("Enter")
    page.wait_for_selector("html[data-app-state=ready]", timeout=60_000)


def test_an_empty_early_submit_says_what_is_missing_and_queues_nothing(page, stub):
    held = HeldBack(page, MAIN_PY)
    page.goto(f"{stub.url}?{with_all_rows('')}")
    page.wait_for_selector("form[data-testid=login] [name=username]", state="visible")
    page.click("form[data-testid=login] [type=submit]")
    page.wait_for_selector("[data-testid=login-error]:not([hidden])")
    assert page.text_content("[data-testid=login-error]") == "Enter your username and password."
    assert page.evaluate("() => globalThis.dcPendingLogin === undefined")
    held.release()
    log_in(page)  # Python takes over the same form


def test_the_boot_shows_its_steps_with_their_bytes(page, stub):
    held = HeldBack(page, MAIN_PY)
    page.goto(f"{stub.url}?{with_all_rows('')}")
    page.wait_for_selector("[data-testid=boot-progress] li[data-step=runtime][data-state=done]", timeout=60_000)
    labels = page.eval_on_selector_all("[data-testid=boot-progress] li", "items => items.map(i => i.dataset.step)")
    assert labels == ["runtime", "python", "app", "data"]
    assert steps(page)["app"] in ("waiting", "loading")  # main.py is held back
    assert "MB" in page.text_content("[data-testid=boot-progress] li[data-step=runtime]")
    held.release()
    log_in(page)
    page.wait_for_selector("[data-testid=boot-progress] li[data-step=data][data-state=done]", state="attached")
    assert steps(page) == {"runtime": "done", "python": "done", "app": "done", "data": "done"}
    assert page.evaluate("() => dcBootSteps.bytes.runtime") > 1_000_000


def test_a_returning_user_sees_the_skeleton_and_the_prefetched_snapshot_is_used(page, still_stub):
    stub = still_stub
    open_app(page, stub)
    log_in(page)
    asked = []
    page.on("request", lambda request: asked.append(request.url) if "/api/snapshot" in request.url else None)
    held = HeldBack(page, MAIN_PY)
    page.reload()
    page.wait_for_selector("[data-testid=skeleton]", state="visible")
    assert page.is_hidden("#login-view") and page.get_attribute("html", "data-boot") == "session"
    held.release()
    page.wait_for_selector("html[data-app-state=ready]", timeout=60_000)
    assert page.is_hidden("[data-testid=skeleton]")
    state = page.evaluate("() => ({...dcPrefetch.state})")
    assert state[f"{stub.url}api/snapshot"] == "used" and state[f"{stub.url}static/config.json"] == "used"
    assert asked == [f"{stub.url}api/snapshot"]  # one request, the prefetch's


@pytest.fixture(scope="module")
def moving_stub():
    """A world that moves only when a test streams events into it (``/_control/stream``)."""
    server = Stub("--seed", "7", "--rate", "0")
    yield server
    server.stop()


def test_in_a_moving_world_the_prefetched_snapshot_is_resumed_from_and_asked_for_once(page, moving_stub):
    stub = moving_stub
    open_app(page, stub)
    log_in(page)
    asked, frames = [], {"sent": [], "received": []}
    page.on("request", lambda request: asked.append(request.url) if "/api/snapshot" in request.url else None)

    def watch(socket):
        socket.on("framesent", lambda payload: frames["sent"].append(payload))
        socket.on("framereceived", lambda payload: frames["received"].append(payload))

    page.on("websocket", watch)
    stub.control("stream", {"rate": 20, "seconds": 120})
    held = HeldBack(page, MAIN_PY)
    page.reload()
    snapshot_url = f"{stub.url}api/snapshot"
    wait_until(lambda: page.evaluate("url => dcPrefetch.state[url]", snapshot_url) == "answered",
               timeout=60, message="the prefetched snapshot's answer")
    prefetched_at = stub.stats()["seq"]
    wait_until(lambda: stub.stats()["seq"] >= prefetched_at + 5, timeout=30, message="the world to move on")
    held.release()
    page.wait_for_selector("html[data-app-state=ready]", timeout=60_000)
    welcome = json.loads(wait_until(lambda: next((f for f in frames["received"] if '"welcome"' in f), None),
                                    timeout=30, message="the welcome"))
    auth = json.loads(next(f for f in frames["sent"] if '"auth"' in f))
    assert auth["epoch"] == welcome["epoch"] and auth["resumeFrom"] <= prefetched_at < welcome["seq"]
    assert welcome["resumed"] is True
    page.wait_for_selector("[data-testid=connection-status][data-state=open]")
    # The replayed gap and the live events were applied on top of the prefetched board, no resync.
    diagnostics = "[data-testid=diagnostics]"
    wait_until(lambda: int(page.get_attribute(diagnostics, "data-last-seq") or 0) >= welcome["seq"],
               timeout=30, message="the replayed events to be applied")
    assert page.get_attribute(diagnostics, "data-resyncs") == "0"
    assert page.get_attribute(diagnostics, "data-invalid") == "0"
    assert asked == [snapshot_url]


def test_a_failed_prefetch_falls_back_to_an_ordinary_request(page, stub):
    open_app(page, stub)
    log_in(page)
    calls = []

    def first_fails(route):
        calls.append(route.request.url)
        if len(calls) == 1:
            route.fulfill(status=503, body="busy")
        else:
            route.continue_()

    page.route("**/api/snapshot", first_fails)
    page.reload()
    page.wait_for_selector("html[data-app-state=ready]", timeout=60_000)
    assert page.evaluate(f"() => dcPrefetch.state['{stub.url}api/snapshot']") == "failed"
    assert len(calls) == 2


def test_the_runtime_crosses_the_wire_compressed(page, stub):
    encodings = {}

    def note(response):
        name = response.url.rsplit("/", 1)[-1]
        if name in ("pyodide.asm.wasm", "snapshot.bin", "pyodide.asm.mjs"):
            encodings[name] = response.headers.get("content-encoding")

    page.on("response", note)
    open_app(page, stub, "cachebust=1")
    # The profile may serve them from its cache, with the headers they were stored with.
    wait_until(lambda: len(encodings) == 3 or page.evaluate("0"), timeout=30, message="the runtime's responses")
    assert set(encodings.values()) == {"br"}, encodings


def test_pydantic_core_is_compiled_from_its_own_url_and_dlopen_takes_that_module(page, stub):
    served = []
    page.on("response", lambda r: served.append((r.url, r.headers.get("content-type")))
            if r.url.endswith(".wasm") and "/pyodide/_pydantic_core" in r.url else None)
    open_app(page, stub)
    assert page.evaluate("() => dcBoot.dynlibs") == "used"
    # What dlopen loaded for each preloaded path is the very instance made from the streamed module.
    taken = page.evaluate("""() => {
        const module = dcBoot.pyodide._module;
        return Object.keys(module.preloadedWasm).map(
            (name) => [name, module.LDSO.loadedLibsByName[name]?.exports === module.preloadedWasm[name]]);
    }""")
    assert [ok for _, ok in taken] == [True], taken
    assert taken[0][0].endswith("/site-packages/pydantic_core/_pydantic_core.cpython-314-wasm32-emscripten.so")
    assert served and all(kind == "application/wasm" for _, kind in served), served


def test_without_streaming_pydantic_cores_bytes_are_instantiated_as_pyodide_would(page, stub):
    open_app(page, stub, "dynlibs=0")
    assert page.evaluate("() => dcBoot.dynlibs") == "off"
    assert page.evaluate("() => Object.keys(dcBoot.pyodide._module.preloadedWasm).length") == 1
    log_in(page)  # pydantic validates the login answer and the snapshot


def test_a_token_handed_in_the_address_prefetches_the_snapshot_too(page, still_stub):
    stub = still_stub
    asked = []
    page.on("request", lambda request: asked.append(request.url) if "/api/snapshot" in request.url else None)
    page.goto(f"{stub.url}?{with_all_rows('')}#token={stub.login_token()}")
    page.wait_for_selector("html[data-app-state=ready]", timeout=60_000)
    assert "token" not in page.url
    assert page.is_hidden("#login-view")  # no sign-in form over the board: it once collapsed the list to 0 px
    assert page.evaluate(f"() => dcPrefetch.state['{stub.url}api/snapshot']") == "used"
    assert asked == [f"{stub.url}api/snapshot"]
