"""Fetch the browser runtime into static/vendor/, pinned and checksummed.

The page must load nothing from outside its own origin, so PyScript, Pyodide
and the wheels Pyodide needs are vendored here at setup time, never committed.
What to fetch and every sha256 lives in ``vendor.lock.json`` (committed).

    python scripts/vendor.py            # fetch what is missing, verify all (no-op when done)
    python scripts/vendor.py --check    # verify only; exit 1 if anything is missing or wrong
    python scripts/vendor.py --relock   # maintainers: re-resolve the pins, rewrite the lock

npm tarballs are fetched by package name with the ordinary client (``npm pack``),
or, without npm, over HTTP from the registry named in ``NPM_CONFIG_REGISTRY``.
Wheels are fetched with ``pip download`` from whatever index pip is set up for.
Either way the bytes must match the lock's sha256 or nothing is installed.

The archives the page loads (every wheel, and Pyodide's ``python_stdlib.zip``)
are vendored with their entries *stored*, not deflated (``stored_copy``):
the same files, the same names, the same RECORD. A deflated zip gains ~2 %
from the server's brotli, a stored one ~70 %: 1.6 MB less on a first visit
(docs/HOSTING.md has the figures), and nothing to inflate in the browser.
Pyodide checks a wheel's sha256, so its ``pyodide-lock.json`` gets the stored
copy's; the pins in ``vendor.lock.json`` stay the registry's (checked on the
downloads in ``static/vendor/.cache/``).

Each binary wheel's extension modules (``.so``, WebAssembly) are moved out of
its vendored copy into ``.wasm`` files beside it (``dynlibs``), named after the
wheel's pinned sha256 and listed in its ``pyodide-lock.json`` entry under
``dc_dynlibs``: static/js/pyodide-boot.mjs compiles them with
``compileStreaming`` from their own URL, which Chromium's code cache serves on
a warm load (Pyodide compiles the bytes it unpacks from the wheel, which no
cache ever serves), and puts them where the wheel had them. Each byte still
crosses the wire once (``shipped_copy``).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "vendor.lock.json"
VENDOR = ROOT / "static" / "vendor"
CACHE = VENDOR / ".cache"
PYSCRIPT_DIR = VENDOR / "pyscript"
PYODIDE_DIR = VENDOR / "pyodide"
STAMP = VENDOR / ".stamp"

# Files of the pyodide npm package the page needs (the rest is docs and types).
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
#: Part of the stamp: bump when the vendored copies change form while the lock does not.
FORMAT = "stored-archives-1"
#: Pyodide's own archive that is vendored stored (with the wheels).
STORED = ("python_stdlib.zip",)
WHEEL_PLATFORM = ["--python-version", "3.14", "--implementation", "cp", "--abi", "cp314",
                  "--platform", "pyemscripten_2026_0_wasm32"]


class VendorError(Exception):
    """A one-line reason the runtime could not be vendored, and what to do."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_lock() -> dict:
    try:
        return json.loads(LOCK.read_text())
    except (OSError, ValueError) as exc:
        raise VendorError(f"cannot read {LOCK.name}: {exc}; restore it from git") from exc


# --- fetching -------------------------------------------------------------------


def _npm_registry() -> str | None:
    registry = os.environ.get("NPM_CONFIG_REGISTRY") or os.environ.get("npm_config_registry")
    return registry.rstrip("/") if registry else None


def fetch_npm(name: str, version: str, dest: Path) -> Path:
    """Bring ``name@version``'s tarball into ``dest``; return its path."""
    dest.mkdir(parents=True, exist_ok=True)
    registry = _npm_registry()
    if shutil.which("npm") and not os.environ.get("VENDOR_NO_NPM"):
        with tempfile.TemporaryDirectory() as tmp:
            proc = subprocess.run(["npm", "pack", "--silent", "--pack-destination", tmp, f"{name}@{version}"],
                                  capture_output=True, text=True, timeout=300, cwd=tmp)
            made = list(Path(tmp).glob("*.tgz"))
            if proc.returncode != 0 or len(made) != 1:
                last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
                raise VendorError(f"npm could not fetch {name}@{version} ({last}); check the network or "
                                  f"npm's registry setting, then run this again")
            target = dest / f"{name.replace('/', '-').lstrip('@')}-{version}.tgz"
            shutil.move(str(made[0]), target)
            return target
    if registry is None:
        raise VendorError(f"cannot fetch {name}@{version}: npm is not installed and NPM_CONFIG_REGISTRY is "
                          f"not set; install npm (Debian: apt-get install npm) or set NPM_CONFIG_REGISTRY "
                          f"to your npm registry's URL, then run this again")
    bare = name.split("/")[-1]
    url = f"{registry}/{name}/-/{bare}-{version}.tgz"
    target = dest / f"{name.replace('/', '-').lstrip('@')}-{version}.tgz"
    try:
        with urllib.request.urlopen(url, timeout=120) as answer:
            target.write_bytes(answer.read())
    except OSError as exc:
        raise VendorError(f"cannot reach the npm registry for {name}@{version} ({exc}); "
                          f"check the network, then run this again") from exc
    return target


