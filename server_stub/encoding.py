"""Content-Encoding for the files the stub serves: which one a request accepts, and the bytes.

Where the encoded bytes come from, first hit wins:

1. a precompressed sibling, ``X.br`` or ``X.gz``, at least as new as ``X``
   (what scripts/build.py writes: a stub serving a build gets its brotli 11);
2. scripts/compress.py's cache (``static/vendor/.cache/encoded/``), by the
   file's sha256: ``./dev setup`` fills it for the vendored runtime once, at
   the best level;
3. encoded now, at the fast level (brotli 5, gzip 6), in a worker thread, and
   kept: big files in that same cache, small ones in memory.

So ``./dev serve`` compresses ``static/vendor`` once into a cache dir, and
anything else on the fly with a cache. A copy that saves less than 5 % is
not used (deflated archives): those go out as they are.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path

from scripts import compress

#: What the stub offers, in its order of preference.
OFFERED = tuple(compress.ENCODINGS)  # ("br", "gzip")
MEMORY_BYTES = 96 * 1024 * 1024


def accepted(header: str | None) -> list[str]:
    """The offered encodings an ``Accept-Encoding`` header allows, best first (q=0 refuses one)."""
    if not header:
        return []
    weights: dict[str, float] = {}
    for item in header.split(","):
        name, _, params = item.strip().partition(";")
        name = name.strip().lower()
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name:
            weights[name] = q
    star = weights.get("*")
    ranked = []
    for index, name in enumerate(OFFERED):
        q = weights.get(name, star if star is not None else 0.0)
        if q > 0:
            ranked.append((-q, index, name))
    return [name for _, _, name in sorted(ranked)]


class Encoder:
    """The encoded bytes of one file version (path, mtime, size), or None when they do not pay.

    Results are kept in memory up to ``MEMORY_BYTES`` (least recently used
    first out): the whole runtime, both encodings, is about 25 MB.
    """

    def __init__(self, cache: Path | None = compress.CACHE):
        self._cache = cache
        self._memory: OrderedDict[tuple, bytes | None] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def body(self, file: Path, encoding: str) -> bytes | None:
        """Blocking (it may read and encode a big file): call it from a worker thread."""
        if not compress.compressible(file.name):
            return None
        stat = file.stat()
        key = (str(file), stat.st_mtime_ns, stat.st_size, encoding)
        with self._lock:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
        out = self._find(file, stat, encoding)
        with self._lock:
            if key not in self._memory:
                self._memory[key] = out
                self._held += len(out or b"")
            while self._held > MEMORY_BYTES and len(self._memory) > 1:
                _, dropped = self._memory.popitem(last=False)
                self._held -= len(dropped or b"")
        return out

    def _find(self, file: Path, stat, encoding: str) -> bytes | None:
        if stat.st_size < compress.MIN_BYTES:
            return None
        sibling = file.with_name(file.name + compress.ENCODINGS[encoding])
        try:
            if sibling.stat().st_mtime_ns >= stat.st_mtime_ns:
                out = sibling.read_bytes()
                return out if compress.worth_it(stat.st_size, len(out)) else None
        except OSError:
            pass
        data = file.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        out = compress.lookup(digest, encoding, self._cache)
        if out is None:
            out = compress.cached(data, encoding, "fast", self._cache, digest)
        return out if compress.worth_it(len(data), len(out)) else None


class ApiGzip:
    """gzip for the API's answers (JSON) when the request accepts it, as production backends do.

    Only under ``/api/``: the app's files have their own encodings above
    (brotli, an ETag each), and the WebSocket is not HTTP. The snapshot of
    10,000 deliveries is 2.5 MB of JSON, ~0.3 MB gzipped.
    """

    def __init__(self, app, prefix: str = "/api/", minimum_size: int = 1024):
        from starlette.middleware.gzip import GZipMiddleware

        self.app, self.prefix = app, prefix
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
