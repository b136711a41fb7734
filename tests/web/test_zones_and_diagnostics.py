"""The zones and diagnostics panels render through the seam (a fake page)."""

from app.web.panels.diagnostics import DiagnosticsPanel
from app.web.panels.zones import ZonesPanel
from tests.web.fakes import FakeClient, context, delivery, publish, section, staff, turns, zone


def test_zone_cards_count_waiting_deliveries_and_raise_the_alert():
    client = FakeClient([delivery(i) for i in range(1, 9)], [staff(1)], zones=(zone(), zone("Z-2", "Docks")))
    ctx = context(client)
    panel = ZonesPanel(section(), ctx).mount()
    turns()
    cards = {card.getAttribute("data-id"): card for card in panel.root.querySelectorAll("[data-testid=zone-card]")}
    assert set(cards) == {"Z-1", "Z-2"}
    assert cards["Z-1"].querySelector("[data-field=pending]").getAttribute("data-value") == "8"
    assert cards["Z-1"].querySelector("[data-testid=zone-alert]").getAttribute("data-value") == "true"
    assert cards["Z-2"].querySelector("[data-testid=zone-alert]").getAttribute("data-value") == "false"
    for i in range(1, 9):
        client.put(delivery(i, status="delivered"))
    publish(ctx, deliveries={f"D-{i}" for i in range(1, 9)})
    assert cards["Z-1"].querySelector("[data-testid=zone-alert]").getAttribute("data-value") == "false"
    panel.unmount()


class DiagnosticClient(FakeClient):
    def diagnostics(self):
        return {"received": 3, "applied": 3, "invalid": 0, "duplicates": 0, "unknown": 0, "last_seq": 9, "epoch": 1,
                "resyncs": 0, "held": 0, "held_dropped": 0, "fetches": 1, "state": "open", "attempt": 0,
                "max_attempts": 5, "last_close_code": None, "rtt_ms": 12.0, "ready": True, "loading": False,
                "sync_error": None, "queued_commands": 0, "unconfirmed_commands": 0, "outbox": (0, 0),
                "session_ended": False,
                "rejected": [{"reason": "invalid_frame", "detail": "bad", "preview": "<x>"}]}


def test_diagnostics_show_the_clients_counters():
    ctx = context(DiagnosticClient())
    panel = DiagnosticsPanel(section(), ctx).mount()
    panel._refresh(texts=True)
    text = panel.root.textContent
    assert "12 ms" in text and "<x>" in text
    panel.unmount()
