"""app/web/panels/map.py through the seam: marks drawn, one batch per frame, a move writes one mark, hide/show."""

import pytest

from app.backlog import STRIDE
from app.map_glyphs import dot_radius
from app.models import Delivery, Location, Point, Staff, Zone
from app.selection import DELIVERY, Selection
from app.selection import STAFF as SELECT_STAFF
from app.web.fake_dom import Event
from app.web.panels.map import HIDDEN_KEY, REVEAL_MARGIN_PX, MapPanel
from app.web.runtime import ProxyOwner, document, window
from tests.web.fakes import T0, FakeClient, context, frames, iso, publish, section, turns

AREA = [[13.38, 52.50], [13.42, 52.50], [13.42, 52.54], [13.38, 52.54], [13.38, 52.50]]


def member(i, name="Ada Okafor", status="on_delivery", lat=52.51, lon=13.39, heading=90.0):
    return Staff(id=f"S-{i}", name=name, role="driver", status=status, zoneId="Z-1", lastSeenAt=T0,
                 location=Location(lat=lat, lon=lon, heading=heading, at=T0))


def delivery(i, status="in_transit", assignee="S-1", eta=10, dropoff=(52.52, 13.40)):
    return Delivery(id=f"D-{i}", status=status, customer=f"Customer {i}", address="1 Mill Lane", zoneId="Z-1",
                    assignedTo=assignee, eta=iso(eta), updatedAt=T0,
                    dropoff=Point(lat=dropoff[0], lon=dropoff[1]) if dropoff else None)


def zone(area=AREA):
    return Zone(id="Z-1", name="Mitte", status="busy", activeDeliveries=1, availableStaff=0, area=area)


def mount(client, notes=None):
    window.localStorage.clear()
    ctx = context(client)
    ctx.notes.update(notes or {})
    return MapPanel(section(), ctx).mount(), ctx


def city():
    return FakeClient([delivery(1), delivery(2, status="delivered"), delivery(3, status="pending", assignee=None,
                                                                             eta=-5)],
                      [member(1), member(2, name="Bo", status="available", lat=52.53, lon=13.41)], zones=(zone(),))


def marks(panel, testid):
    return {node.getAttribute("data-id"): node for node in panel.root.querySelectorAll(f"[data-testid={testid}]")}


def test_the_panel_draws_zones_staff_and_open_dropoffs_with_their_hooks():
    panel, _ = mount(city())
    map_node = panel.root.querySelector("[data-testid=map]")
    assert set(marks(panel, "map-zone")) == {"Z-1"} and set(marks(panel, "map-staff")) == {"S-1", "S-2"}
    pins = marks(panel, "map-delivery")
    assert set(pins) == {"D-1", "D-3"}  # D-2 is delivered
    ada = marks(panel, "map-staff")["S-1"]
    assert map_node.contains(ada)
    assert (ada.getAttribute("data-lat"), ada.getAttribute("data-lon"), ada.getAttribute("data-status")) == (
        "52.51", "13.39", "on_delivery")
    assert ada.getAttribute("aria-label") == "Ada Okafor, on delivery, D-1"
    assert ada.getAttribute("tabindex") == "0" and ada.getAttribute("role") == "button"
    assert pins["D-3"].getAttribute("data-late") == "true" and pins["D-1"].getAttribute("data-late") is None
    assert marks(panel, "map-zone")["Z-1"].getAttribute("data-status") == "busy"
    assert panel.svg.getAttribute("viewBox") != "0.00 0.00 1048576.00 1048576.00"  # fitted to the city
    assert panel.notice.hidden
    legend = [item.textContent for item in panel.legend.querySelectorAll("li")]
    assert legend[-3:] == ["Open zone", "Busy zone", "Closed zone"]  # what the zones' shading means


