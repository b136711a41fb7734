"""app/web/outbox_store.py: a user's outbox as one JSON text in IndexedDB, or in memory when IndexedDB says no."""

import asyncio
from types import SimpleNamespace

import pytest

from app.outbox import SaveOutbox, storage_key
from app.web import outbox_store
from app.web.outbox_store import OutboxStore
from app.web.runtime import window


class Storage(dict):
    """pyscript.storage's shape: a dict that writes through, and ``sync()`` to wait for IndexedDB."""

    def __init__(self, fail: bool = False):
        super().__init__()
        self.syncs = 0
        self.fail = fail

    async def sync(self):
        self.syncs += 1
        if self.fail:
            raise RuntimeError("quota")


@pytest.fixture
def warnings(monkeypatch):
    seen = []
    monkeypatch.setattr(window, "console", SimpleNamespace(warn=seen.append, log=print), raising=False)
    return seen


def opened(monkeypatch, storage=None, refuse: bool = False) -> OutboxStore:
    async def open_storage(name):
        assert name == outbox_store.DATABASE
        if refuse:
            raise RuntimeError("no IndexedDB in a private window")
        return storage

    monkeypatch.setattr(outbox_store, "open_storage", open_storage)
    store = OutboxStore()
    run(store.open())
    return store


def run(coroutine):
    return asyncio.get_event_loop().run_until_complete(coroutine)


def settle():
    loop = asyncio.get_event_loop()
    for _ in range(3):  # the background flush is one task: bounded turns
        loop.run_until_complete(asyncio.sleep(0))


def test_a_users_entries_are_saved_as_one_json_text_and_read_back(monkeypatch, warnings):
    storage = Storage()
    store = opened(monkeypatch, storage)
    assert store.durable and store.entries("ann") == []
    store.save(SaveOutbox("ann", ({"id": "k1"}, {"id": "k2"})))
    settle()
    assert storage[storage_key("ann")] == '[{"id":"k1"},{"id":"k2"}]' and storage.syncs == 1
    assert store.entries("ann") == [{"id": "k1"}, {"id": "k2"}] and store.entries("bob") == []


def test_an_empty_outbox_deletes_the_users_text(monkeypatch, warnings):
    storage = Storage()
    store = opened(monkeypatch, storage)
    store.save(SaveOutbox("ann", ({"id": "k1"},)))
    store.save(SaveOutbox("ann", ()))
    settle()
    assert storage_key("ann") not in storage


def test_a_stored_text_that_is_not_json_is_set_aside_with_a_warning(monkeypatch, warnings):
    storage = Storage()
    storage[storage_key("ann")] = "{broken"
    storage[storage_key("bob")] = '{"not": "a list"}'
    store = opened(monkeypatch, storage)
    assert store.entries("ann") == [] and store.entries("bob") == []
    assert any("not JSON" in line for line in warnings)


def test_without_indexeddb_the_outbox_lives_in_memory_and_says_so_once(monkeypatch, warnings):
    store = opened(monkeypatch, refuse=True)
    assert not store.durable and len(warnings) == 1 and "will not survive a reload" in warnings[0]
    store.save(SaveOutbox("ann", ({"id": "k1"},)))
    settle()
    assert store.entries("ann") == [{"id": "k1"}]


def test_a_failed_write_is_a_warning_not_an_error(monkeypatch, warnings):
    store = opened(monkeypatch, Storage(fail=True))
    store.save(SaveOutbox("ann", ({"id": "k1"},)))
    settle()
    assert any("could not write" in line for line in warnings)
