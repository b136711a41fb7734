"""server_stub/heap.py: the stub freezes its world once built, again when the collector has run enough, and unhooks when stopped."""

import asyncio
import time

from app.heap import FakeGc, HeapKeeper
from server_stub.heap import keep_frozen


async def until(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.001)


def test_the_world_is_frozen_at_start_and_again_after_enough_collections():
    fake = FakeGc()
    heap = HeapKeeper(gc=fake, every=3)

    async def scenario():
        task = asyncio.create_task(keep_frozen(heap, interval=0.001, collect_first=False))
        await until(lambda: fake.freezes == 1)
        for _ in range(3):
            fake.run_collection()
        await until(lambda: fake.freezes == 2)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())
    assert fake.freezes == 2
    assert fake.callbacks == []  # cancelled: the collector callback is gone


def test_too_few_collections_do_not_freeze_again():
    fake = FakeGc()
    heap = HeapKeeper(gc=fake, every=3)
    checks = []

    async def scenario():
        task = asyncio.create_task(keep_frozen(heap, interval=0.001, collect_first=False))
        await until(lambda: fake.freezes == 1)
        fake.run_collection()
        fake.run_collection()
        original = heap.maybe_freeze

        def counted():
            checks.append(1)
            return original()

        heap.maybe_freeze = counted
        await until(lambda: len(checks) >= 3)  # it looked three times since
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())
    assert fake.freezes == 1

