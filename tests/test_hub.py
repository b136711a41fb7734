"""app/hub.py: each panel hears only what it asked for, one failing panel breaks no other, no leaks."""

import gc
import weakref

import pytest

from app.hub import ALL, Hub
from app.store import Changes

DELIVERY = Changes(deliveries=frozenset({"D-1"}), event_types=frozenset({"delivery_update"}))
STAFF = Changes(staff=frozenset({"S-1"}), event_types=frozenset({"staff_status_update"}))
RESET = Changes(reset=True)


def test_subscribers_get_only_the_kinds_they_asked_for():
    hub = Hub()
    deliveries, staff = [], []
    hub.subscribe("deliveries", deliveries.append)
    hub.subscribe(["staff", "zones"], staff.append)
    hub.publish(DELIVERY)
    hub.publish(STAFF)
    assert deliveries == [DELIVERY] and staff == [STAFF]


def test_subscribing_by_event_type_works():
    hub = Hub()
    seen = []
    hub.subscribe("staff_status_update", seen.append)
    hub.publish(DELIVERY)
    hub.publish(STAFF)
    assert seen == [STAFF]


def test_a_reset_reaches_every_subscriber_and_star_hears_everything():
    hub = Hub()
    zones, everything = [], []
    hub.subscribe("zones", zones.append)
    hub.subscribe(ALL, everything.append)
    hub.publish(DELIVERY)
    hub.publish(RESET)
    assert zones == [RESET] and everything == [DELIVERY, RESET]


def test_empty_changes_are_not_published():
    hub = Hub()
    seen = []
    hub.subscribe(ALL, seen.append)
    hub.publish(Changes())
    assert seen == []


def test_close_is_idempotent_and_stops_delivery():
    hub = Hub()
    seen = []
    sub = hub.subscribe("deliveries", seen.append)
    sub.close()
    sub.close()
    hub.publish(DELIVERY)
    assert seen == [] and hub.live == 0 and sub.closed


def test_with_block_closes_the_subscription():
    hub = Hub()
    with hub.subscribe("deliveries", lambda c: None) as sub:
        assert hub.live == 1
    assert hub.live == 0 and sub.closed


def test_a_closed_subscription_pins_nothing():
    hub = Hub()

    class Panel:
        def on_change(self, changes):
            pass

    panel = Panel()
    sub = hub.subscribe("deliveries", panel.on_change)
    ref = weakref.ref(panel)
    sub.close()
    del panel
    gc.collect()
    assert ref() is None


def test_live_counts_subscriptions_for_leak_checks():
    hub = Hub()
    subs = [hub.subscribe("staff", lambda c: None) for _ in range(5)]
    assert hub.live == 5
    for sub in subs:
        sub.close()
    assert hub.live == 0


def test_a_subscriber_that_raises_does_not_break_the_others():
    errors = []
    hub = Hub(on_error=errors.append)
    seen = []

    def broken(changes):
        raise RuntimeError("boom")

    hub.subscribe("deliveries", broken)
    hub.subscribe("deliveries", seen.append)
    hub.publish(DELIVERY)
    assert seen == [DELIVERY]
    assert len(hub.errors) == 1 and str(hub.errors[0].error) == "boom"
    assert errors[0].callback.endswith("broken") and errors[0].topics == {"deliveries"}


def test_a_failing_error_handler_does_not_break_publishing():
    def bad_handler(error):
        raise ValueError("handler")

    hub = Hub(on_error=bad_handler)
    hub.subscribe("deliveries", lambda c: 1 / 0)
    hub.publish(DELIVERY)
    assert len(hub.errors) == 1


def test_closing_another_subscription_during_a_publish_is_safe():
    hub = Hub()
    seen = []
    later = None

    def closer(changes):
        later.close()

    hub.subscribe("deliveries", closer)
    later = hub.subscribe("deliveries", seen.append)
    hub.publish(DELIVERY)
    assert seen == [] and hub.live == 1


def test_subscribing_during_a_publish_starts_with_the_next_one():
    hub = Hub()
    seen = []
    hub.subscribe("deliveries", lambda c: hub.subscribe("deliveries", seen.append))
    hub.publish(DELIVERY)
    assert seen == []
    hub.publish(DELIVERY)
    assert seen == [DELIVERY]


def test_unknown_topics_are_refused():
    with pytest.raises(ValueError):
        Hub().subscribe("delivery", print)  # a typo must not silently subscribe to nothing
    with pytest.raises(ValueError):
        Hub().subscribe([], print)