def test_a_location_event_moves_one_marker_and_writes_nothing_else():
    client = city()
    panel, ctx = mount(client)
    before = len(panel.canvas.canvas.batches)
    client.put_staff(member(1, lat=52.515, lon=13.395, heading=180.0))
    publish(ctx, moved={"S-1"}, event_types={"staff_location_update"})
    batches = panel.canvas.canvas.batches[before:]
    assert len(batches) == 1 and len(batches[0]) == 1
    op = batches[0][0]
    assert op[1:3] == ["staff", "S-1"]
    ada = marks(panel, "map-staff")["S-1"]
    assert (ada.getAttribute("data-lat"), ada.getAttribute("data-lon")) == ("52.515", "13.395")
    x, y = panel.layer.mark("staff", "S-1").x, panel.layer.mark("staff", "S-1").y
    assert panel.canvas.canvas.painted[("staff", "S-1")] == [x, y, 180.0]  # the painter turns the heading
    assert set(op[3]) == {"data-lat", "data-lon"}  # only what moved
    assert ada.querySelector(".dot").getAttribute("cx") == f"{x:.2f}".rstrip("0").rstrip(".")


def test_received_text_is_never_markup():
    client = FakeClient([], [member(1, name='<img src=x onerror="alert(1)">')], zones=(zone(),))
    panel, _ = mount(client)
    dot = marks(panel, "map-staff")["S-1"]
    assert dot.getAttribute("aria-label").startswith('<img src=x onerror="alert(1)">')
    assert dot.querySelector("img") is None
    dot.dispatchEvent(Event("focusin", target=dot))
    assert panel.tip.textContent.startswith("<img") and not panel.tip.hidden and panel.tip.children == []


def test_selecting_a_delivery_highlights_its_pin_its_driver_and_the_line():
    panel, ctx = mount(city())
    ctx.notes["selection"].select(DELIVERY, "D-1")
    assert marks(panel, "map-delivery")["D-1"].getAttribute("data-selected") == "true"
    assert marks(panel, "map-staff")["S-1"].getAttribute("data-selected") == "true"
    assert marks(panel, "map-staff")["S-2"].getAttribute("data-selected") is None
    assert not panel.link_line.hasAttribute("hidden")
    ctx.notes["selection"].clear()
    assert marks(panel, "map-delivery")["D-1"].getAttribute("data-selected") is None
    assert panel.link_line.hasAttribute("hidden")


def test_activating_a_marker_selects_it_and_opens_its_detail_view():
    opened = []
    panel, ctx = mount(city(), {"open_delivery": lambda delivery_id, opener: opened.append(delivery_id),
                                "open_staff": lambda staff_id, opener: opened.append(staff_id)})
    pin = marks(panel, "map-delivery")["D-1"]
    pin.dispatchEvent(Event("keydown", target=pin, key="Enter"))
    assert opened == ["D-1"] and ctx.notes["selection"].current == ("delivery", "D-1")
    dot = marks(panel, "map-staff")["S-2"]
    dot.dispatchEvent(Event("click", target=dot))
    assert ctx.notes["selection"].current == ("staff", "S-2") and opened == ["D-1", "S-2"]


def test_a_delivery_or_a_person_selected_in_a_list_out_of_view_comes_to_the_middle_of_the_map():
    panel, ctx = mount(city())
    for _ in range(6):
        panel.frame.dispatchEvent(Event("keydown", target=panel.frame, key="+"))
    for kind, key in ((SELECT_STAFF, ("staff", "S-2")), (DELIVERY, ("pin", "D-3"))):
        ctx.notes["selection"].clear()
        mark = panel.layer.mark(*key)
        if panel.view.contains(mark.x, mark.y):  # start with it out of view
            panel._set_view(panel.view.pan(-2 * panel.view.width / panel.view.units_per_px, 0))
        assert not panel.view.contains(mark.x, mark.y)
        ctx.notes["selection"].select(kind, key[1])
        view = panel.view
        assert abs(view.x + view.width / 2 - mark.x) < 1e-6 and abs(view.y + view.height / 2 - mark.y) < 1e-6
        ctx.notes["selection"].select(kind, key[1])
        assert panel.view is view  # in view already: no pan


