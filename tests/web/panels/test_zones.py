"""The zones panel renders through the seam: a card per zone, its waiting count and alert."""

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
    fit = cards["Z-2"].querySelector("button[data-action=fit-zone]")
    assert fit.getAttribute("aria-label") == "Show Docks on the map"
    for i in range(1, 9):
        client.put(delivery(i, status="delivered"))
    publish(ctx, deliveries={f"D-{i}" for i in range(1, 9)})
    assert cards["Z-1"].querySelector("[data-testid=zone-alert]").getAttribute("data-value") == "false"
    panel.unmount()