def fetch_wheel(name: str, version: str, binary: bool, dest: Path) -> Path:
    """Bring one wheel into ``dest`` with pip; return its path."""
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
               "--dest", tmp, f"{name}=={version}"]
        if binary:
            cmd[5:5] = WHEEL_PLATFORM
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        made = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or len(made) != 1:
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise VendorError(f"pip could not fetch {name}=={version} ({last}); check the network or "
                              f"pip's index setting, then run this again")
        target = dest / made[0].name
        shutil.move(str(made[0]), target)
        return target


# --- installing -------------------------------------------------------------------


def _verified(path: Path, expected: str, what: str) -> Path:
    actual = sha256_of(path)
    if actual != expected:
        path.unlink(missing_ok=True)
        raise VendorError(f"sha256 mismatch for {what}: expected {expected[:16]}…, got {actual[:16]}…; "
                          f"the download was deleted. If the registry really changed, a maintainer must "
                          f"review and run scripts/vendor.py --relock")
    return path


def _cached(entry: dict, fetch) -> Path:
    path = CACHE / entry["file"]
    if path.exists() and sha256_of(path) == entry["sha256"]:
        return path
    got = fetch()
    if got != path:
        shutil.move(str(got), path)
    return _verified(path, entry["sha256"], entry["file"])


#: What scripts/snapshot.py writes into PYODIDE_DIR: kept when the runtime is vendored again
#: (it checks itself whether they still fit the runtime).
SNAPSHOT_OUTPUTS = ("snapshot.bin", "pycache.zip", "snapshot.json")


def _extract(tarball: Path, wanted, target: Path, keep=()) -> None:
    """Copy members under ``package/`` chosen by ``wanted(relpath)`` into ``target`` (emptied but for ``keep``)."""
    if target.exists():
        for path in target.iterdir():
            if path.name in keep:
                continue
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball, "r:gz") as archive:
        for member in archive.getmembers():
            rel = member.name.removeprefix("package/")
            if not member.isfile() or ".." in rel.split("/") or not wanted(rel):
                continue
            out = target / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(archive.extractfile(member).read())


def stored_copy(data: bytes, drop=None) -> bytes:
    """The zip archive ``data`` with every entry stored (not deflated), less those ``drop(name)``; deterministic."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
        for info in source.infolist():
            if drop is not None and drop(info.filename):
                continue
            entry = zipfile.ZipInfo(info.filename, info.date_time)
            entry.external_attr, entry.create_system = info.external_attr, info.create_system
            copy.writestr(entry, source.read(info), compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


#: The key of a package's entry in pyodide-lock.json that lists its split-out extension modules.
DYNLIBS_KEY = "dc_dynlibs"


def is_dynlib(name: str) -> bool:
    return name.endswith(".so")


def shipped_copy(wheel: dict, data: bytes) -> bytes:
    """The vendored copy of a downloaded wheel: stored, and without its extension modules if binary."""
    return stored_copy(data, drop=is_dynlib if wheel["binary"] else None)


def dynlibs(wheel: dict) -> list[dict]:
    """A binary wheel's extension modules: ``path`` in the wheel, the ``.wasm`` ``file`` beside it, ``sha256``.

    The file name carries the pinned wheel's sha256, so a new pin is a new URL (the
    runtime folder is served as immutable).
    """
    if not wheel["binary"]:
        return []
    with zipfile.ZipFile(CACHE / wheel["file"]) as archive:
        found = sorted(name for name in archive.namelist() if is_dynlib(name))
        return [{"path": name, "file": f"{Path(name).name.split('.')[0]}-{wheel['sha256'][:16]}.wasm",
                 "sha256": hashlib.sha256(archive.read(name)).hexdigest()} for name in found]


def dynlib_files() -> list[str]:
    """The split-out extension modules the vendored pyodide-lock.json lists (file names in PYODIDE_DIR)."""
    packages = json.loads((PYODIDE_DIR / "pyodide-lock.json").read_text())["packages"]
    return sorted(entry["file"] for package in packages.values() for entry in package.get(DYNLIBS_KEY, ()))


def _split_dynlibs(wheel: dict) -> list[dict]:
    """Write the wheel's extension modules beside it (``dynlibs``); what was written."""
    listed = dynlibs(wheel)
    with zipfile.ZipFile(CACHE / wheel["file"]) as archive:
        for entry in listed:
            (PYODIDE_DIR / entry["file"]).write_bytes(archive.read(entry["path"]))
    return listed


