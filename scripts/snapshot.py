"""Make what lets the page start Pyodide fast: a memory snapshot and precompiled wheels.

    python scripts/snapshot.py              # make them if missing or out of date (no-op otherwise)
    python scripts/snapshot.py --optional   # the same, but only a note if it cannot (no Chromium)
    python scripts/snapshot.py --check      # exit 1 unless they are there and up to date

Two costs of the page's load are the same on every visit, so they are paid
once here, in the browser they are for (headless Chromium through Playwright,
from the vendored runtime only), and written next to the runtime in
static/vendor/pyodide/ (git-ignored):

- ``snapshot.bin`` (~31 MB, ~7 MB gzipped): the wasm heap of a Pyodide that
  has started CPython and imported the pure-Python modules the app needs
  first. Restoring it turns the 3-4.5 s start into a copy. Pyodide cannot
  snapshot a heap with a binary extension in it, so pydantic (pydantic_core
  is one) is still loaded after the restore.
- ``pycache.zip``: the vendored pure-Python wheels compiled to bytecode for
  this CPython (unchecked-hash .pyc files, valid as long as the wheels are:
  this script remakes them when vendor.lock.json changes). Compiling
  pydantic's source was half the time of the app's imports.

``snapshot.json`` says what they were made from. static/js/pyodide-boot.mjs
uses them when they are there and starts Pyodide the ordinary way when not.

Last, the runtime (these two included) is precompressed once at brotli's
best level into scripts/compress.py's cache, for the stub and the build
(a no-op when it is there already).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts import compress, vendor  # noqa: E402

PYODIDE_DIR = vendor.PYODIDE_DIR
OUTPUTS = ("snapshot.bin", "pycache.zip")
STAMP = PYODIDE_DIR / "snapshot.json"
#: Bump to remake every snapshot (a change in how they are made that the texts below do not show).
FORMAT = 3  # 2: python_stdlib.zip is vendored stored (its zipimport index is in the heap); 3: free memory zeroed
#: Pure-Python packages of the lock imported before the snapshot is taken.
IMPORTED = ("typing-extensions", "annotated-types", "typing-inspection")
#: Run inside Pyodide before the snapshot: the modules the app and pydantic import that
#: CPython's start has not. Nothing here may load a binary extension.
WARM_UP = """
import glob, site, zipfile
for wheel in glob.glob("/tmp/import/*.whl"):
    zipfile.ZipFile(wheel).extractall(site.getsitepackages()[0])
import asyncio, bisect, collections, dataclasses, datetime, enum, functools, itertools, json
import re, time, typing, urllib.parse, uuid
import decimal, fractions, hmac, numbers, secrets, sysconfig, zoneinfo
import typing_extensions, annotated_types, typing_inspection.introspection
"""
#: Run after the snapshot: every pure-Python wheel of the lock compiled into pycache.zip,
#: paths relative to site-packages.
COMPILE = """
import compileall, glob, os, py_compile, zipfile
root = "/tmp/compiled"
for wheel in glob.glob("/tmp/compile/*.whl"):
    zipfile.ZipFile(wheel).extractall(root)
