"""app/map_glyphs.py: markers as plain geometry in world units, the same size on screen at every zoom."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.map_glyphs import DOT_RADIUS, LATE_SCALE, SELECTED_SCALE, decimals, dot_radius, looks, pin_path, scale_of

NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
#: The pin's numbers after its starting point, in pixels: the old glyph's shape (map_canvas.TEMPLATES before).
PIN_PX = [-2, -5, -7, -8, -7, -13, 7, 7, 0, 1, 1, 14, 0, 0, 5, -5, 8, -7, 13, 0, -11.7, 1.3, 1.3, 0, 1, 0, 0,
          -2.6, 1.3, 1.3, 0, 1, 0, 0, 2.6]
FLAGS = {9, 10, 24, 25, 31, 32}  # arc flags: not lengths


def numbers(path):
    return [float(n) for n in NUMBER.findall(path)]


def test_a_pin_starts_at_its_place_and_its_shape_is_in_pixels_times_k():
    path = pin_path(563012.25, 340001.5, k=1.0)
    assert path.startswith("M563012.25,340001.5c")
    assert numbers(path)[2:] == pytest.approx(PIN_PX)
    assert path.count("a") == 3 and path.count("z") == 2  # the outline and the eye, one path


@given(st.floats(min_value=1e-3, max_value=5e3), st.sampled_from([1.0, LATE_SCALE, SELECTED_SCALE]))
def test_at_any_k_a_pin_is_the_same_size_on_screen_to_a_twentieth_of_a_pixel(k, scale):
    got = numbers(pin_path(1000.0, 2000.0, k, scale))[2:]
    for i, (value, px) in enumerate(zip(got, PIN_PX)):
        if i in FLAGS:
            continue
        assert abs(value / (k * scale) - px) <= 0.05 + 1e-9, (i, value, px)


def test_the_painter_gets_the_same_pin_in_pixels_and_the_dot_radius_follows_k():
    painted = looks()
    assert numbers(painted["pin"])[2:] == pytest.approx(PIN_PX) and painted["pin"].startswith("M0,0c")
    x0, y0, x1, y1 = painted["pinBox"]
    assert (x0, x1) == (-7.0, 7.0) and y1 == 0.0 and y0 == pytest.approx(min(PIN_PX[5], -13 - 7))  # tip at 0
    assert (painted["dot"], painted["late"], painted["selected"]) == (DOT_RADIUS, LATE_SCALE, SELECTED_SCALE)
    assert float(dot_radius(0.01)) == pytest.approx(DOT_RADIUS * 0.01)
    assert float(dot_radius(2.0, SELECTED_SCALE)) == pytest.approx(DOT_RADIUS * 2.0 * SELECTED_SCALE)


def test_larger_for_selected_then_late_and_k_must_be_a_positive_number():
    assert (scale_of(), scale_of(late=True), scale_of(late=True, selected=True)) == (1.0, LATE_SCALE, SELECTED_SCALE)
    assert decimals(20.0) == 0 and decimals(0.002) == 4
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            decimals(bad)
