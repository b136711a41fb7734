"""HeapKeeper: when the heap is frozen, and that freezing keeps the collector's work off the board."""

import gc

import pytest

from app.heap import FakeGc, HeapKeeper


def test_a_drawn_board_is_frozen_at_once():
    fake = FakeGc()
    heap = HeapKeeper(gc=fake, every=5)
    heap.board_loaded()
    assert fake.freezes == 1 and heap.collections == 0


def test_freezes_again_only_after_every_collections():
    fake = FakeGc()
    heap = HeapKeeper(gc=fake, every=3)
    heap.start()
    done = []
    for _ in range(7):
        fake.run_collection()
        done.append(heap.maybe_freeze())
    assert done == [False, False, True, False, False, True, False]
    assert fake.freezes == 2


def test_collections_before_start_or_after_stop_are_not_counted():
    fake = FakeGc()
    heap = HeapKeeper(gc=fake, every=1)
    fake.run_collection()
    assert not heap.maybe_freeze()
    heap.start()
    heap.start()  # a second start does not count twice
    assert len(fake.callbacks) == 1
    heap.stop()
    fake.run_collection()
    assert fake.callbacks == [] and not heap.maybe_freeze()


def test_a_board_load_restarts_the_count():
    fake = FakeGc()
    heap = HeapKeeper(gc=fake, every=2)
    heap.start()
    fake.run_collection()
    heap.board_loaded()
    fake.run_collection()
    assert not heap.maybe_freeze() and fake.freezes == 1


@pytest.fixture
def real_gc_restored():
    yield
    gc.unfreeze()


def test_frozen_objects_leave_the_collectors_sight(real_gc_restored):
    """What the freeze is for: the board's objects are no longer in any generation the collector scans."""
    board = [{"id": f"D-{i}", "tags": [i]} for i in range(20_000)]
    heap = HeapKeeper()
    heap.board_loaded()
    seen = {id(o) for o in gc.get_objects()}
    assert not any(id(item) in seen for item in board[::1000])
    assert gc.get_freeze_count() >= len(board)


def test_a_frozen_board_holds_no_cycle_the_collector_would_lose(real_gc_restored):
    """Freezing gives up collecting cycles that die later; the board (store and table) has none.

    Load a board, freeze it, stream changes over it with the driver's freezes, drop it:
    after an unfreeze, the collector finds almost nothing that refcounting had not freed."""
    from app.delivery_table import DeliveryTable
    from app.models import DeliveryChanges, DeliveryUpdate, Snapshot
    from app.store import Store
    from tests.web.fakes import delivery

    gc.collect()
    store, table = Store(), DeliveryTable(clock=lambda: 0.0)
    store.load_snapshot(Snapshot(seq=1, deliveries=[delivery(i) for i in range(3000)], staff=[], zones=[],
                                 communications=[]))
    table.reset(store.deliveries.values())
    heap = HeapKeeper(every=1)
    heap.start()
    try:
        heap.board_loaded()
        for seq in range(2, 3002):
            delivery_id = f"D-{seq % 3000}"
            store.apply(DeliveryUpdate(seq=seq, deliveryId=delivery_id,
                                       changes=DeliveryChanges(eta=f"2026-11-26T1{seq % 10}:00:00Z")))
            table.upsert(delivery_id, store.deliveries[delivery_id], live=True)
            heap.maybe_freeze()
    finally:
        heap.stop()
    assert heap.freezes > 1
    del store, table
    gc.unfreeze()
    assert gc.collect() < 100


def test_a_stopped_keeper_unfreezes_and_the_next_board_is_frozen_after_one_full_collection():
    """A sign-out drops a board and panels with cycles: they go back to the collector, collected before the next freeze."""
    fake = FakeGc()
    heap = HeapKeeper(gc=fake)
    heap.start()
    heap.board_loaded()
    heap.stop()
    assert fake.unfrozen and fake.full_collections == 0
    heap.start()
    heap.board_loaded()
    heap.board_loaded()  # a resync later: no second full collection
    assert fake.full_collections == 1 and fake.freezes == 3 and not fake.unfrozen


def test_a_keeper_that_never_froze_leaves_the_collector_alone_when_stopped():
    fake = FakeGc()
    heap = HeapKeeper(gc=fake)
    heap.start()
    heap.stop()
    assert not fake.unfrozen
    heap.board_loaded()
    assert fake.full_collections == 0
