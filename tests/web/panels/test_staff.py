"""app/web/panels/staff.py through the seam: rows by name, the current delivery, filters, chunks, live changes."""

from app.roster import ANY
from app.web.fake_dom import Event
from app.web.panels.staff import FIRST_ROWS, StaffPanel
from tests.web.fakes import FakeClient, context, delivery, publish, section, staff, turns, zone


def mount(client, prefs=None, notes=None):
    ctx = context(client, prefs)
    if notes:
        ctx.notes.update(notes)
    panel = StaffPanel(section(), ctx).mount()
    turns()
    return panel, ctx


def names(panel) -> list[str]:
    return [row.querySelector("[data-field=name]").textContent for row in panel.list.children if not row.hidden]


def field(panel, staff_id, name):
    return panel.rows[staff_id].cells[name]


def click(node):
    node.dispatchEvent(Event("click", target=node))


def test_rows_in_name_order_with_zone_and_current_delivery():
    client = FakeClient([delivery(1, status="in_transit", assignee="S-2"), delivery(2, status="assigned",
                                                                                    assignee="S-2")],
                        [staff(1, "Zoe"), staff(2, "adam", status="on_delivery"), staff(3, "Mia", zone=None)])
    panel, _ = mount(client)
    assert names(panel) == ["adam", "Mia", "Zoe"]
    assert field(panel, "S-2", "currentDelivery").textContent == "D-1, in transit (+1 more)"
    assert field(panel, "S-2", "zoneId").textContent == "Harbour (Z-1)"
    assert field(panel, "S-3", "zoneId").textContent == "No zone"
    assert field(panel, "S-2", "status").textContent == "On delivery"
    name = field(panel, "S-2", "name")  # a button that opens their detail view; its tooltip is the whole name
    assert name.getAttribute("aria-haspopup") == "dialog" and name.getAttribute("title") == "adam: open their details"
    assert panel.shown.textContent == "3"


def test_a_long_roster_is_drawn_in_chunks():
    client = FakeClient([], [staff(i) for i in range(FIRST_ROWS + 150)])
    panel = StaffPanel(section(), context(client)).mount()
    assert len(panel.rows) == FIRST_ROWS
    turns(5)
    assert len(panel.rows) == FIRST_ROWS + 150 and len(panel.list.children) == FIRST_ROWS + 150


def test_status_buttons_and_zone_filter_hide_rows_and_escape_clears():
    client = FakeClient([], [staff(1, "Ann"), staff(2, "Bo", status="offline", zone="Z-2")],
                        zones=(zone(), zone("Z-2", "Docks")))
    panel, ctx = mount(client)
    click(panel.status_buttons["offline"])
    assert names(panel) == ["Bo"] and ctx.prefs["staff"]["status"] == "offline"
    assert panel.status_buttons["offline"].getAttribute("aria-pressed") == "true"
    assert panel.shown.textContent == "1 of 2"
    click(panel.status_buttons["offline"])
    panel.zone_filter.value = "Z-1"
    panel.zone_filter.dispatchEvent(Event("change", target=panel.zone_filter))
    assert names(panel) == ["Ann"]
    panel.root.firstChild.dispatchEvent(Event("keydown", key="Escape"))
    assert names(panel) == ["Ann", "Bo"]


def test_live_changes_redraw_only_the_people_they_touch():
    client = FakeClient([delivery(1, status="pending")], [staff(1, "Ann"), staff(2, "Bo")])
    panel, ctx = mount(client)
    assert field(panel, "S-1", "currentDelivery").textContent == "No delivery"
    client.put(delivery(1, status="assigned", assignee="S-1"))
    publish(ctx, deliveries={"D-1"})
    assert field(panel, "S-1", "currentDelivery").getAttribute("data-value") == "D-1"
    client.put_staff(staff(3, "Cy"))
    client.put_zone(zone("Z-1", "Harbour North"))
    publish(ctx, staff={"S-3"}, zones={"Z-1"})
    assert names(panel) == ["Ann", "Bo", "Cy"]
    assert field(panel, "S-1", "zoneId").textContent == "Harbour North (Z-1)"
    client._staff.pop("S-2")
    publish(ctx, staff={"S-2"})
    assert "S-2" not in panel.rows and names(panel) == ["Ann", "Cy"]


def test_the_current_delivery_opens_its_detail_and_times_refresh():
    opened = []
    client = FakeClient([delivery(1, status="in_transit", assignee="S-1")], [staff(1, "Ann")])
    panel, _ = mount(client, notes={"open_delivery": lambda delivery_id, opener: opened.append(delivery_id)})
    button = field(panel, "S-1", "currentDelivery")
    click(button)
    assert opened == ["D-1"]
    panel._refresh_times()
    assert field(panel, "S-1", "lastSeenAt").textContent.endswith("ago")
    panel.unmount()


def test_a_location_only_change_does_not_touch_the_staff_rows():
    client = FakeClient([], [staff(1, "Ann")])
    panel, ctx = mount(client)
    calls = []
    panel._draw = lambda row, member: calls.append(member.id) or row
    publish(ctx, moved={"S-1"}, event_types={"staff_location_update"})
    assert calls == []
    publish(ctx, staff={"S-1"})
    assert calls == ["S-1"]


def test_a_fresh_view_for_another_user_clears_the_status_and_zone_filters():
    client = FakeClient([], [staff(1, "Ann"), staff(2, "Bo", status="offline", zone="Z-2")],
                        zones=(zone(), zone("Z-2", "Docks")))
    panel, ctx = mount(client)
    click(panel.status_buttons["offline"])
    panel.zone_filter.value = "Z-2"
    panel.zone_filter.dispatchEvent(Event("change", target=panel.zone_filter))
    assert names(panel) == ["Bo"]
    panel.fresh_view()
    assert names(panel) == ["Ann", "Bo"] and ctx.prefs["staff"] == {"status": ANY, "zone": ANY}
    assert str(panel.zone_filter.value) == ANY
    assert panel.status_buttons["offline"].getAttribute("aria-pressed") == "false"
