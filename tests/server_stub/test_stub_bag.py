"""server_stub/bag.py, and the world's picks and retirement built on it: O(1) per event, the same answers."""

from __future__ import annotations

import random
from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from app.models import FINAL_STATUSES, DeliveryChanges, DeliveryStatus, DeliveryUpdate
from server_stub.bag import Bag
from server_stub.clock import stepping_clock
from server_stub.world import STATUSES, World

START = datetime(2026, 12, 6, 9, 0, tzinfo=timezone.utc)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(0, 12)), max_size=80))
def test_a_bag_holds_exactly_what_was_added_and_not_discarded(ops):
    bag, model = Bag(), set()
    for add, n in ops:
        item = f"D-{n}"
        (bag.add if add else bag.discard)(item)
        (model.add if add else model.discard)(item)
        assert sorted(bag) == sorted(model)
        assert sorted(bag[i] for i in range(len(bag))) == sorted(model)
        assert all((f"D-{k}" in bag) == (f"D-{k}" in model) for k in range(13))


class CountingDict(dict):
    """The world's deliveries, counting lookups by id: a scan would show as thousands."""

    lookups = 0

    def __getitem__(self, key):
        CountingDict.lookups += 1
        return super().__getitem__(key)


def test_picking_a_rare_status_looks_at_one_delivery_not_the_world():
    w = World(deliveries=3000, staff=30, zones=4, seed=3, clock=stepping_clock(START))
    rare = next(s for s in STATUSES if 0 < sum(d.status is s for d in w.deliveries.values()) < 300)
    w.deliveries = CountingDict(w.deliveries)
    for _ in range(50):
        CountingDict.lookups = 0
        d = w.pick((rare,))
        assert d.status is rare
        assert CountingDict.lookups == 1


def test_pick_draws_only_the_statuses_asked_for_and_honours_wanted():
    w = World(deliveries=400, staff=30, zones=4, seed=5, clock=stepping_clock(START))
    asked = (DeliveryStatus.ASSIGNED, DeliveryStatus.IN_TRANSIT)
    drawn = {w.pick(asked).status for _ in range(300)}
    assert drawn == set(asked)
    zone = next(iter(w.zones))
    assert all(w.pick(asked, lambda d: d.zoneId == zone).zoneId == zone for _ in range(50))
    assert w.pick(asked, lambda d: False) is None
    assert w.pick(()) is None


def test_bags_follow_every_change_and_retirement_takes_the_oldest_finished():
    """Two thousand steps and control events on a world at capacity; after each, every
    bag holds exactly the ids of its status, and each retired delivery was the oldest
    finished one (or the oldest of all when none had finished), as the old scan chose."""
    w = World(deliveries=60, staff=12, zones=3, seed=9, clock=stepping_clock(START))
    rng = random.Random(4)
    retired, expected = [], []
    remove = w._remove_delivery

    def watched(delivery_id):
        ids = list(w.deliveries)
        expected.append(next((i for i in ids if w.deliveries[i].status in FINAL_STATUSES), ids[0]))
        retired.append(delivery_id)
        remove(delivery_id)

    w._remove_delivery = watched
    for i in range(2000):
        if i % 7 == 0:  # a control call may reopen a finished delivery: stale heap entries must be skipped
            target = rng.choice(list(w.deliveries))
            status = rng.choice(STATUSES)
            w.apply_event(DeliveryUpdate(deliveryId=target, changes=DeliveryChanges(status=status)))
        else:
            w.step()
        for status in STATUSES:
            assert set(w._by_status[status]) == {d.id for d in w.deliveries.values() if d.status is status}
    assert len(retired) > 50
    assert retired == expected
