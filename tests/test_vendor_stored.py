"""scripts/vendor.py's stored archives: the same files, brotli can shrink them, Pyodide's lock agrees."""

from __future__ import annotations

import hashlib
import io
import json
import re
import tomllib
import zipfile

import pytest

from scripts import compress, vendor

needs_runtime = pytest.mark.skipif(not (vendor.PYODIDE_DIR / "pyodide-lock.json").is_file(),
                                   reason="static/vendor/ is not there: run python scripts/vendor.py")


def deflated_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        deflate = {"compress_type": zipfile.ZIP_DEFLATED}
        archive.writestr(zipfile.ZipInfo("pkg/__init__.py", (2024, 1, 2, 3, 4, 6)), "x = 1\n" * 2000, **deflate)
        info = zipfile.ZipInfo("pkg/tool.sh", (2024, 1, 2, 3, 4, 6))
        info.external_attr = 0o755 << 16
        archive.writestr(info, "#!/bin/sh\necho deliveries\n" * 300, **deflate)
        archive.writestr(zipfile.ZipInfo("pkg-1.0.dist-info/RECORD"), "pkg/__init__.py,sha256=abc,12000\n", **deflate)
    return out.getvalue()


def test_a_stored_copy_holds_the_same_entries_uncompressed():
    source = deflated_zip()
    copy = vendor.stored_copy(source)
    with zipfile.ZipFile(io.BytesIO(source)) as a, zipfile.ZipFile(io.BytesIO(copy)) as b:
        assert [i.filename for i in a.infolist()] == [i.filename for i in b.infolist()]
        for old, new in zip(a.infolist(), b.infolist()):
            assert a.read(old) == b.read(new)
            assert (old.compress_type, new.compress_type) == (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED)
            assert (old.date_time, old.external_attr) == (new.date_time, new.external_attr)
    assert vendor.stored_copy(source) == copy  # deterministic: the build can check it
    # The point: the server's brotli now has something to do.
    assert len(compress.encode(copy, "br", "fast")) < len(compress.encode(source, "br", "fast"))


@needs_runtime
def test_the_vendored_wheels_are_stored_copies_and_pyodides_lock_has_their_sha256():
    lock = vendor.load_lock()
    pyodide_lock = json.loads((vendor.PYODIDE_DIR / "pyodide-lock.json").read_text())["packages"]
    for wheel in lock["wheels"]:
        path = vendor.PYODIDE_DIR / wheel["file"]
        with zipfile.ZipFile(path) as archive:
            assert {i.compress_type for i in archive.infolist()} == {zipfile.ZIP_STORED}, wheel["file"]
        assert pyodide_lock[wheel["lock_key"]]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        download = vendor.CACHE / wheel["file"]
        assert vendor.sha256_of(download) == wheel["sha256"]  # the pin is still the registry's file
        assert path.read_bytes() == vendor.shipped_copy(wheel, download.read_bytes())
    with zipfile.ZipFile(vendor.PYODIDE_DIR / "python_stdlib.zip") as stdlib:
        assert {i.compress_type for i in stdlib.infolist()} == {zipfile.ZIP_STORED}


def test_the_loader_warms_exactly_the_packages_pyscript_asks_for():
    toml = tomllib.loads((vendor.ROOT / "pyscript.toml").read_text())
    loader = (vendor.ROOT / "static/js/pyodide-boot.mjs").read_text()
    listed = re.search(r"export const PACKAGES = (\[[^\]]*\]);", loader)
    assert listed and json.loads(listed[1]) == toml["packages"]


@needs_runtime
def test_each_binary_wheels_extension_is_split_out_named_by_the_pin_and_listed_in_pyodides_lock():
    lock = vendor.load_lock()
    pyodide_lock = json.loads((vendor.PYODIDE_DIR / "pyodide-lock.json").read_text())["packages"]
    binary = [wheel for wheel in lock["wheels"] if wheel["binary"]]
    assert binary
    for wheel in binary:
        listed = pyodide_lock[wheel["lock_key"]][vendor.DYNLIBS_KEY]
        assert listed == vendor.dynlibs(wheel) and listed
        with zipfile.ZipFile(vendor.CACHE / wheel["file"]) as archive:
            for entry in listed:
                assert wheel["sha256"][:16] in entry["file"] and entry["file"].endswith(".wasm")
                data = (vendor.PYODIDE_DIR / entry["file"]).read_bytes()
                assert data == archive.read(entry["path"]) and data[:4] == b"\0asm"
                assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        with zipfile.ZipFile(vendor.PYODIDE_DIR / wheel["file"]) as shipped:  # each byte crosses the wire once
            names = shipped.namelist()
            assert not any(vendor.is_dynlib(name) for name in names) and any(n.endswith(".py") for n in names)
    assert all(vendor.DYNLIBS_KEY not in pyodide_lock[w["lock_key"]] for w in lock["wheels"] if not w["binary"])
    assert vendor.check(quiet=True)
