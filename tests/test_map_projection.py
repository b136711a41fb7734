"""app/map_projection.py: lat/lon to world units, and a viewport that pans, zooms and fits without moving markers."""

import math

import pytest

from app.geo import Bounds
from app.map_projection import FIT_MARGIN_PX, MIN_WIDTH, WORLD, Viewport, project, unproject

BERLIN = Bounds(52.45, 13.30, 52.60, 13.50)


def test_east_is_right_and_north_is_up():
    x, y = project(52.52, 13.405)
    east, north = project(52.52, 13.5), project(52.6, 13.405)
    assert east[0] > x and east[1] == y
    assert north[1] < y and north[0] == x


def test_project_and_unproject_round_trip_within_a_metre():
    lat, lon = unproject(*project(52.5201, 13.4049))
    assert abs(lat - 52.5201) < 1e-5 and abs(lon - 13.4049) < 1e-5


def test_the_poles_are_clamped_not_infinite():
    assert all(math.isfinite(v) for v in project(90, 0) + project(-90, 0))


def test_fit_shows_the_whole_box_with_the_screens_aspect():
    view = Viewport(800, 400).fit(BERLIN)
    for lat in (BERLIN.south, BERLIN.north):
        for lon in (BERLIN.west, BERLIN.east):
            assert view.contains(*project(lat, lon))
    assert view.width / view.height == pytest.approx(2.0)
    shown = view.bounds()
    assert shown.south <= BERLIN.south and shown.north >= BERLIN.north


def test_fit_keeps_room_for_a_pin_above_the_top_edge_and_a_dot_at_the_sides():
    view = Viewport(384, 215).fit(BERLIN)
    k = view.units_per_px
    west, north = project(BERLIN.north, BERLIN.west)
    east, south = project(BERLIN.south, BERLIN.east)
    assert (north - view.y) / k >= FIT_MARGIN_PX[0] - 1e-6
    assert (view.x + view.width - east) / k >= FIT_MARGIN_PX[1] - 1e-6
    assert (view.y + view.height - south) / k >= FIT_MARGIN_PX[2] - 1e-6
    assert (west - view.x) / k >= FIT_MARGIN_PX[3] - 1e-6
    assert view.width / view.height == pytest.approx(384 / 215)


@pytest.mark.parametrize("size", [(20, 10), (40, 30), (1, 1)])
def test_fit_on_a_tiny_map_still_shows_the_whole_box(size):
    """Margins never take more than half the map: the box still fits, with a positive scale."""
    view = Viewport(*size).fit(BERLIN)
    assert view.units_per_px > 0
    for lat in (BERLIN.south, BERLIN.north):
        for lon in (BERLIN.west, BERLIN.east):
            assert view.contains(*project(lat, lon))


def test_markers_keep_their_coordinates_across_pans_and_zooms():
    """Only the view box changes: a point's world coordinates never depend on the view."""
    point = project(52.52, 13.405)
    view = Viewport(800, 600).fit(BERLIN)
    for move in (lambda v: v.pan(120, -40), lambda v: v.zoom(3), lambda v: v.step(-1, 1),
                 lambda v: v.zoom(0.5, (10, 10)), lambda v: v.resized(400, 300)):
        moved = move(view)
        assert moved.view_box != view.view_box
        assert project(52.52, 13.405) == point
        view = moved


def test_zoom_keeps_the_point_under_the_pointer_still():
    view = Viewport(800, 600).fit(BERLIN)
    at = (200, 150)
    before = (view.x + at[0] * view.units_per_px, view.y + at[1] * view.units_per_px)
    zoomed = view.zoom(2, at)
    after = (zoomed.x + at[0] * zoomed.units_per_px, zoomed.y + at[1] * zoomed.units_per_px)
    assert zoomed.width == pytest.approx(view.width / 2)
    assert after == pytest.approx(before)


def test_a_drag_moves_the_world_with_the_pointer():
    view = Viewport(800, 600).fit(BERLIN)
    panned = view.pan(100, 50)
    assert panned.x == pytest.approx(view.x - 100 * view.units_per_px)
    assert panned.y == pytest.approx(view.y - 50 * view.units_per_px)
    assert view.step(1, 0).x > view.x and view.step(0, -1).y < view.y


def test_zoom_is_bounded_and_refuses_nonsense():
    view = Viewport(800, 600)
    assert view.zoom(1e12).width == MIN_WIDTH
    assert view.zoom(1e-12).width == WORLD
    with pytest.raises(ValueError):
        view.zoom(0)
    with pytest.raises(ValueError):
        Viewport(0, 100)
    assert view.fit(None) is view
