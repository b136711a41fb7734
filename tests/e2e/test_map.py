"""The live map in Chromium: markers match the stub's city, move with location events, link with the lists.

One logged-in tab serves the module (``city``), with the simulation stopped so only the
events a test emits change the world; each test reads the world afresh (``settled``).
A version-1 backend and the markup-in-a-name test get tabs of their own.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from app.models import is_open
from tests.e2e.conftest import log_in, with_all_rows
from tests.e2e.harness import Stub, wait_until
from tests.e2e.panels import BOOT_MS, close_tab, emit, items, logged_in_tab, settled

MAP = "[data-testid=map]"
STAFF = f"{MAP} [data-testid=map-staff]"
PINS = f"{MAP} [data-testid=map-delivery]"
ZONES = f"{MAP} [data-testid=map-zone]"
LINK = "[data-testid=map-link]"
TOGGLE = "[data-testid=map-toggle]"
ROWS = "[data-testid=delivery-list] [data-testid=delivery-row]"
DETAIL = "[data-testid=delivery-detail]"
PERSON = "[data-testid=staff-detail]"
MARKUP = '<img src=x onerror="window.__xss=1">Eve <b>Bold</b>'


@pytest.fixture(scope="module")
def city(browser_context, stub):
    tab = logged_in_tab(browser_context, stub)
    tab.wait_for_selector(STAFF, state="attached")
    yield tab
    close_tab(tab, stub)


def view_box(page) -> list[float]:
    return [float(v) for v in page.get_attribute(f"{MAP} svg", "viewBox").split()]


def a_linked_delivery(snapshot) -> dict:
    """An open delivery with a drop-off whose assignee has a location."""
    located = {m["id"] for m in snapshot["staff"] if m.get("location")}
    return next(d for d in snapshot["deliveries"]
                if is_open(d["status"]) and d.get("dropoff") and d.get("assignedTo") in located)


# --- what is drawn ---------------------------------------------------------------------------------------


def test_markers_match_the_stubs_world(city, stub):
    snapshot = settled(city, stub)
    staff = items(city, STAFF)
    located = {m["id"]: m["location"] for m in snapshot["staff"] if m.get("location")}
    assert located, "the stub's city has located staff"
    assert set(staff) == set(located)
    for staff_id, where in located.items():
        attrs = staff[staff_id]["attrs"]
        assert float(attrs["lat"]) == pytest.approx(where["lat"], abs=1e-9)
        assert float(attrs["lon"]) == pytest.approx(where["lon"], abs=1e-9)
    members = {m["id"]: m for m in snapshot["staff"]}
    assert all(staff[i]["status"] == members[i]["status"] for i in staff)
    open_pins = {d["id"]: d["dropoff"] for d in snapshot["deliveries"] if is_open(d["status"]) and d.get("dropoff")}
    pins = items(city, PINS)
    assert set(pins) == set(open_pins)
    for delivery_id, point in open_pins.items():
        assert float(pins[delivery_id]["attrs"]["lat"]) == pytest.approx(point["lat"], abs=1e-9)
        assert float(pins[delivery_id]["attrs"]["lon"]) == pytest.approx(point["lon"], abs=1e-9)
    assert set(items(city, ZONES)) == {z["id"] for z in snapshot["zones"] if z.get("area")}


#: The two painted layers (static/js/map-paint.mjs): pins, names and line under; staff over.
LAYERS_JS = "() => [...document.querySelectorAll('[data-testid=map] canvas.map-paint')]"
#: Every dot whose hook is well inside the map and clear of any other dot: where the hook is, and the pixel
#: the painter drew there, with the colour its status should have.
DOT_PIXELS_JS = """() => {
    const over = document.querySelectorAll('[data-testid=map] canvas.map-paint')[1];
    const box = over.getBoundingClientRect(), dpr = devicePixelRatio, style = getComputedStyle(over);
    const fills = {available: '--dot-ok', on_delivery: '--dot-info', on_break: '--dot-warn', offline: '--dot-idle'};
    const dots = [...document.querySelectorAll('[data-testid=map-staff]')].map((g) => {
        const r = g.querySelector('.dot').getBoundingClientRect();
        return {id: g.dataset.id, status: g.dataset.status,
                x: r.left + r.width / 2 - box.left, y: r.top + r.height / 2 - box.top};
    });
    const ctx = over.getContext('2d');
    return dots.filter((d) => d.x > 10 && d.y > 10 && d.x < box.width - 10 && d.y < box.height - 10
                       && dots.every((o) => o === d || Math.hypot(o.x - d.x, o.y - d.y) > 18))
        .map((d) => ({...d, want: style.getPropertyValue(fills[d.status]).trim(),
                      got: [...ctx.getImageData(Math.round(d.x * dpr), Math.round(d.y * dpr), 1, 1).data]}));
}"""
UNDER_JS = """() => { const under = document.querySelector('[data-testid=map] canvas.map-paint');
    const p = under.dcPainter;
    return {quiet: !p.dirty && p.timer === null, painted: {...p.painted}, image: under.toDataURL()}; }"""


def test_the_canvas_paints_each_dot_where_its_hook_is_in_its_status_colour(city, stub):
    settled(city, stub)
    assert len(city.evaluate(LAYERS_JS)) == 2
    dots = city.evaluate(DOT_PIXELS_JS)
    assert len(dots) >= 3, dots
    for dot in dots:
        want = bytes.fromhex(dot["want"].lstrip("#"))
        r, g, b, alpha = dot["got"]
        assert alpha >= 200 and all(abs(got - w) <= 40 for got, w in zip((r, g, b), want)), dot


def test_after_pins_change_the_pins_layer_is_what_one_whole_paint_draws(city, stub):
    """A pin that went away or changed is erased within 250 ms by a whole paint of its layer (new pins are
    drawn on top at once): once the painter is quiet, painting everything again changes no pixel."""
    snapshot = settled(city, stub)
    before = city.evaluate(UNDER_JS)["painted"]
    pins = [d for d in snapshot["deliveries"] if is_open(d["status"]) and d.get("dropoff")]
    for delivery in pins[:2]:
        emit(stub, {"type": "delivery_update", "deliveryId": delivery["id"], "changes": {"status": "delivered"}})
    emit(stub, {"type": "delivery_update", "deliveryId": pins[2]["id"], "changes": {"eta": "2020-01-01T00:00:00Z"}})
    settled(city, stub)
    expect(city.locator(f'{PINS}[data-id="{pins[2]["id"]}"]')).to_have_attribute("data-late", "true")
    quiet = wait_until(lambda: (got := city.evaluate(UNDER_JS))["quiet"] and got, timeout=10,
                       message="the painter caught up")
    assert quiet["painted"]["under"] > before["under"]
    city.evaluate("() => document.querySelector('[data-testid=map] canvas.map-paint').dcPainter.paintAll()")
    assert city.evaluate(UNDER_JS)["image"] == quiet["image"]


def test_a_location_event_moves_its_marker(city, stub):
    snapshot = settled(city, stub)
    member = next(m for m in snapshot["staff"] if m.get("location"))
    lat, lon = round(member["location"]["lat"] + 0.0031, 6), round(member["location"]["lon"] - 0.0027, 6)
    emit(stub, {"type": "staff_location_update", "staffId": member["id"],
                "location": {"lat": lat, "lon": lon, "heading": 45, "at": "2026-11-26T13:58:02Z"}})
    marker = city.locator(f'{STAFF}[data-id="{member["id"]}"]')
    expect(marker).to_have_attribute("data-lat", repr(lat))
    expect(marker).to_have_attribute("data-lon", repr(lon))


def test_after_a_burst_of_location_events_every_marker_is_where_the_server_says(city, stub):
    """200 events/s for 2 s, many per frame for the same person: the last one applied is the one drawn."""
    before = stub.stats()["seq"]
    stub.control("locations", {"rate": 200, "seconds": 2})
    wait_until(lambda: stub.stats()["seq"] >= before + 200, timeout=20, message="half the burst sent")
    stub.control("locations", {"rate": 0})  # the rest is not needed: stop, so the world holds still
    snapshot = settled(city, stub)
    staff = items(city, STAFF)
    for member in snapshot["staff"]:
        if member.get("location"):
            attrs = staff[member["id"]]["attrs"]
            assert (float(attrs["lat"]), float(attrs["lon"])) == pytest.approx(
                (member["location"]["lat"], member["location"]["lon"]), abs=1e-9), member["id"]


# --- linked with the lists -------------------------------------------------------------------------------


def test_selecting_a_row_highlights_its_pin_its_driver_and_the_line(city, stub):
    delivery = a_linked_delivery(settled(city, stub))
    city.locator(f'{ROWS}[data-id="{delivery["id"]}"] [data-field=customer]').click()
    expect(city.locator(f'{ROWS}[data-id="{delivery["id"]}"]')).to_have_attribute("data-selected", "true")
    expect(city.locator(f'{PINS}[data-id="{delivery["id"]}"]')).to_have_attribute("data-selected", "true")
    expect(city.locator(f'{STAFF}[data-id="{delivery["assignedTo"]}"]')).to_have_attribute("data-selected", "true")
    expect(city.locator(LINK)).not_to_have_attribute("hidden", "")


def test_activating_a_pin_selects_its_row_and_opens_the_detail(city, stub):
    snapshot = settled(city, stub)
    delivery = [d for d in snapshot["deliveries"] if is_open(d["status"]) and d.get("dropoff")][-1]
    pin = city.locator(f'{PINS}[data-id="{delivery["id"]}"]')
    pin.focus()
    city.keyboard.press("Enter")
    expect(city.locator(DETAIL)).to_have_attribute("data-id", delivery["id"])
    expect(city.locator(DETAIL)).to_be_visible()
    expect(city.locator(f'{ROWS}[data-id="{delivery["id"]}"]')).to_have_attribute("data-selected", "true")
    city.keyboard.press("Escape")
    expect(city.locator(DETAIL)).to_be_hidden()
    expect(pin).to_be_focused()  # focus goes back to the marker that opened it


def test_clicking_a_driver_selects_the_staff_row_and_opens_their_details(city, stub):
    snapshot = settled(city, stub)
    member = [m for m in snapshot["staff"] if m.get("location")][-1]
    city.locator(f'{STAFF}[data-id="{member["id"]}"]').dispatch_event("click")
    expect(city.locator(f'[data-testid=staff-row][data-id="{member["id"]}"]')).to_have_attribute(
        "data-selected", "true")
    sheet = city.locator(PERSON)
    expect(sheet).to_be_visible()
    expect(sheet).to_have_attribute("data-id", member["id"])
    expect(sheet.locator("h2")).to_have_text(member["name"])
    expect(sheet.locator("[data-field=status]")).to_have_attribute("data-value", member["status"])
    lat, lon = (float(v) for v in sheet.locator("[data-field=location]").get_attribute("data-value").split(","))
    assert (lat, lon) == (member["location"]["lat"], member["location"]["lon"])
    carried = [d["id"] for d in snapshot["deliveries"] if d.get("assignedTo") == member["id"] and is_open(d["status"])]
    expect(sheet.locator("[data-testid=staff-deliveries] button")).to_have_count(len(carried))
    city.keyboard.press("Escape")
    expect(sheet).to_be_hidden()


def test_a_staff_name_opens_their_details_and_a_delivery_they_carry_opens_its_own(city, stub):
    snapshot = settled(city, stub)
    delivery = a_linked_delivery(snapshot)
    name = city.locator(f'[data-testid=staff-row][data-id="{delivery["assignedTo"]}"] [data-field=name]')
    name.scroll_into_view_if_needed()
    name.click()
    sheet = city.locator(PERSON)
    expect(sheet).to_have_attribute("data-id", delivery["assignedTo"])
    expect(sheet.locator("button[data-action=close-details]")).to_be_focused()
    sheet.locator(f'[data-testid=staff-deliveries] button[data-value="{delivery["id"]}"]').click()
    expect(sheet).to_be_hidden()
    expect(city.locator(DETAIL)).to_have_attribute("data-id", delivery["id"])
    expect(city.locator(DETAIL)).to_be_visible()
    city.keyboard.press("Escape")
    expect(city.locator(DETAIL)).to_be_hidden()
    expect(name).to_be_focused()  # back where the first sheet was opened


def test_write_to_from_a_persons_details_addresses_the_message_form_to_them(city, stub):
    snapshot = settled(city, stub)
    member = snapshot["staff"][1]
    body = city.locator("form[data-testid=comms-compose] textarea[name=body]")
    body.fill("Can you take one more?")
    name = city.locator(f'[data-testid=staff-row][data-id="{member["id"]}"] [data-field=name]')
    name.scroll_into_view_if_needed()
    name.click()
    city.locator(f"{PERSON} button[data-action=write-to]").click()
    expect(city.locator(PERSON)).to_be_hidden()
    expect(city.locator("form[data-testid=comms-compose] [name=to]")).to_have_value(member["id"])
    expect(body).to_be_focused()
    expect(body).to_have_value("Can you take one more?")
    body.fill("")


def test_the_deliveries_filters_filter_the_pins(city, stub):
    snapshot = settled(city, stub)
    pending = {d["id"] for d in snapshot["deliveries"] if d["status"] == "pending" and d.get("dropoff")}
    assert pending
    city.select_option("select[data-testid=filter-status]", "pending")
    expect(city.locator(PINS)).to_have_count(len(pending))
    assert set(items(city, PINS)) == pending
    city.select_option("select[data-testid=filter-status]", "")
    expect(city.locator(PINS)).to_have_count(
        sum(1 for d in snapshot["deliveries"] if is_open(d["status"]) and d.get("dropoff")))


def test_a_zone_cards_fit_shows_that_zone(city, stub):
    snapshot = settled(city, stub)
    zone = next(z for z in snapshot["zones"] if z.get("area"))
    city.locator("[data-testid=map-fit-all]").click()
    whole = view_box(city)
    city.locator(f'[data-testid=zone-card][data-id="{zone["id"]}"] button[data-action=fit-zone]').click()
    expect(city.locator(f"{MAP} svg")).not_to_have_attribute("viewBox", " ".join(f"{v:.2f}" for v in whole))
    assert view_box(city)[2] < whole[2]
    expect(city.locator(MAP)).to_be_focused()
    city.locator("[data-testid=map-fit-all]").click()


# --- navigation ---------------------------------------------------------------------------------------------


def test_keyboard_pans_and_zooms_the_view_and_markers_keep_their_place(city, stub):
    settled(city, stub)
    marker = city.locator(STAFF).first
    dot = marker.locator(".dot")
    place = (dot.get_attribute("cx"), dot.get_attribute("cy"))
    assert marker.get_attribute("transform") is None and place[0] is not None  # plain geometry, no transform
    city.locator(MAP).focus()
    before = view_box(city)
    city.keyboard.press("ArrowRight")
    expect(city.locator(f"{MAP} svg")).not_to_have_attribute("viewBox", " ".join(f"{v:.2f}" for v in before))
    panned = view_box(city)
    assert panned[0] > before[0] and panned[2] == pytest.approx(before[2])
    city.keyboard.press("+")
    expect(city.locator(f"{MAP} svg")).not_to_have_attribute("viewBox", " ".join(f"{v:.2f}" for v in panned))
    assert view_box(city)[2] < panned[2]
    assert (dot.get_attribute("cx"), dot.get_attribute("cy")) == place
    city.locator("[data-testid=map-fit-all]").click()


def test_tab_reaches_a_marker_its_tooltip_shows_and_space_activates(city, stub):
    settled(city, stub)
    city.locator(MAP).focus()
    city.keyboard.press("Tab")
    testid, marker_id, label = city.evaluate(
        "() => ['data-testid', 'data-id', 'aria-label'].map(name => document.activeElement.getAttribute(name))")
    assert testid in ("map-staff", "map-delivery") and label
    expect(city.locator("[data-testid=map-tip]")).to_have_text(label)
    expect(city.locator("[data-testid=map-tip]")).to_be_visible()
    focused = city.evaluate("() => document.querySelector('[data-testid=map] canvas.map-paint').dcPainter.focused")
    assert focused == ["pin" if testid == "map-delivery" else "staff", marker_id]  # painted raised
    city.keyboard.press(" ")
    if testid == "map-delivery":
        expect(city.locator(DETAIL)).to_have_attribute("data-id", marker_id)
        expect(city.locator(DETAIL)).to_be_visible()
        city.keyboard.press("Escape")
        expect(city.locator(DETAIL)).to_be_hidden()
    else:
        expect(city.locator(f'{STAFF}[data-id="{marker_id}"]')).to_have_attribute("data-selected", "true")
        expect(city.locator(PERSON)).to_have_attribute("data-id", marker_id)
        city.keyboard.press("Escape")
        expect(city.locator(PERSON)).to_be_hidden()
    expect(city.locator(f'[data-id="{marker_id}"][data-testid^=map-]')).to_be_focused()


#: Where the focused element and the map's tooltip are, against the map's frame (page pixels).
FOCUS_JS = f"""() => {{
    const node = document.activeElement, frame = document.querySelector('{MAP}').getBoundingClientRect();
    const tip = document.querySelector('[data-testid=map-tip]');
    const box = r => [r.left, r.top, r.right, r.bottom];
    return {{testid: node.getAttribute('data-testid'), id: node.getAttribute('data-id'),
             marker: box(node.getBoundingClientRect()), frame: box(frame),
             tip: tip.hidden ? null : box(tip.getBoundingClientRect())}};
}}"""


def inside(box, frame) -> bool:
    """Whether a box (left, top, right, bottom) lies within a frame, to half a pixel."""
    left, top, right, bottom = box
    return frame[0] - 0.5 <= left and right <= frame[2] + 0.5 and frame[1] - 0.5 <= top and bottom <= frame[3] + 0.5


def test_tab_to_a_marker_out_of_view_pans_it_into_view_with_its_tooltip(city, stub):
    """Zoomed in, most markers are out of view, and Tab still goes through every one of them."""
    settled(city, stub)
    city.locator("[data-testid=map-fit-all]").click()  # the pointer stays over the map, as a user's may
    city.locator(MAP).focus()
    for _ in range(3):
        city.keyboard.press("+")
    outside = city.evaluate(f"""() => {{
        const f = document.querySelector('{MAP}').getBoundingClientRect();
        return [...document.querySelectorAll('{STAFF}, {PINS}')].filter(m => {{
            const r = m.getBoundingClientRect();
            return r.right < f.left || r.left > f.right || r.bottom < f.top || r.top > f.bottom; }}).length; }}""")
    assert outside > 10, "zoomed in, most markers are out of view"
    panned = 0
    for _ in range(12):
        before = view_box(city)
        city.keyboard.press("Tab")
        got = city.evaluate(FOCUS_JS)
        assert got["testid"] in ("map-staff", "map-delivery"), got
        assert inside(got["marker"], got["frame"]), got
        expect(city.locator("[data-testid=map-tip]")).to_be_visible()
        got = city.evaluate(FOCUS_JS)
        assert got["tip"] is not None and inside(got["tip"], got["frame"]), got
        expect(city.locator("[data-testid=map-tip]")).to_have_text(
            city.evaluate("() => document.activeElement.getAttribute('aria-label')"))
        panned += view_box(city) != before
    assert panned, "some of the markers Tab reached were out of view"
    city.locator("[data-testid=map-fit-all]").click()


#: Two pins that overlap at a point with no staff dot over them, the one the pointer hits there (later
#: in the SVG) first; given ``[top, under]``, where those two overlap now (the page may have scrolled since).
OVERLAP_JS = f"""(pair) => {{
    const pins = [...document.querySelectorAll('{PINS}')];
    for (const pin of pins) {{
        if (pair && pin.dataset.id !== pair[1]) continue;
        const r = pin.getBoundingClientRect();
        for (const [fx, fy] of [[0.5, 0.3], [0.3, 0.3], [0.7, 0.3], [0.5, 0.5], [0.3, 0.5], [0.7, 0.5]]) {{
            const x = r.left + r.width * fx, y = r.top + r.height * fy;
            // The markers at the point, topmost first (a staff dot over both would take the pointer).
            const hit = [...new Set(document.elementsFromPoint(x, y)
                .map(n => n.closest('[data-testid=map-staff], [data-testid=map-delivery]')).filter(Boolean))];
            if (hit.length >= 2 && hit[0].matches('{PINS}') && hit[1].matches('{PINS}')
                && (!pair || (hit[0].dataset.id === pair[0] && hit.includes(pin))))
                return {{x, y, top: hit[0].dataset.id, under: hit[1].dataset.id}};
        }}
    }}
    return null;
}}"""


def test_the_pointer_takes_the_selected_pin_that_is_painted_over_its_neighbour(city, stub):
    """A selected pin is painted over the pins around it; hover and click at a point they share are its own."""
    settled(city, stub)
    city.locator("[data-testid=map-fit-all]").click()
    found = city.evaluate(OVERLAP_JS, None)
    for _ in range(3):  # fewer, bigger overlaps further out
        if found:
            break
        city.locator(MAP).focus()
        city.keyboard.press("-")
        found = city.evaluate(OVERLAP_JS, None)
    assert found, "two pins overlap somewhere in the city"
    top, under = found["top"], found["under"]
    city.locator(f'{ROWS}[data-id="{under}"] [data-field=customer]').click()
    expect(city.locator(f'{PINS}[data-id="{under}"]')).to_have_attribute("data-selected", "true")
    city.locator(MAP).scroll_into_view_if_needed()
    point = city.evaluate(OVERLAP_JS, [top, under])  # clicking the row may have scrolled the page
    assert point, (top, under)
    city.mouse.move(point["x"], point["y"])
    expect(city.locator("[data-testid=map-tip]")).to_have_text(city.get_attribute(f'{PINS}[data-id="{under}"]',
                                                                                  "aria-label"))
    city.mouse.click(point["x"], point["y"])
    expect(city.locator(DETAIL)).to_have_attribute("data-id", under)
    city.keyboard.press("Escape")
    expect(city.locator(DETAIL)).to_be_hidden()
    city.locator("[data-testid=map-fit-all]").click()


def test_pins_drawn_on_top_as_they_come_are_followed_by_a_whole_paint(city, stub):
    """New pins are drawn over the layer at once, over the zones' names too; a whole paint follows, so once
    the painter is quiet the layer is what painting everything again draws (the names back on top)."""
    settled(city, stub)
    city.locator("[data-testid=map-fit-all]").click()
    city.select_option("select[data-testid=filter-status]", "pending")
    wait_until(lambda: city.evaluate(UNDER_JS)["quiet"], timeout=10, message="the painter caught up")
    added = city.evaluate(UNDER_JS)["painted"]["added"]
    city.select_option("select[data-testid=filter-status]", "")
    wait_until(lambda: city.evaluate(UNDER_JS)["painted"]["added"] > added, timeout=10,
               message="the pins came back drawn on top")
    quiet = wait_until(lambda: (got := city.evaluate(UNDER_JS))["quiet"] and got, timeout=10,
                       message="the painter caught up")
    city.evaluate("() => document.querySelector('[data-testid=map] canvas.map-paint').dcPainter.paintAll()")
    assert city.evaluate(UNDER_JS)["image"] == quiet["image"]


#: The painted pixel on the left side of where a marker's focus ring goes, and the accent colour.
RING_JS = """([kind, id]) => {
    const [under, over] = document.querySelectorAll('[data-testid=map] canvas.map-paint');
    const p = under.dcPainter, at = p.transform(), mark = (kind === 'pin' ? p.pins : p.staff).get(id);
    const sprite = kind === 'pin' ? p.pinSprite(mark.late, true) : p.dotSprite(mark.status, true, mark.h);
    const x = mark.x * at.scale + at.ox - sprite.ax - 3, y = mark.y * at.scale + at.oy - sprite.ay + sprite.height / 2;
    const canvas = kind === 'pin' ? under : over;
    const found = [];
    for (let dy = -4; dy <= 4; dy++) {
        const px = canvas.getContext('2d').getImageData(Math.round(x * at.dpr), Math.round((y + dy) * at.dpr), 1, 1).data;
        found.push([...px]);
    }
    return {found, accent: getComputedStyle(under).getPropertyValue('--accent').trim()};
}"""


def ring(page, kind: str, marker_id: str) -> tuple[list, bool]:
    """The pixels where the ring goes, and whether any of them is in the accent colour (its 2 px line
    lands between device pixels, so anti-aliased: alpha about 180)."""
    got = page.evaluate(RING_JS, [kind, marker_id])
    want = bytes.fromhex(got["accent"].lstrip("#"))
    return got["found"], any(px[3] >= 100 and all(abs(a - b) <= 40 for a, b in zip(px[:3], want))
                             for px in got["found"])


def test_keyboard_focus_is_painted_as_a_ring_apart_from_the_selection(city, stub):
    """A selected marker and a focused one looked the same (both drawn raised): focus now has a ring."""
    settled(city, stub)
    city.locator("[data-testid=map-fit-all]").click()
    city.locator(MAP).focus()
    city.keyboard.press("Tab")
    testid, marker_id = city.evaluate("() => [document.activeElement.dataset.testid, document.activeElement.dataset.id]")
    kind = "pin" if testid == "map-delivery" else "staff"
    assert city.evaluate("() => document.querySelector('[data-testid=map] canvas.map-paint').dcPainter.focused") == [
        kind, marker_id]
    focused, accent = ring(city, kind, marker_id)
    assert accent, focused
    city.locator(MAP).focus()  # focus leaves the marker: the ring goes (neighbours' outlines may stay)
    assert city.evaluate("() => document.querySelector('[data-testid=map] canvas.map-paint').dcPainter.focused") is None
    assert ring(city, kind, marker_id)[0] != focused


def test_a_pointer_hits_an_unpainted_marker_and_its_tooltip_shows(city, stub):
    """The markers' SVG shapes are not painted (the canvases over them are, and let the pointer through),
    yet the pointer hits them: hover shows the tooltip, a click selects."""
    settled(city, stub)
    city.locator("[data-testid=map-fit-all]").click()
    clear = city.evaluate(DOT_PIXELS_JS)  # dots with no other dot over them
    assert clear
    member = {"id": clear[0]["id"]}
    dot = city.locator(f'{STAFF}[data-id="{member["id"]}"]')
    dot.hover()
    expect(city.locator("[data-testid=map-tip]")).to_have_text(dot.get_attribute("aria-label"))
    dot.click()
    expect(city.locator(f'[data-testid=staff-row][data-id="{member["id"]}"]')).to_have_attribute(
        "data-selected", "true")
    expect(city.locator(PERSON)).to_have_attribute("data-id", member["id"])
    city.keyboard.press("Escape")
    expect(city.locator(PERSON)).to_be_hidden()


def test_the_tooltips_of_the_markers_nearest_the_top_and_the_sides_stay_inside_the_map(city, stub):
    """The map clips what leaves it: a tooltip goes below a marker in the top row and slides in at the sides."""
    settled(city, stub)
    city.locator("[data-testid=map-fit-all]").click()
    edges = city.evaluate(f"""() => {{
        const marks = [...document.querySelectorAll('{STAFF}, {PINS}')].map(m => [m, m.getBoundingClientRect()])
            .filter(([, r]) => r.width > 0);
        const pick = key => marks.reduce((a, b) => key(b[1]) < key(a[1]) ? b : a)[0];
        return [pick(r => r.top), pick(r => r.left), pick(r => -r.right)].map(m =>
            `[data-testid=${{m.getAttribute('data-testid')}}][data-id="${{m.getAttribute('data-id')}}"]`);
    }}""")
    frame = city.locator(MAP).bounding_box()
    tip = city.locator("[data-testid=map-tip]")
    for marker in edges:
        city.locator(f"{MAP} {marker}").focus()
        expect(tip).to_have_text(city.get_attribute(f"{MAP} {marker}", "aria-label"))
        box = tip.bounding_box()
        assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"] + 0.5, (marker, box)
        assert frame["y"] <= box["y"] and box["y"] + box["height"] <= frame["y"] + frame["height"] + 0.5, (marker, box)


def test_a_tooltip_shows_the_longest_name_on_the_map_whole(city, stub):
    """A marker's name, status and delivery read whole: cut at 260 px, the end (", late") was lost."""
    settled(city, stub)
    city.locator("[data-testid=map-fit-all]").click()
    longest = city.evaluate(f"""() => [...document.querySelectorAll('{STAFF}, {PINS}')]
        .reduce((a, b) => b.getAttribute('aria-label').length > a.getAttribute('aria-label').length ? b : a)
        .getAttribute('data-id')""")
    marker = city.locator(f'{MAP} [data-id="{longest}"]').first
    assert len(marker.get_attribute("aria-label")) > 40
    marker.focus()
    tip = city.locator("[data-testid=map-tip]")
    expect(tip).to_have_text(marker.get_attribute("aria-label"))
    whole = tip.evaluate("t => [t.scrollWidth <= t.clientWidth, t.scrollHeight <= t.clientHeight + 1]")
    assert whole == [True, True], marker.get_attribute("aria-label")
    frame, box = city.locator(MAP).bounding_box(), tip.bounding_box()
    assert frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"] + 0.5


