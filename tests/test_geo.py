"""app.geo: distance, bounds and containment, the geometry the map, the nearest-driver order and the stub share."""

import math

from hypothesis import given, strategies as st

from app.geo import Bounds, bounds, contains, distance_m

lat = st.floats(min_value=-80, max_value=80, allow_nan=False)
lon = st.floats(min_value=-170, max_value=170, allow_nan=False)


def test_distance_of_one_degree_of_latitude_is_about_111_km():
    assert 111_000 < distance_m((0.0, 0.0), (1.0, 0.0)) < 111_400


def test_distance_shrinks_with_the_cosine_of_latitude_along_a_parallel():
    at_equator = distance_m((0.0, 0.0), (0.0, 1.0))
    at_sixty = distance_m((60.0, 0.0), (60.0, 1.0))
    assert math.isclose(at_sixty / at_equator, 0.5, rel_tol=0.01)


@given(lat, lon, lat, lon)
def test_distance_is_symmetric_and_never_negative(a1, o1, a2, o2):
    d = distance_m((a1, o1), (a2, o2))
    assert d >= 0
    assert math.isclose(d, distance_m((a2, o2), (a1, o1)), rel_tol=1e-9, abs_tol=1e-6)


@given(lat, lon, lat, lon, lat, lon)
def test_distance_keeps_the_triangle_inequality(a1, o1, a2, o2, a3, o3):
    ab, bc, ac = distance_m((a1, o1), (a2, o2)), distance_m((a2, o2), (a3, o3)), distance_m((a1, o1), (a3, o3))
    assert ac <= ab + bc + 1e-6


L_SHAPE = [[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2], [0, 0]]


def test_contains_follows_a_concave_ring():
    assert contains(L_SHAPE, lat=0.5, lon=1.5)
    assert contains(L_SHAPE, lat=1.5, lon=0.5)
    assert not contains(L_SHAPE, lat=1.5, lon=1.5)  # the notch
    assert not contains(L_SHAPE, lat=-0.1, lon=0.5)


def test_an_empty_or_degenerate_ring_holds_nothing():
    assert not contains([], lat=0, lon=0)
    assert not contains([[0, 0], [1, 1], [0, 0]], lat=0.5, lon=0.5)
    assert bounds([]) is None


@given(st.lists(st.tuples(lon, lat), min_size=1, max_size=30))
def test_bounds_hold_every_point_of_the_ring(points):
    b = bounds([list(p) for p in points])
    assert all(b.holds(la, lo) for lo, la in points)
    assert b.south == min(la for _, la in points) and b.east == max(lo for lo, _ in points)


def test_union_of_bounds_holds_both():
    a, b = Bounds(0, 0, 1, 1), Bounds(2, -3, 4, 0.5)
    u = a.union(b)
    assert u == Bounds(0, -3, 4, 1)
    assert u.holds(3, -2) and u.holds(0.5, 0.5)
