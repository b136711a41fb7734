"""The stub's city: zones tile it, deliveries and staff sit in their zones, movement is plausible."""

from __future__ import annotations

import doctest
import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.geo import contains, distance_m
from app.models import FINAL_STATUSES, Delivery, Snapshot, StaffRole, StaffStatus
from server_stub.city import City
from server_stub.clock import stepping_clock
from server_stub.movement import MAX_SPEED, MIN_SPEED, STILL, Drift, Motion, Travel, advance
from server_stub.settings import MAX_ZONES
from server_stub.world import World

START = datetime(2026, 11, 26, 9, 0, tzinfo=timezone.utc)


def grid(city: City, steps: int = 41):
    """Points over the whole city, off any rounded edge (half a step in from the box)."""
    south, west, north, east = city.box
    for i in range(steps):
        for j in range(steps):
            yield (south + (i + 0.5) / steps * (north - south) + 1.3e-7,
                   west + (j + 0.5) / steps * (east - west) + 1.7e-7)


@pytest.mark.parametrize("zones", [1, 2, 3, 5, 8, 13, 20, 31, MAX_ZONES])
def test_zones_tile_the_city_with_no_gap_and_no_overlap(zones):
    city = City.build(zones, random.Random(zones))
    assert len(city.cells) == zones
    for lat, lon in grid(city):
        inside = [i for i, cell in enumerate(city.cells) if contains(cell.ring, lat=lat, lon=lon)]
        assert len(inside) == 1, (lat, lon, inside)


@settings(max_examples=60, deadline=None)
@given(zones=st.integers(1, MAX_ZONES), seed=st.integers(0, 2**32))
def test_any_count_and_seed_tiles_the_city(zones, seed):
    city = City.build(zones, random.Random(seed))
    for lat, lon in grid(city, steps=17):
        assert sum(contains(cell.ring, lat=lat, lon=lon) for cell in city.cells) == 1


def test_the_city_is_about_ten_by_eight_km_around_berlin():
    south, west, north, east = City.build(8, random.Random(0)).box
    assert 7_900 < distance_m((south, west), (north, west)) < 8_100
    assert 9_900 < distance_m(((south + north) / 2, west), ((south + north) / 2, east)) < 10_100
    assert south < 52.52 < north and west < 13.405 < east


def world(**kw) -> World:
    return World(**{"deliveries": 400, "staff": 40, "zones": 7, "seed": 5, "clock": stepping_clock(START)} | kw)


def test_zone_areas_are_closed_rings_and_named_as_before():
    w = world()
    names = [z.name for z in w.zones.values()]
    assert names[:3] == ["North", "South", "East"]
    for z in w.zones.values():
        assert z.area[0] == z.area[-1] and len(z.area) >= 4


def test_deliveries_have_pickup_and_dropoff_inside_their_zone_and_keep_them():
    w = world()
    for _ in range(1500):
        w.step()
    assert len(w.deliveries) == 400 and any(int(i[2:]) > 1400 for i in w.deliveries)  # new ones arrived
    for d in w.deliveries.values():
        ring = w.zones[d.zoneId].area
        assert contains(ring, lat=d.pickup.lat, lon=d.pickup.lon), d.id
        assert contains(ring, lat=d.dropoff.lat, lon=d.dropoff.lon), d.id
    # The snapshot round-trips through the wire model with the points.
    snap = Snapshot.model_validate_json(w.snapshot().model_dump_json(by_alias=True))
    assert all(d.pickup is not None for d in snap.deliveries)


def test_a_changed_delivery_keeps_its_places():
    w = world()
    d = next(d for d in w.deliveries.values() if d.status.value == "pending")
    from app.models import DeliveryPatch
    w.apply_patch(d.id, DeliveryPatch.model_validate({"status": "cancelled"}))
    after = w.deliveries[d.id]
    assert after.status.value == "cancelled" and (after.pickup, after.dropoff) == (d.pickup, d.dropoff)