def test_a_marker_focused_out_of_view_is_panned_just_inside_the_map():
    """Tab goes through every marker: one out of view would have its focus and tooltip drawn nowhere."""
    panel, _ = mount(city())
    for _ in range(6):
        panel.frame.dispatchEvent(Event("keydown", target=panel.frame, key="+"))
    bo = panel.layer.mark("staff", "S-2")
    assert not panel.view.contains(bo.x, bo.y)
    dot = marks(panel, "map-staff")["S-2"]
    dot.dispatchEvent(Event("focusin", target=dot))
    view, k = panel.view, panel.view.units_per_px
    top, right, bottom, left = REVEAL_MARGIN_PX
    assert view.x + left * k - 1e-6 <= bo.x <= view.x + view.width - right * k + 1e-6
    assert view.y + top * k - 1e-6 <= bo.y <= view.y + view.height - bottom * k + 1e-6
    assert panel.svg.getAttribute("viewBox") == view.view_box and not panel.tip.hidden
    dot.dispatchEvent(Event("focusin", target=dot))
    assert panel.view is view  # in view already: no pan


def test_the_pointer_takes_the_selected_marker_painted_over_the_one_hit(monkeypatch):
    """The paint raises a selected pin over its neighbours; the SVG that takes the pointer does not."""
    client = FakeClient([delivery(1), delivery(4, dropoff=(52.5201, 13.4001))], [member(1)], zones=(zone(),))
    opened = []
    panel, ctx = mount(client, {"open_delivery": lambda delivery_id, opener: opened.append(delivery_id)})
    pins = marks(panel, "map-delivery")
    ctx.notes["selection"].select(DELIVERY, "D-1")
    hit_order = [pins["D-4"], pins["D-1"], panel.frame]  # D-4 is later in the SVG: the pointer hits it first
    monkeypatch.setattr(document, "elementsFromPoint", lambda x, y: hit_order, raising=False)
    pins["D-4"].dispatchEvent(Event("pointerover", target=pins["D-4"], clientX=10, clientY=10))
    assert panel.tip.textContent == pins["D-1"].getAttribute("data-label")
    pins["D-4"].dispatchEvent(Event("click", target=pins["D-4"], clientX=10, clientY=10))
    assert opened == ["D-1"]
    ctx.notes["selection"].clear()
    pins["D-1"].focus()  # keyboard focus raises a marker too (the fake page's focus counts as the keyboard's)
    pins["D-4"].dispatchEvent(Event("click", target=pins["D-4"], clientX=10, clientY=10))
    assert opened == ["D-1", "D-1"]
    ctx.notes["selection"].clear()
    panel.frame.focus()
    pins["D-4"].dispatchEvent(Event("click", target=pins["D-4"], clientX=10, clientY=10))
    assert opened == ["D-1", "D-1", "D-4"]  # nothing raised: the one hit


def test_a_keyboard_tooltip_stays_while_the_map_moves_under_a_resting_pointer():
    """A pan to a focused marker moves the map under the pointer: Chromium then sends pointerout and
    pointerover with no movement, and they must not take the keyboard's tooltip away."""
    panel, _ = mount(city())
    ada, bo = marks(panel, "map-staff")["S-1"], marks(panel, "map-staff")["S-2"]
    ada.dispatchEvent(Event("focusin", target=ada))
    still = {"movementX": 0, "movementY": 0, "clientX": 5, "clientY": 5}
    ada.dispatchEvent(Event("pointerout", target=ada, **still))
    bo.dispatchEvent(Event("pointerover", target=bo, **still))
    assert not panel.tip.hidden and panel.tip.textContent == ada.getAttribute("data-label")
    bo.dispatchEvent(Event("pointerover", target=bo, movementX=3, movementY=0, clientX=8, clientY=5))
    assert panel.tip.textContent == bo.getAttribute("data-label")  # the pointer moved: its tooltip
    ada.dispatchEvent(Event("focusout", target=ada))
    assert not panel.tip.hidden  # the pointer's tooltip, not focus's
    bo.dispatchEvent(Event("pointerout", target=bo, movementX=3, movementY=0))
    assert panel.tip.hidden


