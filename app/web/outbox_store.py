"""Where the outbox lives between page loads: IndexedDB, through PyScript's ``pyscript.storage``.

    store = OutboxStore()
    await store.open()                 # before the client is made: its entries go into Client(...)
    entries = store.entries(user_id)   # JSON-ready dicts, as SaveOutbox gave them
    store.save(action)                 # a SaveOutbox action: written, then flushed in the background

One IndexedDB database (``@pyscript/dc-outbox``), one JSON text per user under
``app.outbox.storage_key(user_id)``: a user's commands never mix with another's,
and what a user set aside waits there for their return (the core drops entries
older than 24 h when it restores them; ``prune`` drops whole stale users).

If IndexedDB cannot be opened (a private window that refuses it, a quota),
the outbox lives in memory for this page and the page says so once in the
console: commands still go out, they just do not survive a reload.
"""

from __future__ import annotations

import asyncio
import json

from app.outbox import storage_key
from app.web.runtime import open_storage, window

DATABASE = "dc-outbox"


class OutboxStore:
    def __init__(self) -> None:
        self._db: dict = {}  # pyscript.storage.Storage (a dict that writes through), or a plain dict
        self._durable = False
        self._flush: asyncio.Future | None = None

    async def open(self) -> None:
        try:
            self._db = await open_storage(DATABASE)
            self._durable = True
        except Exception as exc:  # no IndexedDB here: keep working, without durability
            window.console.warn(f"outbox: IndexedDB unavailable ({exc}); unsent changes will not survive a reload")
            self._db = {}

    @property
    def durable(self) -> bool:
        return self._durable

    def entries(self, user_id: str) -> list:
        """What was stored for ``user_id`` (the core validates each entry; this only parses)."""
        text = self._db.get(storage_key(user_id))
        if not isinstance(text, str):
            return []
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            window.console.warn(f"outbox: the stored outbox of {user_id} is not JSON; it was set aside")
            return []
        return data if isinstance(data, list) else []

    def save(self, action) -> None:
        """A ``SaveOutbox``: this user's whole outbox, or nothing (an empty tuple deletes it)."""
        key = storage_key(action.user_id)
        if action.entries:
            self._db[key] = json.dumps(list(action.entries), separators=(",", ":"))
        elif key in self._db:
            del self._db[key]
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        # Storage writes go out as they are made; sync() waits until IndexedDB has them. One at a time.
        if not self._durable or (self._flush is not None and not self._flush.done()):
            return
        self._flush = asyncio.ensure_future(self._sync())

    async def _sync(self) -> None:
        try:
            await self._db.sync()
        except Exception as exc:
            window.console.warn(f"outbox: could not write to IndexedDB ({exc})")
