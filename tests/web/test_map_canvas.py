"""app/web/map_canvas.py through the seam: marks queued and sent as one batch, their attributes, close."""

import pytest

from app.map_glyphs import LATE_SCALE, SELECTED_SCALE, dot_radius, pin_path
from app.map_layer import PinMark, StaffMark, ZoneMark
from app.web.dom import el
from app.map_projection import Viewport
from app.web.map_canvas import LABEL, OPS, STAFF_DOT, MapCanvas, mark_attrs, where_of
from app.web.runtime import document

ZONE = ZoneMark(id="Z-1", points="0,0 10,0 10,10 0,0", label_x=5.0, label_y=3.0, status="busy", name="<b>Mitte</b>")
DOT = StaffMark(id="S-1", x=1.5, y=2.25, lat=52.51, lon=13.39, heading=90.0, status="available",
                label="Ada Okafor, available", delivery=None)
PIN = PinMark(id="D-1", x=3.0, y=4.0, lat=52.52, lon=13.4, status="pending", late=True, label="D-1, pending",
              assignee=None)


def canvas():
    svg = el("svg")
    layers = {kind: el("g") for kind in ("tile", "zone", "pin", "label", "staff")}
    for layer in layers.values():
        svg.appendChild(layer)
    link = el("line")
    svg.appendChild(link)
    document.body.appendChild(svg)
    return MapCanvas(svg, layers, link), layers


def test_queued_marks_go_in_one_batch_on_flush():
    painter, layers = canvas()
    painter.put_mark(ZONE)
    painter.put_mark(DOT)
    painter.put_mark(PIN)
    assert painter.calls == 0
    painter.flush()
    painter.flush()  # nothing queued: no call
    assert painter.calls == 1
    assert [n.getAttribute("data-testid") for n in layers["staff"].children] == ["map-staff"]
    assert layers["zone"].children[0].getAttribute("data-id") == "Z-1"


def test_a_zones_name_is_text_over_the_pins_never_markup():
    painter, layers = canvas()
    painter.put_mark(ZONE)
    painter.flush()
    label = layers[LABEL].children[0]
    assert label.textContent == "<b>Mitte</b>" and label.children == []


def test_staff_attributes_carry_raw_coordinates_and_plain_geometry():
    attrs, parts = mark_attrs(DOT, selected=True, k=2.0)
    assert attrs["data-lat"] == "52.51" and attrs["data-lon"] == "13.39" and attrs["data-selected"] == "true"
    assert "transform" not in attrs and all("transform" not in part for part in parts.values())
    (dot,) = parts.values()
    assert (dot["cx"], dot["cy"]) == ("1.5", "2.25") and parts == {STAFF_DOT: dot}
    assert dot["r"] == dot_radius(2.0, SELECTED_SCALE)


def test_the_heading_is_painted_not_drawn_and_a_late_pin_says_so_larger():
    assert where_of(DOT) == [1.5, 2.25, 90.0] and where_of(StaffMark(**{**DOT.__dict__, "heading": None}))[2] is None
    late = mark_attrs(PIN, k=0.5)[0]
    assert late["data-late"] == "true" and late["data-selected"] is None
    assert late["d"] == pin_path(3.0, 4.0, 0.5, LATE_SCALE)


def test_a_pin_is_one_element_and_is_drawn_for_the_views_scale():
    painter, layers = canvas()
    painter.view(Viewport(400, 300).zoom(4.0))
    painter.put_mark(PIN)
    painter.flush()
    (pin,) = layers["pin"].children
    assert pin.children == [] and pin.getAttribute("data-testid") == "map-delivery"
    assert pin.getAttribute("d") == pin_path(3.0, 4.0, painter.k, LATE_SCALE)
    assert painter.k == pytest.approx(Viewport(400, 300).zoom(4.0).units_per_px, rel=1e-4)


def test_a_mark_that_is_not_one_is_a_type_error():
    with pytest.raises(TypeError):
        mark_attrs("S-1")


def test_drop_removes_a_mark_and_a_zones_label():
    painter, layers = canvas()
    painter.put_mark(ZONE)
    painter.put_mark(DOT)
    painter.flush()
    painter.drop("zone", "Z-1")
    painter.drop("staff", "S-1")
    painter.flush()
    assert layers["zone"].children == [] and layers[LABEL].children == [] and layers["staff"].children == []


def test_the_operation_codes_are_distinct():
    assert len(set(OPS.values())) == len(OPS)


def test_after_close_nothing_more_is_sent():
    painter, layers = canvas()
    painter.put_mark(DOT)
    painter.flush()
    painter.close()
    painter.put_mark(PIN)
    painter.flush()
    assert painter.calls == 1 and layers["pin"].children == []


def test_a_put_sends_only_what_changed_and_the_page_keeps_the_rest():
    painter, layers = canvas()
    painter.put_mark(DOT)
    painter.flush()
    moved = StaffMark(**{**DOT.__dict__, "x": 9.5, "lat": 52.6, "heading": 180.0})
    painter.put_mark(moved)
    painter.flush()
    op = painter.canvas.batches[-1][0]
    assert op[3] == {"data-lat": "52.6"} and op[4] == {str(STAFF_DOT): {"cx": "9.5"}} and op[5] == [9.5, 2.25, 180.0]
    (dot,) = layers["staff"].children
    assert dot.getAttribute("aria-label") == "Ada Okafor, available" and dot.getAttribute("data-lat") == "52.6"
    assert painter.canvas.painted[("staff", "S-1")] == [9.5, 2.25, 180.0]
    painter.drop("staff", "S-1")
    painter.put_mark(moved)  # made again: written whole
    painter.flush()
    assert painter.canvas.batches[-1][-1][3]["aria-label"] == "Ada Okafor, available"


def test_a_dots_hook_follows_it_only_once_it_is_two_pixels_away_or_the_scale_changed():
    painter, layers = canvas()
    painter.view(Viewport(400, 300).zoom(4.0))
    k = painter.k
    painter.put_mark(DOT)
    painter.flush()
    (dot,) = layers["staff"].children
    circle = dot.children[0]
    place = (circle.getAttribute("cx"), circle.getAttribute("cy"))
    nudged = StaffMark(**{**DOT.__dict__, "x": DOT.x + 1.5 * k, "lat": 52.5101})
    painter.put_mark(nudged)
    painter.flush()
    assert (circle.getAttribute("cx"), circle.getAttribute("cy")) == place  # the hook stays
    assert dot.getAttribute("data-lat") == "52.5101"  # the coordinates are always the last applied
    assert painter.canvas.painted[("staff", "S-1")][0] == nudged.x  # the painter draws it where it is
    away = StaffMark(**{**nudged.__dict__, "x": DOT.x + 2.5 * k})
    painter.put_mark(away)
    painter.flush()
    assert float(circle.getAttribute("cx")) == pytest.approx(away.x, abs=0.01)
    painter.put_mark(StaffMark(**{**away.__dict__, "x": away.x + 0.5 * k}))
    painter.view(Viewport(400, 300).zoom(8.0))
    painter.put_mark(StaffMark(**{**away.__dict__, "x": away.x + 0.5 * k}))
    painter.flush()
    assert float(circle.getAttribute("cx")) == pytest.approx(away.x + 0.5 * k, abs=0.01)  # a zoom places it