def _patch_pyodide_lock(lock: dict) -> None:
    """Point Pyodide's own lock at our wheels, so ``loadPackage`` never leaves the origin.

    The npm pyodide package lists pydantic in its lock but ships no wheels, and
    its pydantic-core build is older than any on PyPI: the entries are replaced
    with the vendored files and their sha256 (Pyodide checks them on load): the
    stored copies', not the registry's.
    """
    path = PYODIDE_DIR / "pyodide-lock.json"
    data = json.loads(path.read_text())
    packages = data["packages"]
    for wheel in lock["wheels"]:
        key = wheel["lock_key"]
        entry = packages.get(key) or {"name": wheel["import_name"], "package_type": "package",
                                      "install_dir": "site", "unvendored_tests": False}
        entry.update(file_name=wheel["file"], sha256=sha256_of(PYODIDE_DIR / wheel["file"]), version=wheel["version"],
                     depends=wheel["depends"], imports=wheel["imports"])
        entry.pop(DYNLIBS_KEY, None)
        if wheel["binary"]:
            entry[DYNLIBS_KEY] = _split_dynlibs(wheel)
        packages[key] = entry
    path.write_text(json.dumps(data))


def vendor() -> str:
    lock = load_lock()
    fingerprint = f"{sha256_of(LOCK)} {FORMAT}"
    if STAMP.exists() and STAMP.read_text().strip() == fingerprint and check(quiet=True):
        return "vendored runtime is up to date (nothing to do)"
    CACHE.mkdir(parents=True, exist_ok=True)
    npm = {entry["name"]: entry for entry in lock["npm"]}
    core = npm["@pyscript/core"]
    pyodide = npm["pyodide"]
    core_tgz = _cached(core, lambda: fetch_npm(core["name"], core["version"], CACHE))
    pyodide_tgz = _cached(pyodide, lambda: fetch_npm(pyodide["name"], pyodide["version"], CACHE))
    _extract(core_tgz, lambda rel: rel.startswith("dist/") and not rel.endswith(".map"), PYSCRIPT_DIR)
    _extract(pyodide_tgz, lambda rel: rel in PYODIDE_FILES, PYODIDE_DIR, keep=SNAPSHOT_OUTPUTS)
    for name in STORED:
        (PYODIDE_DIR / name).write_bytes(stored_copy((PYODIDE_DIR / name).read_bytes()))
    for wheel in lock["wheels"]:
        got = _cached(wheel, lambda w=wheel: fetch_wheel(w["name"], w["version"], w["binary"], CACHE))
        (PYODIDE_DIR / wheel["file"]).write_bytes(shipped_copy(wheel, got.read_bytes()))
    _patch_pyodide_lock(lock)
    STAMP.write_text(fingerprint + "\n")
    return f"vendored PyScript {core['version']}, Pyodide {pyodide['version']} and {len(lock['wheels'])} wheels into {VENDOR.relative_to(ROOT)}/"


def check(quiet: bool = False) -> bool:
    """True when every vendored file is present and every cached archive matches the lock."""
    lock = load_lock()
    problems = []
    for entry in lock["npm"] + lock["wheels"]:
        path = CACHE / entry["file"]
        if not path.exists():
            problems.append(f"missing {path.relative_to(ROOT)}")
        elif sha256_of(path) != entry["sha256"]:
            problems.append(f"sha256 mismatch {path.relative_to(ROOT)}")
    for name in PYODIDE_FILES + tuple(w["file"] for w in lock["wheels"]):
        if not (PYODIDE_DIR / name).exists():
            problems.append(f"missing {(PYODIDE_DIR / name).relative_to(ROOT)}")
    problems += _dynlib_problems(lock) if not problems else []
    if not (PYSCRIPT_DIR / "dist" / "core.js").exists():
        problems.append("missing static/vendor/pyscript/dist/core.js")
    if not quiet:
        for problem in problems:
            print(problem)
    return not problems


