"""bench/instrument.js's marker probe in Chromium, on a hand-made page: what it counts as drawn, superseded,
unchanged, never drawn and stray (the map phase's figures rest on it; bench/map.py)."""

from __future__ import annotations

import pytest

from bench.browser import probe_script

pytestmark = pytest.mark.e2e

URL = "http://bench-probe.invalid/"
# Two markers as the map draws them; a socket that never connects, fed synthetic message events
# (the probe listens on every WebSocket the page makes, as it does on the app's).
PAGE = """<!doctype html><title>probe</title>
<svg data-testid="map"><circle data-testid="map-staff" data-id="S-1" data-lat="52.5" data-lon="13.4"/>
<circle data-testid="map-staff" data-id="S-2" data-lat="52.6" data-lon="13.5"/></svg>
<script>
  const socket = new WebSocket("ws://127.0.0.1:9/");
  socket.onerror = () => {};
  window.send = (staffId, lat, lon, agoMs) => socket.dispatchEvent(new MessageEvent("message", {data: JSON.stringify(
    {type: "staff_location_update", seq: 1, staffId,
     location: {lat, lon, at: new Date(Date.now() - agoMs).toISOString()}})}));
  window.draw = (id, lat, lon) => {
    const marker = document.querySelector(`[data-id="${id}"]`);
    marker.setAttribute("data-lat", String(lat));
    marker.setAttribute("data-lon", String(lon));
  };
</script>"""


@pytest.fixture
def probe_page(page):
    page.add_init_script(script=probe_script())
    page.route(URL, lambda route: route.fulfill(body=PAGE, content_type="text/html"))
    page.goto(URL)
    page.wait_for_selector("[data-testid=map-staff][data-id=S-2]", state="attached")
    page.evaluate("__bench.start()")
    return page


def stop(page) -> dict:
    page.evaluate("() => new Promise(done => setTimeout(done, 0))")  # the observers' records are delivered
    return page.evaluate("__bench.stop()")


def test_a_move_is_drawn_once_its_marker_shows_it_and_moves_within_the_frame_are_superseded(probe_page):
    probe_page.evaluate("() => { send('S-1', 52.51, 13.41, 400); send('S-1', 52.52, 13.42, 300); }")
    probe_page.evaluate("() => draw('S-1', 52.52, 13.42)")
    result = stop(probe_page)
    assert result["locEvents"] == 2 and len(result["markerLat"]) == 2 and result["markerSuperseded"] == 1
    older, newer = result["markerLat"]
    assert older >= 400 and newer >= 300 and older > newer  # from each event's own location.at
    assert result["markerUnshown"] == 0 and result["markerStray"] == 0


def test_a_position_already_drawn_is_not_waited_for_and_an_undrawn_move_is_counted(probe_page):
    probe_page.evaluate("() => { send('S-2', 52.6, 13.5, 10); send('S-3', 52.7, 13.6, 10); }")
    result = stop(probe_page)
    assert (result["locEvents"], result["locSame"], result["markerUnshown"]) == (2, 1, 1)
    assert result["markerLat"] == []


def test_a_marker_change_that_matches_no_event_is_stray_and_numbers_compare_as_numbers(probe_page):
    probe_page.evaluate("() => { send('S-1', 52.5, 13.45, 10); draw('S-2', 52.61, 13.5); }")
    probe_page.evaluate("() => { const m = document.querySelector('[data-id=S-1]');"
                        " m.setAttribute('data-lon', '13.450'); }")  # the same number, written another way
    result = stop(probe_page)
    assert result["markerStray"] == 1 and len(result["markerLat"]) == 1 and result["markerUnshown"] == 0