def board_without_the_map(page) -> None:
    """With the map off the board is laid out as before it had one: a side column of at most
    400 px, and 1280 x 720 fits without scrolling (map.css, ``.dashboard.map-off``)."""
    expect(page.locator("#dashboard")).to_have_class(re.compile(r"\bmap-off\b"))
    assert page.locator("#staff-panel").bounding_box()["width"] <= 400.5
    assert page.evaluate("() => document.documentElement.scrollHeight") <= 720


def test_the_map_hides_and_stays_hidden_after_a_reload(city, stub):
    expect(city.locator(TOGGLE)).to_have_text("Hide map")  # its words say what it does
    city.locator(TOGGLE).click()
    expect(city.locator(TOGGLE)).to_have_attribute("aria-expanded", "false")
    expect(city.locator(TOGGLE)).to_have_text("Show map")
    expect(city.locator(MAP)).to_be_hidden()
    board_without_the_map(city)
    city.reload()
    city.wait_for_selector("html[data-app-state=ready]", timeout=BOOT_MS)
    expect(city.locator(TOGGLE)).to_have_attribute("aria-expanded", "false")
    expect(city.locator(MAP)).to_be_hidden()
    board_without_the_map(city)
    city.locator(TOGGLE).click()
    expect(city.locator(TOGGLE)).to_have_attribute("aria-expanded", "true")
    expect(city.locator(STAFF).first).to_be_visible()
    expect(city.locator("#dashboard")).not_to_have_class(re.compile(r"\bmap-off\b"))


