"""A sign-out and a sign-in in one tab: the second board, loaded after the first was frozen and let go (app/heap.py), is live."""

from __future__ import annotations

from tests.e2e.conftest import log_in, open_app
from tests.e2e.harness import wait_until


def test_a_board_signed_in_after_a_sign_out_takes_live_updates(page, stub):
    open_app(page, stub)
    log_in(page)
    page.wait_for_selector("[data-testid=delivery-list] [data-testid=delivery-row]")
    page.click("#logout")
    log_in(page, "coordinator", "coordinator")
    status, snapshot = stub.api("GET", "snapshot", token=stub.login_token())
    assert status == 200
    target = next(d for d in snapshot["deliveries"] if d["status"] not in ("delivered", "failed", "cancelled"))
    stub.control("emit", {"event": {"type": "delivery_update", "deliveryId": target["id"],
                                    "changes": {"eta": "2031-01-02T03:04:00Z"}}})
    cell = f"[data-testid=delivery-row][data-id='{target['id']}'] [data-field=eta]"
    wait_until(lambda: page.get_attribute(cell, "data-value") == "2031-01-02T03:04:00Z", timeout=15,
               message="the emitted eta on the second board")
    assert not [m for m in page.console_messages_seen if m.startswith("pageerror")]
