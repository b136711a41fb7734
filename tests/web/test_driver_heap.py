"""The driver freezes the heap once a snapshot is drawn, and again every few collections while changes are drawn."""

import pytest

from app.actions import Render
from app.heap import FakeGc, HeapKeeper
from app.hub import Hub
from app.store import Changes
from app.web import driver as driver_module
from app.web.runtime import js


class ScriptedClient:
    """Each frame text becomes one Render: "reset" a new board, anything else a change to that delivery."""

    def __init__(self):
        self._actions = []

    def start(self):
        pass

    def stop(self):
        pass

    def socket_messages(self, texts):
        for text in texts:
            changes = Changes(reset=True) if text == "reset" else Changes(deliveries=frozenset({text}))
            self._actions.append(Render(changes))

    def actions(self):
        actions, self._actions = self._actions, []
        return actions


@pytest.fixture
def fake_gc(monkeypatch):
    # The fake page has no window/document listeners of its own: the driver's go nowhere.
    monkeypatch.setattr(driver_module.window, "removeEventListener", lambda *args: None, raising=False)
    for name in ("addEventListener", "removeEventListener"):
        monkeypatch.setattr(driver_module.document, name, lambda *args: None, raising=False)
    return FakeGc()


def make_driver(fake_gc, every=2):
    hub = Hub()
    drawn = []
    hub.subscribe("deliveries", drawn.append)
    driver = driver_module.Driver(ScriptedClient(), hub, banner=None, on_sync=lambda action: None,
                                  heap=HeapKeeper(gc=fake_gc, every=every))
    driver.start()
    return driver, drawn


def test_a_drawn_snapshot_is_frozen(fake_gc):
    driver, drawn = make_driver(fake_gc)
    driver.feed_frames(["reset"])
    assert [c.reset for c in drawn] == [True]
    assert fake_gc.freezes == 1


def test_changes_freeze_only_once_the_collector_has_run_enough(fake_gc):
    driver, drawn = make_driver(fake_gc, every=2)
    driver.feed_frames(["D-1"])
    assert fake_gc.freezes == 0
    fake_gc.run_collection()
    driver.feed_frames(["D-2"])
    assert fake_gc.freezes == 0
    fake_gc.run_collection()
    driver.feed_frames(["D-3"])
    assert fake_gc.freezes == 1 and len(drawn) == 3


def test_a_render_outside_a_frame_freezes_when_its_frame_draws(fake_gc):
    driver, drawn = make_driver(fake_gc, every=1)
    driver.feed(lambda client: client.socket_messages(["reset"]))
    assert fake_gc.freezes == 0 and not drawn  # waits for the animation frame
    js.dcBridge.run()
    assert fake_gc.freezes == 1 and drawn[0].reset


def test_stop_unhooks_the_collector_callback(fake_gc):
    driver, _ = make_driver(fake_gc)
    assert len(fake_gc.callbacks) == 1
    driver.stop()
    assert fake_gc.callbacks == []


def test_the_next_driver_after_a_stop_collects_the_old_board_before_freezing_the_new(fake_gc):
    heap = HeapKeeper(gc=fake_gc)
    first = driver_module.Driver(ScriptedClient(), Hub(), banner=None, on_sync=lambda action: None, heap=heap)
    first.start()
    first.feed_frames(["reset"])
    first.stop()
    second = driver_module.Driver(ScriptedClient(), Hub(), banner=None, on_sync=lambda action: None, heap=heap)
    second.start()
    second.feed_frames(["reset"])
    assert fake_gc.full_collections == 1 and fake_gc.freezes == 2


def test_drivers_share_the_pages_heap_keeper_by_default(fake_gc):
    one = driver_module.Driver(ScriptedClient(), Hub(), banner=None, on_sync=lambda action: None)
    two = driver_module.Driver(ScriptedClient(), Hub(), banner=None, on_sync=lambda action: None)
    assert one.heap is two.heap is driver_module.HEAP


def test_a_freeze_due_while_nothing_is_drawn_happens_on_the_drivers_own_timer(fake_gc):
    """Rows built in the background allocate with no frame drawn: the once-a-second look freezes them."""
    driver, drawn = make_driver(fake_gc, every=1)
    timer = driver._heap_timer
    assert timer is not None and not timer.cancelled()
    fake_gc.run_collection()
    driver._check_heap()  # what the timer runs
    assert fake_gc.freezes == 1 and not drawn
    assert driver._heap_timer is not timer  # and it looks again later


def test_stop_cancels_the_heap_timer(fake_gc):
    driver, _ = make_driver(fake_gc)
    timer = driver._heap_timer
    driver.stop()
    assert timer.cancelled() and driver._heap_timer is None
