"""bench/stub_gc.py: with the stub's freezing, the world leaves the collector's sight, whatever its size."""

from bench.stub_gc import run
from server_stub.heap import COLLECTIONS

N = 15_000
#: What a freeze can leave behind: the objects of at most COLLECTIONS young collections (700 each in 3.11).
RECENT = COLLECTIONS * 700


def test_without_freezing_the_collector_sees_the_world_and_with_it_only_recent_objects():
    without = run(deliveries=N, events=3000, freeze=False)
    with_freezing = run(deliveries=N, events=3000, freeze=True)
    assert without["inSight"] > 3 * N > RECENT  # each delivery: a model, its dict, its field set
    assert with_freezing["inSight"] < RECENT