def test_zoom_out_and_pan_stop_before_the_city_is_out_of_sight():
    """Unbounded, 30 presses of "-" made the city a speck and 60 of an arrow key panned it away."""
    panel, _ = mount(city())
    fitted = panel.view
    for _ in range(30):
        panel.frame.dispatchEvent(Event("keydown", target=panel.frame, key="-"))
    assert panel.view.width == pytest.approx(fitted.width * 4)
    for _ in range(30):
        panel.frame.dispatchEvent(Event("keydown", target=panel.frame, key="+"))
    for _ in range(60):
        panel.frame.dispatchEvent(Event("keydown", target=panel.frame, key="ArrowRight"))
    view = panel.view
    east = max(panel.layer.mark(kind, some_id).x for kind, some_id in panel.layer.drawn if kind != "zone")
    assert view.x < east + view.width  # something is still in view ...
    panel.frame.dispatchEvent(Event("keydown", target=panel.frame, key="ArrowRight"))
    assert panel.view.x == pytest.approx(view.x)  # ... and the view goes no further
    panel.frame.dispatchEvent(Event("click", target=panel.root.querySelector("[data-testid=map-fit-all]")))


def place(node):
    dot = node.querySelector(".dot")
    return dot.getAttribute("cx"), dot.getAttribute("cy")


def test_keys_pan_and_zoom_and_markers_keep_their_place():
    panel, _ = mount(city())
    ada = marks(panel, "map-staff")["S-1"]
    where, size = place(ada), ada.querySelector(".dot").getAttribute("r")
    turns(3)  # the fit once laid out
    before = len(panel.canvas.canvas.batches)
    panel.frame.dispatchEvent(Event("keydown", target=panel.frame, key="ArrowRight"))
    turns(3)
    assert [op[0] for batch in panel.canvas.canvas.batches[before:] for op in batch] == ["v"]  # a pan: the view only
    for key in ("+", "-", "ArrowUp"):
        box = panel.svg.getAttribute("viewBox")
        panel.frame.dispatchEvent(Event("keydown", target=panel.frame, key=key))
        assert panel.svg.getAttribute("viewBox") != box
    turns(3)
    assert place(ada) == where and ada.querySelector(".dot").getAttribute("r") == size  # zoomed in and out again


def three_hundred_on_the_map(reading_s: float):
    """300 located staff drawn; the write backlog's clock moves ``reading_s`` each time it is read."""
    members = [member(i, lat=52.50 + i / 10000, lon=13.39) for i in range(1, 301)]
    client = FakeClient([], members, zones=(zone(),))
    panel, ctx = mount(client)
    turns(3)
    ticks = iter(range(10 ** 6))
    panel.backlog._clock = lambda: next(ticks) * reading_s
    return members, client, panel, ctx


def test_a_zoom_writes_the_markers_again_for_their_size_on_screen_a_budget_per_turn():
    members, client, panel, _ = three_hundred_on_the_map(reading_s=0.001)  # 8 readings a turn
    r = {i: n.querySelector(".dot").getAttribute("r") for i, n in marks(panel, "map-staff").items()}
    assert len(set(r.values())) == 1
    panel.frame.dispatchEvent(Event("keydown", target=panel.frame, key="+"))
    k = panel.canvas.k
    now = {i: n.querySelector(".dot").getAttribute("r") for i, n in marks(panel, "map-staff").items()}
    assert all(v == r[i] for i, v in now.items())  # nothing rewritten in the key's own task
    before = len(panel.canvas.canvas.batches)
    turns(10)
    batches = [[op for op in batch if op[0] == "p"] for batch in panel.canvas.canvas.batches[before:]]
    assert sum(map(len, batches)) == len(members)  # each marker written once
    assert len(batches) >= 3 and max(map(len, batches)) <= 8 * STRIDE  # a budget per turn
    assert {n.querySelector(".dot").getAttribute("r") for n in marks(panel, "map-staff").values()} == {
        dot_radius(k)}
    assert float(dot_radius(k)) < float(next(iter(r.values())))  # zoomed in: fewer world units a pixel