def test_the_map_staff_and_messages_keep_a_usable_size(city, stub):
    """At 1280 x 720 the map shared a 400 px column with the staff and messages: a frame 145 px
    high with its legend laid over it, one staff row. Now each keeps a usable height and a short
    screen scrolls the page; the legend sits under the map, not over its pins."""
    expect(city.locator(TOGGLE)).to_have_attribute("aria-expanded", "true")
    assert city.viewport_size == {"width": 1280, "height": 720}
    frame = city.locator(MAP).bounding_box()
    legend = city.locator(".map-legend").bounding_box()
    assert frame["height"] >= 200 and frame["width"] >= 360, frame
    assert legend["y"] >= frame["y"] + frame["height"] - 1, (legend, frame)
    for section, least in (("staff", 170), ("comms", 200)):
        box = city.locator(f"#{section}-panel").bounding_box()
        assert box["height"] >= least, (section, box)
    assert city.evaluate("() => document.documentElement.scrollHeight") > 720


def test_common_staff_names_show_whole_beside_a_long_current_delivery(city, stub):
    """The right column of a staff row was as wide as "D-1264, in transit (+1 more)", which cut names such
    as "Maya Brooks" at 1,280 px; it now takes at most 42% of the row."""
    settled(city, stub)
    cut = city.evaluate("""() => [...document.querySelectorAll('[data-testid=staff-row] .staff-name')]
        .filter(n => n.textContent.length <= 16 && n.scrollWidth > n.clientWidth).map(n => n.textContent)""")
    assert city.locator("[data-testid=staff-row] .staff-name").count() > 0 and cut == []


