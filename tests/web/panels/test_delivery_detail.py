"""app/web/panels/delivery_detail.py through the seam: every field, live while open, focus back on close."""

from app.command import RowStatus
from app.models import Communication
from app.web.fake_dom import Event
from app.web.panels.deliveries import DeliveriesPanel
from app.web.runtime import document
from tests.web.fakes import FakeClient, context, delivery, publish, section, staff, turns


def mount(client):
    ctx = context(client)
    panel = DeliveriesPanel(section(), ctx).mount()
    turns()
    return panel, ctx


def value(detail, name):
    return detail.fields[name].textContent


def test_opening_a_row_shows_every_field_and_focus_returns_on_close():
    client = FakeClient([delivery(1, assignee="S-1", priority="urgent")], [staff(1, "Grace Okafor")])
    panel, _ = mount(client)
    button = panel.ops.node("D-1").querySelector("button[data-action=open-details]")
    button.dispatchEvent(Event("click", target=button))
    detail = panel.detail
    assert detail.showing and detail.node.getAttribute("data-id") == "D-1"
    assert value(detail, "assignedTo") == "Grace Okafor (S-1)" and value(detail, "zoneId") == "Harbour (Z-1)"
    assert value(detail, "status") == "Pending" and value(detail, "priority") == "Urgent"
    assert document.activeElement is detail.close_button
    detail.close_button.dispatchEvent(Event("click", target=detail.close_button))
    assert not detail.showing and document.activeElement is button


def test_the_open_detail_follows_live_changes_pending_refusals_and_messages():
    client = FakeClient([delivery(1)], [staff(1, "Ann")])
    panel, ctx = mount(client)
    panel.open_detail("D-1")
    detail = panel.detail
    client.put(delivery(1, status="assigned", assignee="S-1"))
    client.statuses["D-1"] = RowStatus(pending=True)
    client.communications = lambda: [Communication(id="C-1", **{"from": "S-1"}, to="coordinators", body="<b>hi</b>",
                                                   sentAt="2026-11-26T10:00:00Z", deliveryId="D-1")]
    publish(ctx, deliveries={"D-1"}, communications={"C-1"})
    assert value(detail, "status") == "Assigned" and detail.state.textContent == "Saving a change…"
    messages = detail.messages.querySelectorAll("[data-testid=delivery-message]")
    assert len(messages) == 1 and messages[0].querySelector("[data-field=body]").textContent == "<b>hi</b>"
    client.drop("D-1")
    publish(ctx, deliveries={"D-1"})
    assert not detail.gone.hidden
    panel.unmount()
    assert not detail.showing


def test_another_delivery_never_shows_the_first_ones_messages_and_a_session_end_puts_it_away():
    client = FakeClient([delivery(1), delivery(2)], [staff(1, "Ann")])
    client.communications = lambda: [Communication(id="C-1", **{"from": "S-1"}, to="coordinators", body="about 1",
                                                   sentAt="2026-11-26T10:00:00Z", deliveryId="D-1")]
    panel, _ = mount(client)
    detail = panel.detail
    panel.open_detail("D-1")
    assert len(detail.messages.children) == 1 and detail.no_messages.hidden
    detail.close()
    panel.open_detail("D-2")
    assert len(detail.messages.children) == 0 and not detail.no_messages.hidden
    panel.put_away()
    assert not detail.showing