def _dynlib_problems(lock: dict) -> list[str]:
    """What is wrong with the split-out extension modules and their listing in pyodide-lock.json."""
    try:
        packages = json.loads((PYODIDE_DIR / "pyodide-lock.json").read_text())["packages"]
    except (OSError, ValueError, KeyError):
        return ["static/vendor/pyodide/pyodide-lock.json is unreadable"]
    problems = []
    for wheel in lock["wheels"]:
        if not wheel["binary"]:
            continue
        with zipfile.ZipFile(PYODIDE_DIR / wheel["file"]) as archive:
            if any(is_dynlib(name) for name in archive.namelist()):
                problems.append(f"{wheel['file']} still holds its extension modules")
        listed = packages.get(wheel["lock_key"], {}).get(DYNLIBS_KEY)
        if not listed:
            problems.append(f"pyodide-lock.json lists no {DYNLIBS_KEY} for {wheel['lock_key']}")
        for entry in listed or ():
            path = PYODIDE_DIR / entry["file"]
            if not path.is_file() or sha256_of(path) != entry["sha256"]:
                problems.append(f"missing or changed {path.relative_to(ROOT)}")
    return problems


def relock(pyscript: str, pyodide: str, pydantic: str) -> None:
    """Resolve pins and write the lock. Run by a maintainer, reviewed, committed."""
    import zipfile

    CACHE.mkdir(parents=True, exist_ok=True)
    npm = []
    for name, version in (("@pyscript/core", pyscript), ("pyodide", pyodide)):
        path = fetch_npm(name, version, CACHE)
        npm.append({"name": name, "version": version, "file": path.name, "sha256": sha256_of(path)})

    def requires(wheel: Path) -> list[str]:
        with zipfile.ZipFile(wheel) as archive:
            meta = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            lines = archive.read(meta).decode().splitlines()
        return [line.split(":", 1)[1].strip() for line in lines if line.startswith("Requires-Dist:")
                and "extra ==" not in line]

    wheels = []
    pyd = fetch_wheel("pydantic", pydantic, False, CACHE)
    pins = {}
    for req in requires(pyd):
        for op in ("==", ">="):
            if op in req:
                name, ver = req.split(op, 1)
                pins[name.strip()] = (op, ver.split(",")[0].strip())
    core_version = pins["pydantic-core"][1]
    specs = [("pydantic", pydantic, False, "pydantic", "pydantic",
              ["typing-extensions", "pydantic-core", "annotated-types", "typing-inspection"], ["pydantic"]),
             ("pydantic-core", core_version, True, "pydantic-core", "pydantic_core", ["typing-extensions"],
              ["pydantic_core"]),
             ("typing-extensions", None, False, "typing-extensions", "typing-extensions", [], ["typing_extensions"]),
             ("annotated-types", None, False, "annotated-types", "annotated-types", [], ["annotated_types"]),
             ("typing-inspection", None, False, "typing-inspection", "typing-inspection", ["typing-extensions"],
              ["typing_inspection"])]
    for name, version, binary, key, import_name, depends, imports in specs:
        if version is None:
            version = _latest(name)
        path = pyd if name == "pydantic" else fetch_wheel(name, version, binary, CACHE)
        wheels.append({"name": name, "version": version, "binary": binary, "file": path.name,
                       "sha256": sha256_of(path), "lock_key": key, "import_name": import_name,
                       "depends": depends, "imports": imports})
    LOCK.write_text(json.dumps({"comment": "written by scripts/vendor.py --relock; review before committing",
                                "npm": npm, "wheels": wheels}, indent=2) + "\n")
    print(f"wrote {LOCK.name}")


def _latest(name: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                        "--dest", tmp, name], check=True, capture_output=True, timeout=300)
        wheel = next(Path(tmp).glob("*.whl")).name
    return wheel.split("-")[1]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify only")
    parser.add_argument("--relock", nargs=3, metavar=("PYSCRIPT", "PYODIDE", "PYDANTIC"),
                        help="re-resolve pins (maintainers)")
    args = parser.parse_args(argv)
    try:
        if args.relock:
            relock(*args.relock)
            return 0
        if args.check:
            ok = check()
            print("vendored runtime OK" if ok else "vendored runtime incomplete: run python scripts/vendor.py")
            return 0 if ok else 1
        print(vendor())
        return 0
    except VendorError as exc:
        print(f"vendor: error: {exc}", file=sys.stderr)
        return 1
    except subprocess.TimeoutExpired as exc:
        print(f"vendor: error: {exc.cmd[0]} timed out; check the network, then run this again", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