def test_a_mark_selected_or_unselected_while_the_map_was_hidden_shows_it_when_shown():
    client = city()
    panel, ctx = mount(client)
    selection = ctx.notes["selection"]
    selection.select(DELIVERY, "D-3")
    assert marks(panel, "map-delivery")["D-3"].getAttribute("data-selected") == "true"
    panel.toggle.dispatchEvent(Event("click", target=panel.toggle))
    selection.select(DELIVERY, "D-1")
    panel.toggle.dispatchEvent(Event("click", target=panel.toggle))
    turns(3)
    pins = marks(panel, "map-delivery")
    assert pins["D-1"].getAttribute("data-selected") == "true"
    assert pins["D-3"].getAttribute("data-selected") is None
    assert marks(panel, "map-staff")["S-1"].getAttribute("data-selected") == "true"  # D-1's driver


def test_a_pin_drawn_after_its_delivery_was_selected_is_drawn_selected():
    client = city()
    panel, ctx = mount(client)
    ctx.notes["selection"].select(DELIVERY, "D-9")
    client.put(delivery(9, assignee="S-2"))
    publish(ctx, deliveries={"D-9"}, event_types={"delivery_created"})
    turns(3)
    assert marks(panel, "map-delivery")["D-9"].getAttribute("data-selected") == "true"
    assert marks(panel, "map-staff")["S-2"].getAttribute("data-selected") == "true"


def test_the_deliveries_filters_filter_the_pins():
    wanted = {"D-1", "D-3"}
    panel, ctx = mount(city(), {"delivery_matches": lambda i: i in wanted})
    wanted.discard("D-3")
    ctx.notes["pins_refilter"]()
    assert set(marks(panel, "map-delivery")) == {"D-1"}


def test_hide_is_remembered_draws_nothing_and_show_catches_up():
    client = city()
    panel, ctx = mount(client)
    panel.toggle.dispatchEvent(Event("click", target=panel.toggle))
    assert panel.body.hidden and panel.toggle.getAttribute("aria-expanded") == "false"
    assert panel.toggle.textContent == "Show map"
    assert window.localStorage.getItem(HIDDEN_KEY) == "1"
    before = len(panel.canvas.canvas.batches)
    client.put_staff(member(1, lat=52.5, lon=13.3))
    publish(ctx, moved={"S-1"})
    assert len(panel.canvas.canvas.batches) == before
    panel.unmount()
    again = MapPanel(section(), context(client)).mount()  # a reload: still hidden
    assert again.hidden and again.toggle.getAttribute("aria-expanded") == "false"
    again.toggle.dispatchEvent(Event("click", target=again.toggle))
    assert not again.body.hidden and window.localStorage.getItem(HIDDEN_KEY) == "0"
    assert marks(again, "map-staff")["S-1"].getAttribute("data-lat") == "52.5"


def test_the_dashboard_carries_map_off_while_the_map_is_hidden():
    """map.css narrows the board's side column on a class of the dashboard's own: a
    ``.dashboard:has(.panel-map.map-off)`` was checked again on every row the stream moved."""
    window.localStorage.clear()
    board = document.createElement("div")
    root = section()
    board.appendChild(root)
    panel = MapPanel(root, context(city())).mount()
    click = lambda: panel.toggle.dispatchEvent(Event("click", target=panel.toggle))  # noqa: E731
    assert not board.classList.contains("map-off")
    click()
    assert board.classList.contains("map-off") and root.classList.contains("map-off")
    click()
    assert not board.classList.contains("map-off")
    click()
    panel.unmount()  # hidden when it went: the board is left as the page had it
    assert not board.classList.contains("map-off")


def test_a_backend_without_locations_shows_a_quiet_notice():
    client = FakeClient([delivery(1, dropoff=None)], [member(1).model_copy(update={"location": None})],
                        zones=(zone(area=None),))
    window.localStorage.clear()
    board = document.createElement("div")
    root = section()
    board.appendChild(root)
    panel = MapPanel(root, context(client)).mount()
    assert not panel.notice.hidden and panel.notice.textContent == "This backend sends no locations."
    assert panel.frame.hidden and marks(panel, "map-staff") == {}
    # Nothing to zoom, and no map's height for one line: the board lays out as without a map.
    assert panel.tools.hidden and root.classList.contains("map-empty") and board.classList.contains("map-off")
    assert not panel.toggle.hidden and not root.classList.contains("map-off")