def test_every_zone_cards_name_shows_in_full(city, stub):
    """The map's rule hiding its SVG zone labels (class zone-name) once hid the cards' names too."""
    names = city.locator("[data-testid=zone-card] [data-field=name]")
    expect(names.first).to_be_visible()
    shown = names.evaluate_all("""nodes => nodes.map(n => ({text: n.textContent,
        visible: n.getClientRects().length > 0, cut: n.scrollWidth > n.clientWidth + 1}))""")
    assert shown and all(n["visible"] and not n["cut"] and n["text"] for n in shown), shown


# --- other backends and other input --------------------------------------------------------------------------


def test_a_version_1_backend_shows_a_quiet_notice_and_nothing_else_changes(browser_context):
    own = Stub("--seed", "5", "--rate", "0", "--protocol", "1")
    try:
        tab = logged_in_tab(browser_context, own)
        expect(tab.locator("[data-testid=map-notice]")).to_be_visible()
        expect(tab.locator("[data-testid=map-notice]")).to_have_text("This backend sends no locations.")
        expect(tab.locator(f"{STAFF}, {PINS}, {ZONES}")).to_have_count(0)
        expect(tab.locator(ROWS).first).to_be_visible()
        expect(tab.locator("[data-testid=map-fit-all]")).to_be_hidden()  # nothing to zoom to
        size = tab.viewport_size
        for width, height in ((size["width"], size["height"]), (768, 1024)):
            tab.set_viewport_size({"width": width, "height": height})
            expect(tab.locator("[data-testid=map-notice]")).to_be_visible()
            assert tab.locator("#map-panel").bounding_box()["height"] < 150, width  # one line, not a map's height
        tab.set_viewport_size(size)
        close_tab(tab, own)
    finally:
        own.stop()


