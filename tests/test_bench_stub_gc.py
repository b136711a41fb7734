"""bench/stub_gc.py: with the stub's freezing, the stream makes no full collection of the world."""

from bench.stub_gc import run


def test_without_freezing_full_collections_walk_the_world_and_with_it_none_happen():
    without = run(deliveries=2000, events=15_000, freeze=False)
    assert without["fullCollections"] and min(n for _, n in without["fullCollections"]) > 2000
    with_freezing = run(deliveries=2000, events=15_000, freeze=True)
    assert with_freezing["freezes"] >= 2 and with_freezing["fullCollections"] == []
