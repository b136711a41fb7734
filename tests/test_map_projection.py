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


def to_px(view, x, y):
    return (x - view.x) / view.units_per_px, (y - view.y) / view.units_per_px


MARGINS = (56.0, 24.0, 24.0, 24.0)  # top, right, bottom, left


@pytest.mark.parametrize("px", [(-300.0, 250.0), (1100.0, 250.0), (400.0, -80.0), (400.0, 900.0),
                                (-5.0, -5.0), (799.0, 599.0), (810.0, 20.0)])
def test_reveal_brings_a_point_just_inside_the_margins_by_the_smallest_pan(px):
    view = Viewport(800, 600).fit(BERLIN)
    x, y = view.x + px[0] * view.units_per_px, view.y + px[1] * view.units_per_px
    shown = view.reveal(x, y, MARGINS)
    sx, sy = to_px(shown, x, y)
    assert 24 - 1e-6 <= sx <= 800 - 24 + 1e-6 and 56 - 1e-6 <= sy <= 600 - 24 + 1e-6
    # The smallest pan: the point sits on the margin it crossed (or stays where it was on that axis).
    assert sx == pytest.approx(min(max(px[0], 24), 776)) and sy == pytest.approx(min(max(px[1], 56), 576))
    assert (shown.width, shown.height, shown.px_width) == (view.width, view.height, view.px_width)


def test_reveal_keeps_the_view_of_a_point_already_inside_and_centres_on_a_map_too_small():
    view = Viewport(800, 600).fit(BERLIN)
    x, y = view.x + 400 * view.units_per_px, view.y + 56 * view.units_per_px
    assert view.reveal(x, y, MARGINS) is view
    tiny = Viewport(40, 60, view.x, view.y, 40 * view.units_per_px, 60 * view.units_per_px)
    far = (view.x + 500 * view.units_per_px, view.y + 500 * view.units_per_px)
    shown = tiny.reveal(*far, MARGINS)
    assert to_px(shown, *far) == (pytest.approx(20.0), pytest.approx(30.0))


def test_bounded_stops_zooming_out_at_four_times_what_fits_everything():
    view = Viewport(800, 600).fit(BERLIN)
    far = view.zoom(1 / 1000)
    kept = far.bounded(BERLIN)
    assert kept.width == pytest.approx(view.width * 4) and kept.height == pytest.approx(view.height * 4)
    assert view.zoom(1 / 3).bounded(BERLIN).width == pytest.approx(view.width * 3)  # within the limit: unchanged
    assert view.bounded(BERLIN) is view and view.bounded(None) is view


def test_bounded_keeps_the_views_centre_near_everything():
    view = Viewport(800, 600).fit(BERLIN)
    x1, y1 = project(BERLIN.north, BERLIN.west)
    x2, y2 = project(BERLIN.south, BERLIN.east)
    gone = view
    for _ in range(60):
        gone = gone.step(1, 1)
    kept = gone.bounded(BERLIN)
    cx, cy = kept.x + kept.width / 2, kept.y + kept.height / 2
    assert cx == pytest.approx(x2 + 0.4 * kept.width) and cy == pytest.approx(y2 + 0.4 * kept.height)
    assert kept.width == view.width  # a pan is not a zoom
    left = view
    for _ in range(60):
        left = left.step(-1, -1)
    kept = left.bounded(BERLIN)
    assert kept.x + kept.width / 2 == pytest.approx(x1 - 0.4 * kept.width)
    assert kept.y + kept.height / 2 == pytest.approx(y1 - 0.4 * kept.height)
