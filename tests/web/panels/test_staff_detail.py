"""app/web/panels/staff_detail.py through the seam: one person in full, live while open, linked to deliveries."""

from datetime import datetime, timezone

import app.web.panels.staff as staff_module
from app.models import Communication, Location, Point
from app.roster import ANY
from app.web.fake_dom import Event
from app.web.panels.deliveries import DeliveriesPanel
from app.web.panels.staff import StaffPanel
from app.web.runtime import document
from tests.web.fakes import FakeClient, context, delivery, publish, section, staff, turns

HERE = (52.5200, 13.4050)


def mount(client, with_deliveries=False):
    ctx = context(client)
    deliveries = DeliveriesPanel(section(), ctx).mount() if with_deliveries else None
    panel = StaffPanel(section(), ctx).mount()
    turns()
    return panel, ctx, deliveries


def click(node):
    node.dispatchEvent(Event("click", target=node))


def name_button(panel, staff_id):
    return panel.rows[staff_id].node.querySelector("button[data-action=open-staff]")


def value(detail, name):
    return detail.fields[name].textContent


def located(member, lat, lon, heading=None, speed=None, at="2026-11-26T10:00:00Z"):
    return member.model_copy(update={"location": Location(lat=lat, lon=lon, heading=heading, speed=speed, at=at)})


def with_points(item, pickup, dropoff):
    return item.model_copy(update={"pickup": Point(lat=pickup[0], lon=pickup[1]),
                                   "dropoff": Point(lat=dropoff[0], lon=dropoff[1])})


def test_a_name_opens_the_person_selects_them_and_focus_returns_on_close():
    client = FakeClient([], [staff(1, "Grace Okafor"), staff(2, "Ann")])
    panel, ctx, _ = mount(client)
    button = name_button(panel, "S-1")
    click(button)
    detail = panel.detail
    assert detail.showing and detail.node.getAttribute("data-id") == "S-1"
    assert detail.node.getAttribute("data-testid") == "staff-detail"
    assert detail.title.textContent == "Grace Okafor"
    assert value(detail, "status") == "Available" and value(detail, "role") == "Driver"
    assert value(detail, "zoneId") == "Harbour (Z-1)" and detail.fields["zoneId"].getAttribute("data-value") == "Z-1"
    assert value(detail, "location") == "No location received" and detail.fields["location"].getAttribute(
        "data-value") == ""
    assert value(detail, "currentDelivery") == "No delivery" and not detail.nothing_carried.hidden
    assert ctx.notes["selection"].current == ("staff", "S-1")
    assert panel.rows["S-1"].node.getAttribute("data-selected") == "true"
    assert document.activeElement is detail.close_button
    click(detail.close_button)
    assert not detail.showing and document.activeElement is button
    assert detail.node.getAttribute("data-id") is None


def test_what_they_carry_nearest_first_with_the_distance_to_where_they_go_next():
    on_now = with_points(delivery(1, status="in_transit", assignee="S-1", customer="Ada"), (52.50, 13.40), HERE)
    later = with_points(delivery(2, status="assigned", assignee="S-1"), (52.5290, 13.4050), (52.53, 13.41))
    client = FakeClient([later, on_now, delivery(3, status="delivered", assignee="S-1")],
                        [located(staff(1, "Grace", status="on_delivery"), 52.5110, 13.4050, heading=90, speed=8.3)])
    panel, ctx, _ = mount(client)
    panel.open_detail("S-1")
    detail = panel.detail
    assert value(detail, "currentDelivery") == "D-1, in transit (+1 more)"
    items = detail.carried.querySelectorAll("button[data-action=open-delivery]")
    assert [b.getAttribute("data-value") for b in items] == ["D-1", "D-2"]  # the delivered one is not open work
    assert items[0].textContent == "D-1 · In transit · Ada · 1.0 km to the drop-off"
    assert items[1].textContent == "D-2 · Assigned · Customer 2 · 2.0 km to the pickup"
    assert value(detail, "location").startswith("52.51100, 13.40500, heading east at 30 km/h (")
    assert detail.fields["location"].getAttribute("data-value") == "52.511,13.405"
    assert detail.nothing_carried.hidden


def test_the_open_sheet_follows_moves_new_work_messages_and_the_roster():
    client = FakeClient([], [staff(1, "Grace"), staff(2, "Ann")])
    panel, ctx, _ = mount(client)
    panel.open_detail("S-1")
    detail = panel.detail
    client.put_staff(located(staff(1, "Grace"), 52.6, 13.3, speed=0))
    publish(ctx, moved={"S-1"})
    assert value(detail, "location").startswith("52.60000, 13.30000, standing still")
    client.put(delivery(7, status="assigned", assignee="S-1"))
    publish(ctx, deliveries={"D-7"})
    assert value(detail, "currentDelivery") == "D-7, assigned"
    assert [b.getAttribute("data-value") for b in detail.carried.querySelectorAll("button")] == ["D-7"]
    client.communications = lambda: [
        Communication(id="C-3", **{"from": "coordinators"}, to="S-1", body="<img src=x onerror=alert(1)>",
                      sentAt="2026-11-26T10:02:00Z", deliveryId=None),
        Communication(id="C-2", **{"from": "S-2"}, to="coordinators", body="not hers",
                      sentAt="2026-11-26T10:01:00Z", deliveryId=None),
        Communication(id="C-1", **{"from": "S-1"}, to="coordinators", body="on my way",
                      sentAt="2026-11-26T10:00:00Z", deliveryId="D-7"),
    ]
    publish(ctx, communications={"C-1", "C-2", "C-3"})
    messages = detail.messages.querySelectorAll("[data-testid=staff-message]")
    assert [m.getAttribute("data-id") for m in messages] == ["C-3", "C-1"]
    assert messages[0].querySelector("[data-field=body]").textContent == "<img src=x onerror=alert(1)>"
    assert messages[0].querySelector("[data-field=to]").textContent == "Grace (S-1)"
    client.put_staff(staff(1, "Grace Hopper", status="on_break"))
    publish(ctx, staff={"S-1"})
    assert detail.title.textContent == "Grace Hopper" and value(detail, "status") == "On break"
    del client._staff["S-1"]
    publish(ctx, staff={"S-1"})
    assert not detail.gone.hidden


