"""Precompressed copies of what ships: brotli and gzip, made once, kept where they pay.

    python scripts/compress.py           # precompress the vendored runtime into its cache (no-op when done)

The build writes ``X.br`` and ``X.gz`` beside every compressible file ``X``
(docs/HOSTING.md: nginx's ``brotli_static``/``gzip_static`` serve them); the
stub serves the same bytes with ``Content-Encoding`` (server_stub/static.py).
A copy is kept only when it saves at least ``MIN_SAVING`` of the file:
archives that are already deflated (``.whl``, ``python_stdlib.zip``) gain
about 2 % and are served as they are.

Brotli at its best quality takes about a minute for the 31 MB snapshot on
this machine, so every copy is cached by the sha256 of what it encodes and
its level under ``static/vendor/.cache/encoded/`` (git-ignored): a build or a
server start after the first one reuses it. ``level="fast"`` (brotli 5,
gzip 6) is for tests and for a file the cache does not hold yet.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
from pathlib import Path

import brotli

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "static" / "vendor" / ".cache" / "encoded"
#: Files worth encoding (text, wasm, the snapshot's heap, stored archives); images and fonts are not.
SUFFIXES = {".html", ".js", ".mjs", ".css", ".json", ".toml", ".py", ".svg", ".txt", ".wasm", ".bin",
            ".zip", ".whl", ".map", ".ico"}
#: Smaller than this, a copy is not worth its file.
MIN_BYTES = 512
#: A copy must save at least this fraction of the file.
MIN_SAVING = 0.05
#: Content-Encoding -> file suffix, in the order a server prefers them.
ENCODINGS = {"br": ".br", "gzip": ".gz"}
LEVELS = {"best": {"br": 11, "gzip": 9}, "fast": {"br": 5, "gzip": 6}}
#: Files at least this big are cached on disk (the small ones are cheaper to encode again).
CACHE_FROM = 64 * 1024


def compressible(name: str) -> bool:
    return Path(name).suffix.lower() in SUFFIXES


def encode(data: bytes, encoding: str, level: str = "best") -> bytes:
    """``data`` in one encoding; deterministic (gzip without a name or a time), so builds reproduce."""
    quality = LEVELS[level][encoding]
    if encoding == "br":
        return brotli.compress(data, quality=quality, lgwin=24)
    if encoding == "gzip":
        return gzip.compress(data, compresslevel=quality, mtime=0)
    raise ValueError(f"unknown encoding {encoding!r}")


def _cache_path(digest: str, encoding: str, level: str, cache: Path) -> Path:
    return cache / f"{digest}.{level}{ENCODINGS[encoding]}"


def cached(data: bytes, encoding: str, level: str = "best", cache: Path | None = CACHE,
           digest: str | None = None) -> bytes:
    """``encode`` through the disk cache (big files only); a cache that cannot be written is skipped."""
    if cache is None or len(data) < CACHE_FROM:
        return encode(data, encoding, level)
    digest = digest or hashlib.sha256(data).hexdigest()
    path = _cache_path(digest, encoding, level, cache)
    try:
        return path.read_bytes()
    except OSError:
        pass
    out = encode(data, encoding, level)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(out)
        tmp.replace(path)
    except OSError:
        pass
    return out


def lookup(data_digest: str, encoding: str, cache: Path | None = CACHE) -> bytes | None:
    """A cached copy of the file with this sha256, best level first, or None."""
    if cache is None:
        return None
    for level in LEVELS:
        try:
            return _cache_path(data_digest, encoding, level, cache).read_bytes()
        except OSError:
            continue
    return None


def worth_it(original: int, encoded: int) -> bool:
    return original >= MIN_BYTES and encoded <= original * (1 - MIN_SAVING)


def variants(name: str, data: bytes, level: str = "best", cache: Path | None = CACHE) -> dict[str, bytes]:
    """The copies of one file worth shipping, by Content-Encoding (none for an image or a zip)."""
    if not compressible(name) or len(data) < MIN_BYTES:
        return {}
    digest = hashlib.sha256(data).hexdigest() if len(data) >= CACHE_FROM else None
    out = {}
    for encoding in ENCODINGS:
        encoded = cached(data, encoding, level, cache, digest)
        if worth_it(len(data), len(encoded)):
            out[encoding] = encoded
    return out


def precompress_vendor(vendor: Path, level: str = "best", cache: Path = CACHE) -> list[str]:
    """Fill the cache for every big compressible file of the vendored runtime; the names encoded."""
    done = []
    for path in sorted(vendor.rglob("*")):
        rel = path.relative_to(vendor)
        if not path.is_file() or any(part.startswith(".") for part in rel.parts) or not compressible(path.name):
            continue
        data = path.read_bytes()
        if len(data) < CACHE_FROM:
            continue
        digest = hashlib.sha256(data).hexdigest()
        for encoding in ENCODINGS:
            cached(data, encoding, level, cache, digest)
        done.append(rel.as_posix())
    return done


def main(argv: list[str] | None = None) -> int:
    names = precompress_vendor(ROOT / "static" / "vendor")
    print(f"compress: {len(names)} runtime files precompressed (brotli 11, gzip 9) in {CACHE.relative_to(ROOT)}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
