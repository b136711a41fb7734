"""The thin live slice in a real browser: login, snapshot, rows, live updates, self-hosting."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.e2e.conftest import log_in, open_app
from tests.e2e.harness import wait_until


def field_value(page, delivery_id: str, field: str) -> str | None:
    return page.get_attribute(f"[data-testid=delivery-row][data-id='{delivery_id}'] [data-field={field}]",
                              "data-value")


def test_login_snapshot_and_live_delivery_updates(page, stub):
    open_app(page, stub)
    log_in(page)
    rows = page.locator("[data-testid=delivery-list] [data-testid=delivery-row]")
    status, snapshot = stub.api("GET", "snapshot", token=stub.login_token())
    assert status == 200
    wait_until(lambda: rows.count() == len(snapshot["deliveries"]), timeout=20, message="every row rendered")

    # Every PROTOCOL.md hook of a row is there, with the raw value in data-value.
    delivery = snapshot["deliveries"][0]
    row = page.locator(f"[data-testid=delivery-row][data-id='{delivery['id']}']")
    for field in ("status", "customer", "address", "zoneId", "assignedTo", "priority", "eta"):
        assert row.locator(f"[data-field={field}]").count() == 1, field
    assert row.locator("[data-field=customer]").get_attribute("data-value") == delivery["customer"]

    # A live event from the server reaches the row without a reload.
    target = next(d for d in snapshot["deliveries"] if d["status"] not in ("delivered", "failed", "cancelled"))
    stub.control("emit", {"event": {"type": "delivery_update", "deliveryId": target["id"],
                                    "changes": {"eta": "2031-01-02T03:04:00Z"}}})
    wait_until(lambda: field_value(page, target["id"], "eta") == "2031-01-02T03:04:00Z", timeout=10,
               message="the emitted eta on screen")

    # And the running simulation keeps the diagnostics moving.
    diagnostics = page.locator("[data-testid=diagnostics]")
    first = int(diagnostics.get_attribute("data-applied"))
    wait_until(lambda: int(diagnostics.get_attribute("data-applied")) > first, timeout=10,
               message="simulated events applied")
    assert page.get_attribute("[data-testid=connection-status]", "data-state") == "open"


def test_no_request_leaves_the_page_origin(page, stub):
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    page.on("websocket", lambda socket: seen.append(socket.url))
    open_app(page, stub)
    log_in(page)
    origin = urlsplit(stub.url).netloc
    assert seen, "no request recorded"
    outside = [url for url in seen if urlsplit(url).netloc != origin and not url.startswith(("data:", "blob:"))]
    assert outside == []
    assert any(url.startswith("ws://") for url in seen), "the socket was not seen"
    assert any("pyodide.asm.wasm" in url for url in seen)


def test_wrong_password_shows_the_login_error_and_stays_on_login(page, stub):
    open_app(page, stub)
    page.fill("form[data-testid=login] [name=username]", "demo")
    page.fill("form[data-testid=login] [name=password]", "not-the-password")
    page.click("form[data-testid=login] [type=submit]")
    error = page.locator("[data-testid=login-error]")
    error.wait_for(state="visible")
    assert "wrong" in error.text_content().lower()
    assert page.get_attribute("html", "data-app-state") == "login"


def test_token_in_the_fragment_logs_in_and_stays_out_of_urls_and_local_storage(page, stub):
    token = stub.login_token()
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    page.on("websocket", lambda socket: seen.append(socket.url))
    open_app(page, stub, fragment=f"#token={token}")
    page.wait_for_selector("html[data-app-state=ready]")
    assert token not in page.url
    # A handed token learns its user and expiry from a first refresh (PROTOCOL.md 1): the tab then holds
    # the refreshed token, and knows who it is.
    wait_until(lambda: page.evaluate("sessionStorage.getItem('dc.user-id')"), timeout=20, message="the first refresh")
    held = page.evaluate("sessionStorage.getItem('dc.token')")
    assert held and stub.api("GET", "snapshot", token=held)[0] == 200
    assert page.evaluate("Object.keys(localStorage).length") == 0
    assert not [url for url in seen if token in url]