def test_a_carried_delivery_opens_its_own_sheet_in_place_of_this_one():
    client = FakeClient([delivery(4, status="assigned", assignee="S-1")], [staff(1, "Grace")])
    panel, ctx, deliveries = mount(client, with_deliveries=True)
    button = name_button(panel, "S-1")
    click(button)
    link = panel.detail.carried.querySelector("button[data-value=D-4]")
    click(link)
    assert not panel.detail.showing
    assert deliveries.detail.showing and deliveries.detail.node.getAttribute("data-id") == "D-4"
    assert ctx.notes["selection"].current == ("delivery", "D-4")
    click(deliveries.detail.close_button)
    assert document.activeElement is button  # back to what opened the first sheet


def test_unmounting_closes_the_sheet_and_takes_back_the_map_s_way_in():
    client = FakeClient([], [staff(1, "Grace")])
    panel, ctx, _ = mount(client)
    panel.open_detail("S-1")
    assert ctx.notes["open_staff"] == panel.open_detail and ctx.hub.live > 1
    panel.unmount()
    assert not panel.detail.showing and "open_staff" not in ctx.notes and ctx.hub.live == 0


def test_a_person_hidden_by_the_filters_still_opens_from_the_map():
    client = FakeClient([], [staff(1, "Grace", status="offline"), staff(2, "Ann")])
    panel, ctx, _ = mount(client)
    click(panel.status_buttons["available"])
    assert panel.filters["status"] != ANY and panel.rows["S-1"].node.hidden
    ctx.notes["open_staff"]("S-1", None)
    assert panel.detail.showing and value(panel.detail, "status") == "Offline"


def test_the_open_sheet_s_times_age_with_the_panel_s_clock(monkeypatch):
    client = FakeClient([], [located(staff(1, "Grace", status="offline"), 52.6, 13.3, at="2026-11-26T10:00:00Z")])
    monkeypatch.setattr(staff_module, "now", lambda: datetime(2026, 11, 26, 10, 0, 10, tzinfo=timezone.utc))
    panel, _, _ = mount(client)
    panel.open_detail("S-1")
    assert value(panel.detail, "location").endswith("(just now)")
    monkeypatch.setattr(staff_module, "now", lambda: datetime(2026, 11, 26, 10, 7, tzinfo=timezone.utc))
    panel._refresh_times()  # the panel's 30 s ticker
    assert value(panel.detail, "location").endswith("(7 min ago)")



def test_a_sheet_opened_for_someone_else_never_shows_the_first_persons_work_or_messages():
    client = FakeClient([delivery(1, status="assigned", assignee="S-1")], [staff(1, "Grace"), staff(2, "Ann")])
    client.communications = lambda: [Communication(id="C-1", **{"from": "S-1"}, to="coordinators", body="hi",
                                                   sentAt="2026-11-26T10:00:00Z", deliveryId=None)]
    panel, _, _ = mount(client)
    detail = panel.detail
    panel.open_detail("S-1")
    assert len(detail.carried.querySelectorAll("button")) == 1 and len(detail.messages.children) == 1
    detail.close()
    panel.open_detail("S-2")  # carries nothing, wrote nothing: both lists drawn empty, not left as they were
    assert len(detail.carried.querySelectorAll("button")) == 0 and not detail.nothing_carried.hidden
    assert len(detail.messages.children) == 0 and not detail.no_messages.hidden


def test_last_seen_is_the_newer_of_last_seen_and_the_last_location():
    client = FakeClient([], [located(staff(1, "Grace"), 52.6, 13.3, at="2026-11-26T10:05:00Z")])
    moment = datetime(2026, 11, 26, 10, 6, tzinfo=timezone.utc)
    panel, _, _ = mount(client)
    panel.detail._now = lambda: (moment, 0)
    panel.open_detail("S-1")
    assert value(panel.detail, "lastSeenAt") == "10:05 (1 min ago)"  # lastSeenAt itself is 2026-11-26T10:00Z
    assert panel.detail.fields["lastSeenAt"].getAttribute("data-value") == client.staff_member("S-1").lastSeenAt


def test_a_session_that_ends_puts_the_sheet_away():
    client = FakeClient([], [staff(1, "Grace")])
    panel, _, _ = mount(client)
    panel.open_detail("S-1")
    panel.put_away()
    assert not panel.detail.showing