def test_unmount_frees_every_proxy_and_the_shared_hooks():
    frames()  # earlier tests' pending frame callbacks
    before = ProxyOwner.live()
    panel, ctx = mount(city())
    assert ProxyOwner.live() > before and "map_fit_zone" in ctx.notes
    panel.unmount()
    frames()
    assert ProxyOwner.live() == before and "map_fit_zone" not in ctx.notes and ctx.hub.live == 0
    selection: Selection = ctx.notes["selection"]
    assert selection._listeners == []


# --- linked with the lists ------------------------------------------------------------------------


def board_with_lists(client):
    """The deliveries, zones, staff and map panels in one context, as main.py mounts them."""
    from app.web.panels.deliveries import DeliveriesPanel
    from app.web.panels.staff import StaffPanel
    from app.web.panels.zones import ZonesPanel

    window.localStorage.clear()
    ctx = context(client, page_rows=10)
    panels = {cls.name: cls(section(), ctx).mount() for cls in (DeliveriesPanel, ZonesPanel, StaffPanel, MapPanel)}
    return panels, ctx


def test_clicking_a_row_selects_it_and_the_map_highlights_its_pin_and_driver():
    panels, ctx = board_with_lists(city())
    row = panels["deliveries"].ops.node("D-1")
    customer = row.querySelector("[data-field=customer]")
    customer.dispatchEvent(Event("click", target=customer))
    assert row.getAttribute("data-selected") == "true"
    assert marks(panels["map"], "map-delivery")["D-1"].getAttribute("data-selected") == "true"
    assert marks(panels["map"], "map-staff")["S-1"].getAttribute("data-selected") == "true"


def test_activating_a_dot_selects_the_staff_row_and_a_pin_opens_the_detail():
    panels, ctx = board_with_lists(city())
    dot = marks(panels["map"], "map-staff")["S-2"]
    dot.dispatchEvent(Event("keydown", target=dot, key=" "))
    assert panels["staff"].rows["S-2"].node.getAttribute("data-selected") == "true"
    pin = marks(panels["map"], "map-delivery")["D-3"]
    pin.dispatchEvent(Event("click", target=pin))
    assert panels["deliveries"].detail.delivery_id == "D-3"
    assert panels["staff"].rows["S-2"].node.getAttribute("data-selected") is None
    assert panels["deliveries"].ops.node("D-3").getAttribute("data-selected") == "true"


def test_a_zone_cards_fit_zone_fits_the_map_to_it_and_the_filters_reach_the_pins():
    from app.filters import Filters

    panels, ctx = board_with_lists(city())
    fit = panels["zones"].cards["Z-1"].fit
    assert not fit.hidden
    panels["map"]._set_view(panels["map"].view.zoom(0.01))
    wide = panels["map"].view.width
    fit.dispatchEvent(Event("click", target=fit))
    assert panels["map"].view.width < wide
    panels["deliveries"].set_filters(Filters(status="late"))
    assert set(marks(panels["map"], "map-delivery")) == {"D-3"}


def test_configured_tiles_are_drawn_under_the_zones_and_follow_the_view():
    from app.map_tiles import tile_source, tiles_in_view

    source = tile_source({"map_tiles": {"url": "https://tile.example.org/{z}/{x}/{y}.png", "attribution": "© OSM"}})
    panel, _ = mount(city(), {"map_tiles": source})
    tiles = panel.layers["tile"].children
    assert tiles and all(t.getAttribute("href").startswith("https://tile.example.org/") for t in tiles)
    assert panel.root.querySelector("[data-testid=map-attribution]").textContent == "© OSM"
    before = {t.getAttribute("data-id") for t in tiles}
    panel.frame.dispatchEvent(Event("keydown", target=panel.frame, key="+"))
    after = {t.getAttribute("data-id") for t in panel.layers["tile"].children}
    assert after and after != before
    # The tiles are those of the new view, at a zoom no coarser than before (one + is x1.5: the
    # tile zoom steps up only when that crosses a power of two).
    assert after == {f"{t.z}/{t.x}/{t.y}" for t in tiles_in_view(panel.view)}
    assert int(next(iter(after)).split("/")[0]) >= int(next(iter(before)).split("/")[0])


