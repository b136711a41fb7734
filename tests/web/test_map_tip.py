"""app/web/map_tip.py: where the map's tooltip goes (inside the map, which clips it)."""

from app.web.map_tip import TIP_EDGE, TIP_GAP, tip_position

FRAME = (100.0, 200.0, 484.0, 415.0)  # a 384 x 215 map at (100, 200) on the page


def test_a_tooltip_sits_centred_above_its_marker():
    left, top, below = tip_position((290, 300, 304, 320), FRAME, 120, 24)
    assert not below
    assert left == 297 - 100 - 60 and top == 300 - 200 - TIP_GAP - 24


def test_a_tooltip_for_a_pin_in_the_top_row_goes_below_it():
    """Above, it would start 12 px outside the map, which clips it."""
    left, top, below = tip_position((290, 204, 304, 224), FRAME, 120, 24)
    assert below and top == 224 - 200 + TIP_GAP


def test_a_tooltip_below_a_marker_at_the_maps_top_edge_stays_inside_the_map():
    """A marker half out of the top: below it, the tooltip would still start above the map."""
    left, top, below = tip_position((290, 150, 304, 170), FRAME, 120, 24)
    assert below and top == 0.0
    assert tip_position((290, 205, 304, 410), FRAME, 120, 24)[1] == 215 - 24  # never below the bottom


def test_a_tooltip_at_either_side_slides_inside_the_map():
    left, _, _ = tip_position((101, 300, 111, 310), FRAME, 200, 24)
    assert left == TIP_EDGE
    left, _, _ = tip_position((474, 300, 484, 310), FRAME, 200, 24)
    assert left == 384 - 200 - TIP_EDGE


def test_a_tooltip_wider_than_the_map_starts_at_its_left_edge():
    assert tip_position((150, 300, 160, 310), FRAME, 400, 24)[0] == 0.0
