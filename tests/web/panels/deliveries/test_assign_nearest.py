"""app/web/panels/deliveries/assign.py through the seam: the nearest available people first, with distance and zone."""

from app.models import Location, Point
from app.web.fake_dom import Event
from app.web.panels.deliveries import DeliveriesPanel
from tests.web.fakes import FakeClient, context, delivery, section, staff, turns, zone

PICKUP, DROPOFF = (52.52, 13.40), (52.56, 13.40)


def at(member, lat, lon=13.40):
    return member.model_copy(update={"location": Location(lat=lat, lon=lon, at="2026-11-26T10:00:00Z")})


def job(i, status="pending", assignee=None):
    return delivery(i, status=status, assignee=assignee).model_copy(
        update={"pickup": Point(lat=PICKUP[0], lon=PICKUP[1]), "dropoff": Point(lat=DROPOFF[0], lon=DROPOFF[1])})


def city(*extra_deliveries):
    people = [at(staff(1, "Far Away"), 52.60), at(staff(2, "Near Pickup"), 52.5236),
              at(staff(3, "On Break", status="on_break"), 52.52), staff(4, "No Fix", zone="Z-2"),
              at(staff(5, "Near Dropoff", zone="Z-2"), 52.557)]
    return FakeClient([job(1), job(2, "in_transit", assignee="S-1"), *extra_deliveries], people,
                      zones=(zone(), zone("Z-2", "Old Town")))


def mount(client):
    panel = DeliveriesPanel(section(), context(client)).mount()
    turns()
    return panel


def open_list(panel, delivery_id):
    combobox = panel.ops.node(delivery_id).querySelector("input[data-action=assign][role=combobox]")
    combobox.dispatchEvent(Event("focusin", target=combobox))
    return combobox, panel.root.querySelector("[role=listbox]")


def options(listbox):
    return [(o.getAttribute("data-value"), o.getAttribute("data-distance")) for o in listbox.children]


def test_a_pending_delivery_lists_the_available_people_nearest_its_pickup_first():
    panel = mount(city())
    _, listbox = open_list(panel, "D-1")
    assert options(listbox) == [("", None), ("S-2", "400"), ("S-5", "4114"), ("S-1", "8896"), ("S-4", None),
                                ("S-3", "0")]
    near = listbox.children[1]
    assert near.querySelector(".main").textContent == "Near Pickup (S-2)"
    assert near.querySelector(".sub").textContent == "Available · 400 m · Harbour (Z-1)"
    assert listbox.children[4].querySelector(".sub").textContent == "Available · Old Town (Z-2)"  # no location


def test_once_picked_up_the_order_is_from_the_dropoff():
    panel = mount(city())
    _, listbox = open_list(panel, "D-2")
    assert [value for value, _ in options(listbox)][:4] == ["", "S-5", "S-2", "S-1"]
    assert listbox.children[1].querySelector(".sub").textContent == "Available · 330 m · Old Town (Z-2)"


def test_typing_filters_by_zone_and_keeps_the_nearest_first():
    panel = mount(city())
    combobox, listbox = open_list(panel, "D-1")
    combobox.value = "old town"
    combobox.dispatchEvent(Event("input", target=combobox))
    assert [value for value, _ in options(listbox)] == ["S-5", "S-4"]
    assert combobox.getAttribute("aria-activedescendant") == listbox.children[0].getAttribute("id")


def test_at_equal_distance_less_open_work_first_counted_once_per_opening():
    client = city(job(3, "assigned", assignee="S-2"), job(4, "picked_up", assignee="S-2"),
                  job(5, "delivered", assignee="S-6"))
    client.put_staff(at(staff(6, "Twin"), 52.5236))
    panel = mount(client)
    calls = []
    counting = panel.assign._open_work
    panel.assign._open_work = lambda: calls.append(1) or counting()
    combobox, listbox = open_list(panel, "D-1")
    assert [value for value, _ in options(listbox)][1:3] == ["S-6", "S-2"]  # S-2 carries 2 open deliveries, S-6 none
    for text in ("t", "tw", ""):
        combobox.value = text
        combobox.dispatchEvent(Event("input", target=combobox))
    assert len(calls) == 1


def test_the_delivery_being_reassigned_does_not_count_against_its_own_assignee():
    client = city(job(3, "assigned", assignee="S-2"))
    client.put_staff(at(staff(6, "Alike"), 52.5236))  # by name, before "Near Pickup" at the same distance
    client.put(job(4, "assigned", assignee="S-6"))
    panel = mount(client)
    _, listbox = open_list(panel, "D-3")  # S-2 holds D-3 (and nothing else); S-6 holds D-4
    assert [value for value, _ in options(listbox)][1:3] == ["S-2", "S-6"]


def test_a_delivery_with_no_points_lists_available_people_by_name_without_distances():
    client = FakeClient([delivery(1)], [staff(1, "Zoe"), at(staff(2, "Amy"), 52.6), staff(3, "Bea", status="offline")])
    panel = mount(client)
    _, listbox = open_list(panel, "D-1")
    assert options(listbox) == [("", None), ("S-2", None), ("S-1", None), ("S-3", None)]
    assert listbox.children[1].querySelector(".sub").textContent == "Available · Harbour (Z-1)"
