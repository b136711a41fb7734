"""The app's one WebSocket lives in a worker (static/js/socket-worker.js) and reaches the page in batches;
a page that cannot start the worker, or whose worker stops, opens the socket itself."""

from __future__ import annotations

from tests.e2e.conftest import log_in, open_app
from tests.e2e.harness import wait_until

WORKER_SCRIPT = "**/static/js/socket-worker.js"

# Counts, before any of the page's scripts run: WebSockets the page itself makes, and the frames the
# socket worker hands over, per message.
COUNTING = """
(() => {
  const seen = window.__sockets = { pageSockets: 0, workerMessages: 0, workerFrames: 0, most: 0, workers: [] };
  const NativeSocket = window.WebSocket;
  window.WebSocket = class extends NativeSocket {
    constructor(...args) { super(...args); seen.pageSockets++; }
  };
  const NativeWorker = window.Worker;
  window.Worker = class extends NativeWorker {
    constructor(...args) {
      super(...args);
      seen.workers.push(this);
      this.addEventListener("message", (event) => {
        if (!Array.isArray(event.data) || event.data[0] !== "frames") return;
        seen.workerMessages++;
        seen.workerFrames += event.data[2].length;
        seen.most = Math.max(seen.most, event.data[2].length);
      });
    }
  };
})();
"""


def counts(page) -> dict:
    return page.evaluate("(({workers, ...numbers}) => numbers)(window.__sockets)")


def eta_of(page, delivery_id: str):
    return page.get_attribute(f"[data-testid=delivery-row][data-id='{delivery_id}'] [data-field=eta]", "data-value")


def open_delivery(stub) -> str:
    status, snapshot = stub.api("GET", "snapshot", token=stub.login_token())
    assert status == 200
    return next(d["id"] for d in snapshot["deliveries"] if d["status"] not in ("delivered", "failed", "cancelled"))


def emit_eta(stub, page, delivery_id: str, eta: str) -> None:
    stub.control("emit", {"event": {"type": "delivery_update", "deliveryId": delivery_id, "changes": {"eta": eta}}})
    wait_until(lambda: eta_of(page, delivery_id) == eta, timeout=15, message=f"the emitted eta {eta} on screen")


def test_the_socket_lives_in_a_worker_and_a_burst_reaches_the_page_in_batches(page, stub):
    workers: list[str] = []
    page.on("worker", lambda worker: workers.append(worker.url))
    page.add_init_script(COUNTING)
    open_app(page, stub)
    log_in(page)
    target = open_delivery(stub)
    emit_eta(stub, page, target, "2031-02-03T04:05:00Z")
    assert any(url.endswith("/static/js/socket-worker.js") for url in workers), workers
    assert counts(page)["pageSockets"] == 0, "the page opened a WebSocket of its own"

    before = counts(page)
    stub.control("stream", {"rate": 400, "seconds": 1.5})
    ended = wait_until(lambda: (state := stub.control("stream", method="GET"))["emitted"] is not None and state,
                       timeout=30, interval=0.1, message="the burst ran and ended")
    assert ended["emitted"] >= 300
    last = stub.stats()["seq"]
    wait_until(lambda: int(page.get_attribute("[data-testid=diagnostics]", "data-last-seq") or -1) >= last,
               timeout=20, message="every event of the burst applied")
    after = counts(page)
    frames = after["workerFrames"] - before["workerFrames"]
    messages = after["workerMessages"] - before["workerMessages"]
    # While the page is busy (a batch, a frame) the worker holds what comes and hands it over at once.
    assert frames >= ended["emitted"] and messages < frames, (messages, frames)
    assert after["most"] > 1
    emit_eta(stub, page, target, "2031-02-03T04:06:00Z")  # and the order is kept: the last one shows
    assert page.get_attribute("[data-testid=connection-status]", "data-state") == "open"


def test_a_page_that_cannot_start_the_worker_opens_the_socket_itself(page, stub):
    page.route(WORKER_SCRIPT, lambda route: route.fulfill(status=404, body="not here"))
    page.add_init_script(COUNTING)
    open_app(page, stub)
    log_in(page)
    target = open_delivery(stub)
    emit_eta(stub, page, target, "2031-03-04T05:06:00Z")
    seen = counts(page)
    assert seen["pageSockets"] == 1 and seen["workerMessages"] == 0, seen
    assert page.get_attribute("[data-testid=connection-status]", "data-state") == "open"


def test_a_worker_that_fails_loses_its_socket_and_the_app_reconnects_from_the_page(page, stub):
    page.add_init_script(COUNTING)
    open_app(page, stub)
    log_in(page)
    target = open_delivery(stub)
    emit_eta(stub, page, target, "2031-04-05T06:07:00Z")
    assert counts(page)["pageSockets"] == 0
    # What the page hears when its worker throws (an uncaught error there is an "error" event on the
    # Worker object): the socket it held is lost, and later ones open on the page.
    page.evaluate("""() => window.__sockets.workers[0].dispatchEvent(
        new ErrorEvent("error", {message: "the worker broke", cancelable: true}))""")
    wait_until(lambda: counts(page)["pageSockets"] == 1, timeout=30, message="the socket opened again by the page")
    emit_eta(stub, page, target, "2031-04-05T06:08:00Z")
    wait_until(lambda: page.get_attribute("[data-testid=connection-status]", "data-state") == "open", timeout=15,
               message="connected again")
    assert any("socket closed: 1006" in line for line in page.console_messages_seen)