def test_the_geography_does_not_change_what_the_simulation_draws():
    """The same seed makes the same deliveries (ids, statuses, carriers) as before the city existed."""
    a, b = world(), world()
    for _ in range(100):
        a.step(), b.step()
    assert [x.wire() for x in a.deliveries.values()] == [x.wire() for x in b.deliveries.values()]
    assert a.zones["Z-1"].area == b.zones["Z-1"].area
    assert world(seed=6).zones["Z-1"].area != a.zones["Z-1"].area


def test_staff_start_in_their_zone_and_dispatchers_at_the_office():
    w = world()
    for s in w.staff.values():
        assert s.location is not None
        if s.role is not StaffRole.DISPATCHER:
            assert contains(w.zones[s.zoneId].area, lat=s.location.lat, lon=s.location.lon)


# --- movement, a pure function --------------------------------------------------


def test_a_mover_never_exceeds_12_m_s_and_reaches_its_target():
    rng = random.Random(3)
    for trial in range(50):
        m = Motion(lat=52.5 + rng.uniform(0, 0.05), lon=13.35 + rng.uniform(0, 0.1), cruise=rng.uniform(3, 15))
        target = Travel(52.5 + rng.uniform(0, 0.05), 13.35 + rng.uniform(0, 0.1))
        for _ in range(10_000):
            seconds = rng.choice([0.1, 1.0, 2.5, 5.0])
            before = m
            m = advance(m, target, seconds, rng)
            moved = distance_m((before.lat, before.lon), (m.lat, m.lon))
            assert moved <= MAX_SPEED * seconds * 1.001 + 1e-6
            assert m.speed == 0 or MIN_SPEED <= m.speed <= MAX_SPEED
            assert 0 <= m.heading <= 360
            if (m.lat, m.lon) == (target.lat, target.lon):
                break
        else:
            pytest.fail(f"trial {trial}: never arrived")
        assert advance(m, target, 5.0, rng).speed == 0  # there: stops


def test_heading_points_at_the_target():
    rng = random.Random(1)
    m = Motion(lat=52.52, lon=13.40)
    assert round(advance(m, Travel(52.52, 13.41), 1, rng).heading) == 90
    assert round(advance(m, Travel(52.51, 13.40), 1, rng).heading) == 180
    assert round(advance(m, Travel(52.52, 13.39), 1, rng).heading) == 270


def test_an_available_person_drifts_but_stays_in_their_zone():
    w = world()
    cell = w.cells["Z-3"]
    rng = random.Random(9)
    lat, lon = cell.place(rng)
    m, moved = Motion(lat=lat, lon=lon), 0.0
    for _ in range(5_000):
        before = m
        m = advance(m, Drift(cell), rng.uniform(0.5, 5), rng)
        moved += distance_m((before.lat, before.lon), (m.lat, m.lon))
        assert contains(cell.ring, lat=m.lat, lon=m.lon)
    assert moved > 1_000  # it did wander


def test_someone_outside_their_zone_heads_back_and_stays():
    w = world()
    cell = w.cells["Z-1"]
    far = w.cells["Z-7"].centre
    rng = random.Random(2)
    m = Motion(lat=far[0], lon=far[1], cruise=9)
    for i in range(2_000):
        m = advance(m, Drift(cell), 5.0, rng)
        if contains(cell.ring, lat=m.lat, lon=m.lon):
            break
    else:
        pytest.fail("never got home")
    for _ in range(500):
        m = advance(m, Drift(cell), 5.0, rng)
        assert contains(cell.ring, lat=m.lat, lon=m.lon)


def test_a_person_on_break_does_not_move():
    m = Motion(lat=52.52, lon=13.40, heading=45, speed=7.0)
    rng = random.Random(0)
    still = advance(m, STILL, 60, rng)
    assert (still.lat, still.lon, still.heading, still.speed) == (52.52, 13.40, 45, 0.0)
    assert advance(still, STILL, 600, rng) == still


@pytest.mark.parametrize("name", ["city", "movement", "tracking", "generate", "world", "behaviour", "settings"])
def test_docstring_examples_hold(name):
    import importlib
    result = doctest.testmod(importlib.import_module(f"server_stub.{name}"), optionflags=doctest.ELLIPSIS)
    assert result.attempted and result.failed == 0