def test_no_tiles_by_default():
    panel, _ = mount(city())
    assert panel.layers["tile"].children == [] and panel.root.querySelector("[data-testid=map-attribution]") is None


def test_a_drag_pans_a_wheel_zooms_and_the_click_after_a_drag_selects_nothing():
    panel, ctx = mount(city())
    frame = panel.frame
    start = panel.view
    dot = marks(panel, "map-staff")["S-1"]
    frame.dispatchEvent(Event("pointerdown", target=dot, button=0, clientX=100, clientY=100, pointerId=1))
    frame.dispatchEvent(Event("pointermove", target=dot, clientX=160, clientY=130, pointerId=1))
    frame.dispatchEvent(Event("pointerup", target=dot, clientX=160, clientY=130, pointerId=1))
    dot.dispatchEvent(Event("click", target=dot))
    assert ctx.notes["selection"].current is None  # a drag, not an activation
    assert panel.view.x == start.x - 60 * start.units_per_px and panel.view.width == start.width
    turns(2)  # the drag ends after its click
    before = panel.view.width
    frame.dispatchEvent(Event("wheel", target=frame, deltaY=-120, clientX=0, clientY=0))
    assert panel.view.width < before
    dot.dispatchEvent(Event("click", target=dot))
    assert ctx.notes["selection"].current == ("staff", "S-1")


def test_showing_a_hidden_map_draws_it_over_several_turns(monkeypatch):
    from types import SimpleNamespace

    import app.web.panels.map as map_module
    from app.map_layer import PIN_STEP

    ticks = iter(range(10 ** 7))
    monkeypatch.setattr(map_module, "time", SimpleNamespace(perf_counter=lambda: next(ticks) / 1000))
    client = FakeClient([delivery(i, dropoff=(52.50 + i / 100000, 13.40)) for i in range(1, PIN_STEP * 3)],
                        [member(1)], zones=(zone(),))
    panel, ctx = mount(client)
    panel.toggle.dispatchEvent(Event("click", target=panel.toggle))
    assert panel.hidden
    turns(3)
    ctx.notes["selection"].select(DELIVERY, "D-7")
    panel.unmount()
    selection = ctx.notes["selection"]
    ctx = context(client)
    ctx.notes["selection"] = selection
    again = MapPanel(section(), ctx).mount()  # a reload, still hidden: nothing drawn
    assert marks(again, "map-delivery") == {}
    before = len(again.canvas.canvas.batches)
    again.toggle.dispatchEvent(Event("click", target=again.toggle))
    assert len(marks(again, "map-delivery")) < PIN_STEP * 3 - 1  # not all in the click's own task
    turns(30)
    pins = marks(again, "map-delivery")
    assert len(pins) == PIN_STEP * 3 - 1 and pins["D-7"].getAttribute("data-selected") == "true"
    batches = [[op for op in batch if op[0] == "p"] for batch in again.canvas.canvas.batches[before:]]
    assert len([b for b in batches if b]) >= 3


def test_the_streams_moves_are_written_in_their_own_batch_however_many():
    members, client, panel, ctx = three_hundred_on_the_map(reading_s=1.0)  # every reading past any budget
    for m in members:
        client.put_staff(member(int(m.id[2:]), lat=52.60, lon=13.39))
    before = len(panel.canvas.canvas.batches)
    publish(ctx, moved={m.id for m in members}, event_types={"staff_location_update"})
    assert len(panel.canvas.canvas.batches) == before + 1
    assert {n.getAttribute("data-lat") for n in marks(panel, "map-staff").values()} == {"52.6"}