def test_a_staff_name_holding_markup_shows_as_text(browser_context, stub):
    """The snapshot is rewritten on its way to the page: one person's name is markup, and they have a location."""
    def plant(route):
        answer = route.fetch()
        snapshot = answer.json()
        member = snapshot["staff"][0]
        member["name"] = MARKUP
        member["location"] = member.get("location") or {"lat": 52.52, "lon": 13.405, "at": "2026-11-26T13:58:02Z"}
        route.fulfill(response=answer, body=json.dumps(snapshot))

    stub.control("rate", {"eventsPerSecond": 0})
    tab = browser_context.new_page()
    tab.console_messages_seen = []
    tab.on("pageerror", lambda error: tab.console_messages_seen.append(f"pageerror: {error}"))
    tab.route("**/api/snapshot", plant)
    tab.goto(f"{stub.url}?{with_all_rows('')}")
    tab.wait_for_selector("html[data-app-state=login]", state="attached", timeout=BOOT_MS)
    log_in(tab)
    try:
        _, snapshot = stub.api("GET", "snapshot", token=stub.login_token())
        staff_id = snapshot["staff"][0]["id"]
        dot = tab.locator(f'{STAFF}[data-id="{staff_id}"]')
        expect(dot).to_have_attribute("aria-label", re.compile("^" + re.escape(MARKUP) + ", "))
        dot.dispatch_event("focusin")
        expect(tab.locator("[data-testid=map-tip]")).to_have_text(dot.get_attribute("aria-label"))
        expect(tab.locator(f"{MAP} img, {MAP} b")).to_have_count(0)
        dot.dispatch_event("click")
        sheet = tab.locator(PERSON)
        expect(sheet.locator("h2")).to_have_text(MARKUP)
        expect(sheet.locator("[data-field=name]")).to_have_attribute("data-value", MARKUP)
        expect(sheet.locator("img, b")).to_have_count(0)
        assert tab.evaluate("() => window.__xss") is None
    finally:
        close_tab(tab, stub)