compileall.compile_dir(root, quiet=1, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
with zipfile.ZipFile("/tmp/pycache.zip", "w", zipfile.ZIP_STORED) as out:
    for path in sorted(glob.glob(root + "/**/__pycache__/*.pyc", recursive=True)):
        out.write(path, os.path.relpath(path, root))
"""
TIMEOUT_S = 180

PAGE = """<!doctype html><meta charset="utf-8"><title>snapshot</title>
<script type="module">
import { loadPyodide } from "./pyodide.mjs";
async function put(pyodide, files, dir) {
  pyodide.FS.mkdirTree(dir);
  for (const file of files) {
    const bytes = new Uint8Array(await (await fetch("./" + file)).arrayBuffer());
    pyodide.FS.writeFile(`${dir}/${file}`, bytes);
  }
}
// Zero the allocator's free memory before the heap is saved: freed blocks keep what they
// held (compiled modules, read archives), which brotli must then carry. Take every free
// block that fits without growing the heap (a request is made only while the space above
// the program break could serve it whole), from 1 MB down to 64 bytes, fill them with
// zeros, then give them all back: the heap's layout and size do not change.
function zeroFree(module) {
  const size = () => module.HEAPU8.buffer.byteLength;
  const before = size();
  const room = () => before - module._sbrk(0);
  const held = [];
  let zeroed = 0;
  for (let chunk = 1 << 20; chunk >= 64; chunk >>= 1) {
    for (let i = 0; i < 200000 && room() > chunk + (1 << 20); i++) {
      const ptr = module._malloc(chunk);
      if (!ptr || size() !== before) {
        if (ptr) module._free(ptr);
        break;
      }
      module.HEAPU8.fill(0, ptr, ptr + chunk);
      held.push(ptr);
      zeroed += chunk;
    }
  }
  for (const ptr of held) module._free(ptr);
  return { zeroed, grew: size() !== before };
}
try {
  const pyodide = await loadPyodide({ _makeSnapshot: true });
  // Unpacked by hand: loadPackage leaves JS state behind that a snapshot cannot hold.
  await put(pyodide, %(imported)s, "/tmp/import");
  pyodide.runPython(%(warm_up)s);
  pyodide.runPython("import gc; gc.collect()");
  const zeroing = zeroFree(pyodide._module);
  if (zeroing.grew) throw new Error("zeroing the free memory grew the heap");
  const snapshot = pyodide.makeMemorySnapshot();
  await put(pyodide, %(compiled)s, "/tmp/compile");
  pyodide.runPython(%(compile)s);
  const posted = await Promise.all([
    fetch("./snapshot.bin", { method: "POST", body: snapshot }),
    fetch("./pycache.zip", { method: "POST", body: pyodide.FS.readFile("/tmp/pycache.zip") }),
  ]);
  document.title = posted.every((answer) => answer.ok) ? "done" : "error: a POST failed";
} catch (error) {
  document.title = "error: " + error;
}
</script>
"""


def wheels(names=None) -> list[str]:
    """The vendored pure-Python wheel files, of ``names`` (project names) or all of them."""
    lock = vendor.load_lock()
    wanted = None if names is None else {name.replace("-", "_") for name in names}
    return sorted(wheel["file"] for wheel in lock["wheels"] if not wheel["binary"]
                  and (wanted is None or wheel["file"].split("-")[0] in wanted))


def key() -> str:
    """What the outputs depend on: the pinned runtime and what runs inside it."""
    parts = [f"format {FORMAT} {vendor.FORMAT}", WARM_UP, COMPILE, " ".join(IMPORTED), json.dumps(vendor.load_lock(), sort_keys=True)]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def up_to_date() -> bool:
    try:
        stamp = json.loads(STAMP.read_text())
    except (OSError, ValueError):
        return False
    if stamp.get("key") != key():
        return False
    for name in OUTPUTS:
        path, want = PYODIDE_DIR / name, stamp.get("files", {}).get(name, {})
        if not path.is_file() or path.stat().st_size != want.get("bytes") or vendor.sha256_of(path) != want.get("sha256"):
            return False
    return True


class _Handler(SimpleHTTPRequestHandler):
    """The vendored runtime (GET), the page above, and a POST for each output."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".mjs": "text/javascript",
                      ".wasm": "application/wasm", ".whl": "application/zip"}
    received: dict

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path.split("?")[0] == "/snapshot.html":
            body = PAGE % {"imported": json.dumps(wheels(IMPORTED)), "warm_up": json.dumps(WARM_UP),
                           "compiled": json.dumps(wheels()), "compile": json.dumps(COMPILE)}
            self._answer(200, body.encode(), "text/html")
            return
        super().do_GET()

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", "0"))
        name = self.path.lstrip("/")
        if name not in OUTPUTS or not 0 < length < 1 << 30:
            self._answer(400, b"no", "text/plain")
            return
        self.received[name] = self.rfile.read(length)
        self._answer(200, b"ok", "text/plain")

    def _answer(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def make() -> dict[str, bytes]:
    """Run the page in headless Chromium; each output's bytes."""
    from playwright.sync_api import sync_playwright

    from tests.e2e.harness import CHROMIUM_ARGS, chromium_path

    received: dict[str, bytes] = {}
    handler = partial(type("Handler", (_Handler,), {"received": received}), directory=str(PYODIDE_DIR))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{server.server_port}/snapshot.html")
                page.wait_for_function("() => document.title === 'done' || document.title.startsWith('error')",
                                       timeout=TIMEOUT_S * 1000, polling=200)
                title = page.title()
            finally:
                browser.close()
    finally:
        server.shutdown()
        server.server_close()
    if title != "done" or set(received) != set(OUTPUTS):
        raise SnapshotError(f"the browser could not make them ({title})")
    return received


def write(outputs: dict[str, bytes]) -> None:
    files = {}
    for name, data in outputs.items():
        tmp = PYODIDE_DIR / f"{name}.tmp"
        tmp.write_bytes(data)
        tmp.replace(PYODIDE_DIR / name)
        files[name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    STAMP.write_text(json.dumps({"key": key(), "files": files, "imported": IMPORTED,
                                 "warmUp": WARM_UP.strip().splitlines()}, indent=1) + "\n")


class SnapshotError(Exception):
    pass


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 unless the outputs are there and up to date")
    parser.add_argument("--optional", action="store_true", help="if they cannot be made, say so and exit 0")
    args = parser.parse_args(argv)
    if args.check:
        ok = up_to_date()
        print("snapshot: up to date" if ok else "snapshot: missing or out of date: run python scripts/snapshot.py")
        return 0 if ok else 1
    if up_to_date():
        return precompressed()
    if not vendor.check(quiet=True):
        print("snapshot: the runtime is not vendored yet: run python scripts/vendor.py", file=sys.stderr)
        return 1
    for name in (*OUTPUTS, STAMP.name):
        (PYODIDE_DIR / name).unlink(missing_ok=True)
    try:
        outputs = make()
    except Exception as exc:  # no browser, Playwright or the runtime: one line, then stop
        print(f"snapshot: could not make it: {exc}".splitlines()[0], file=sys.stderr)
        if args.optional:
            print("snapshot: the page will start Pyodide without it (2-3 s slower); "
                  "./dev test installs Chromium and makes it", file=sys.stderr)
            return 0
        return 1
    write(outputs)
    sizes = ", ".join(f"{name} {len(data) / 1e6:.1f} MB" for name, data in outputs.items())
    print(f"snapshot: made {sizes} in static/vendor/pyodide/", file=sys.stderr)
    return precompressed()


def precompressed() -> int:
    """Fill scripts/compress.py's cache for the runtime (minutes the first time, then a no-op)."""
    try:
        compress.precompress_vendor(vendor.VENDOR)
    except OSError as exc:
        print(f"snapshot: could not precompress the runtime ({exc}); the stub compresses it on the fly",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
