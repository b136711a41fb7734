"""Build the app into one folder of static files that any web server can host.

    .venv/bin/python scripts/build.py              # -> dist/
    .venv/bin/python scripts/build.py --out /srv/dispatch

The folder holds what the page needs and nothing else (no tests, no server
code, no source maps), laid out for caching (docs/HOSTING.md):

    index.html                    the page (revalidate: no-cache)
    static/config.json            the host's endpoints (edit after the build; no-cache)
    assets/<hash>/                pyscript.toml, app/**/*.py, static/ CSS, JS, favicon
    runtime/<hash>/               the vendored PyScript and Pyodide (9.6 MB of wasm)
    BUILD-INFO.json               every file with its sha256

``assets/<hash>`` is named by the content of what it holds, ``runtime/<hash>``
by the runtime's (which changes only with vendor.lock.json), so both can be
cached forever, and a redeploy of app code does not make browsers download
the runtime again. index.html's references, pyscript.toml's interpreter and
JS imports into the runtime are rewritten to the new paths; paths in
pyscript.toml stay relative to the file itself, and the app still fetches
``static/config.json`` relative to the page.

An existing output folder is replaced only if it is a previous build (it has
a BUILD-INFO.json) or empty; the new build is written beside it and moved into
place at the end, so a failed build leaves the old one untouched.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import posixpath
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts import pyscript_files, vendor  # noqa: E402

STATIC = ROOT / "static"
VENDOR = STATIC / "vendor"
CONFIG_JSON = "static/config.json"
MANIFEST = "BUILD-INFO.json"
#: What static/ may contribute besides config.json and the runtime (anything else is left out).
STATIC_SUFFIXES = {".css", ".js", ".mjs", ".svg", ".png", ".ico", ".webp", ".woff2"}
#: Never in a build, whatever the directory they sit in.
FORBIDDEN_SUFFIXES = {".map", ".pyc", ".tgz"}
HASH_CHARS = 12

HTML_REF = re.compile(r"""(?P<attr>\b(?:src|href|config))=(?P<q>["'])(?P<url>[^"']*)(?P=q)""")
JS_IMPORT = re.compile(r"""(?P<head>\b(?:import|from)\s*\(?\s*)(?P<q>["'])(?P<url>[^"']+)(?P=q)""")
CSS_URL = re.compile(r"""(?P<head>url\(\s*|@import\s+)(?P<q>["']?)(?P<url>[^"')\s]+)(?P=q)""")
INTERPRETER = re.compile(r'^interpreter\s*=\s*"(?P<url>[^"]+)"\s*$', re.MULTILINE)


class BuildError(Exception):
    """A one-line reason the build stopped, and what to do."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree_hash(files: dict[str, bytes]) -> str:
    """A short name for a set of files: the hash of their paths and contents."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(f"{path}\0{sha256_bytes(files[path])}\n".encode())
    return digest.hexdigest()[:HASH_CHARS]


def is_external(url: str) -> bool:
    """Absolute, protocol-relative, root-relative, fragment or data URLs: left alone."""
    return (not url or url.startswith(("#", "/", "data:", "mailto:", "javascript:"))
            or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url) is not None)


# --- what goes in -----------------------------------------------------------------------------


def runtime_files() -> dict[str, bytes]:
    """The vendored runtime, keyed by its path under static/vendor/; BuildError if incomplete."""
    lock = vendor.load_lock()
    wanted = [f"pyodide/{name}" for name in vendor.PYODIDE_FILES]
    wanted += [f"pyodide/{wheel['file']}" for wheel in lock["wheels"]]
    missing = [name for name in wanted if not (VENDOR / name).is_file()]
    dist = VENDOR / "pyscript" / "dist"
    if not (dist / "core.js").is_file():
        missing.append("pyscript/dist/core.js")
    if missing:
        raise BuildError(f"the browser runtime is missing from static/vendor/ ({', '.join(missing[:3])}"
                         f"{', …' if len(missing) > 3 else ''}): run python scripts/vendor.py")
    files = {name: (VENDOR / name).read_bytes() for name in wanted}
    for wheel in lock["wheels"]:
        if sha256_bytes(files[f"pyodide/{wheel['file']}"]) != wheel["sha256"]:
            raise BuildError(f"static/vendor/pyodide/{wheel['file']} does not match vendor.lock.json: "
                             f"run python scripts/vendor.py")
    for path in sorted(dist.iterdir()):
        if path.is_file() and path.suffix in (".js", ".css"):
            files[f"pyscript/dist/{path.name}"] = path.read_bytes()
    return files


def app_sources() -> dict[str, bytes]:
    """Every module under app/ (the same list pyscript.toml's [files] must hold)."""
    return {path: (ROOT / path).read_bytes() for path in pyscript_files.app_files()}


def static_sources() -> tuple[dict[str, bytes], list[str]]:
    """static/ CSS, JS and images (not the runtime, not config.json, no dotfiles); and what was left out."""
    files, skipped = {}, []
    for path in sorted(STATIC.rglob("*")):
        rel = path.relative_to(ROOT).as_posix()
        parts = path.relative_to(STATIC).parts
        if not path.is_file() or parts[0] == "vendor" or rel == CONFIG_JSON:
            continue
        if any(part.startswith(".") for part in parts) or path.suffix not in STATIC_SUFFIXES:
            skipped.append(rel)
            continue
        files[rel] = path.read_bytes()
    return files, skipped


# --- rewriting references ------------------------------------------------------------------------


def _resolve(base: str, url: str) -> str:
    """``url`` relative to the file at ``base`` (both repository paths), normalized."""
    clean = url.split("#", 1)[0].split("?", 1)[0]
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), clean))


def _relative(from_file: str, to_file: str) -> str:
    rel = posixpath.relpath(to_file, posixpath.dirname(from_file) or ".")
    return rel if rel.startswith("../") else "./" + rel


class Layout:
    """Where a source path lands in the build."""

    def __init__(self, assets: str, runtime: str):
        self.assets, self.runtime = assets, runtime

    def place(self, source: str) -> str:
        if source in ("index.html", CONFIG_JSON):
            return source
        if source.startswith("static/vendor/"):
            return f"{self.runtime}/{source.removeprefix('static/vendor/')}"
        return f"{self.assets}/{source}"


def rewrite_runtime_refs(source: str, text: str, pattern: re.Pattern, runtime: str) -> str:
    """Point relative references from an asset into static/vendor/ at runtime/<hash>/.

    Only references into the runtime move: assets keep their layout relative
    to each other, so ``./bridge.mjs`` or ``../css/x.css`` need no change.
    """
    placed = Layout("assets/x", runtime).place(source)

    def swap(match: re.Match) -> str:
        url = match["url"]
        if is_external(url):
            return match[0]
        target = _resolve(source, url)
        if not target.startswith("static/vendor/"):
            return match[0]
        new = _relative(placed, Layout("assets/x", runtime).place(target))
        return match[0].replace(f"{match['q']}{url}{match['q']}", f"{match['q']}{new}{match['q']}", 1)

    return pattern.sub(swap, text)


def build_pyscript_toml(runtime: str, assets_dir: str) -> bytes:
    """pyscript.toml for ``assets/<hash>/pyscript.toml``: the interpreter in runtime/, [files] regenerated."""
    text = (ROOT / "pyscript.toml").read_text()
    head = text.split(pyscript_files.MARKER)[0]
    match = INTERPRETER.search(head)
    if match is None:
        raise BuildError('pyscript.toml has no interpreter = "..." line')
    source = _resolve("pyscript.toml", match["url"])
    if not source.startswith("static/vendor/"):
        raise BuildError(f"pyscript.toml's interpreter {match['url']!r} is not in static/vendor/")
    here = f"{assets_dir}/pyscript.toml"
    new = _relative(here, Layout(assets_dir, runtime).place(source))
    head = head[:match.start("url")] + new + head[match.end("url"):]
    return (head + pyscript_files.files_table()).encode()


def build_index(layout: Layout, available: set[str]) -> bytes:
    """index.html with every relative reference pointed at its place in the build."""
    text = (ROOT / "index.html").read_text()
    unknown = []

    def swap(match: re.Match) -> str:
        url = match["url"]
        if is_external(url):
            return match[0]
        source = _resolve("index.html", url)
        placed = layout.place(source)
        if placed not in available:
            unknown.append(url)
            return match[0]
        suffix = url[len(url.split("#", 1)[0].split("?", 1)[0]):]
        return f"{match['attr']}={match['q']}{placed}{suffix}{match['q']}"

    out = HTML_REF.sub(swap, text)
    if unknown:
        raise BuildError(f"index.html refers to files the build does not have: {', '.join(sorted(set(unknown)))}")
    return out.encode()


# --- the build ---------------------------------------------------------------------------------


def collect() -> dict[str, bytes]:
    """Every output file by its path in the build (BUILD-INFO.json aside)."""
    runtime_src = runtime_files()
    runtime = f"runtime/{tree_hash(runtime_src)}"
    statics, _ = static_sources()
    assets_src: dict[str, bytes] = {}
    for source, data in {**app_sources(), **statics}.items():
        if source.endswith((".js", ".mjs")):
            data = rewrite_runtime_refs(source, data.decode(), JS_IMPORT, runtime).encode()
        elif source.endswith(".css"):
            data = rewrite_runtime_refs(source, data.decode(), CSS_URL, runtime).encode()
        assets_src[source] = data
    # The toml names the runtime, so the assets' hash changes with it; its own
    # interpreter path depends on the assets' name only through the depth, which is fixed.
    assets_src["pyscript.toml"] = build_pyscript_toml(runtime, "assets/x")
    assets = f"assets/{tree_hash(assets_src)}"
    layout = Layout(assets, runtime)
    out = {layout.place(f"static/vendor/{name}"): data for name, data in runtime_src.items()}
    out |= {layout.place(source): data for source, data in assets_src.items()}
    config = ROOT / CONFIG_JSON
    out[CONFIG_JSON] = config.read_bytes() if config.is_file() else b'{"api_base_url": "", "ws_base_url": ""}\n'
    try:
        json.loads(out[CONFIG_JSON])
    except ValueError as exc:
        raise BuildError(f"{CONFIG_JSON} is not valid JSON: {exc}") from None
    out["index.html"] = build_index(layout, set(out))
    forbidden = [path for path in out if any(path.endswith(s) for s in FORBIDDEN_SUFFIXES)]
    if forbidden:
        raise BuildError(f"refusing to ship {', '.join(forbidden[:3])}")
    return out


def manifest(files: dict[str, bytes]) -> bytes:
    lock = vendor.load_lock()
    versions = {entry["name"]: entry["version"] for entry in lock["npm"]}
    assets = next(p for p in files if p.startswith("assets/")).split("/")[1]
    runtime = next(p for p in files if p.startswith("runtime/")).split("/")[1]
    info = {
        "pyscript": versions.get("@pyscript/core"),
        "pyodide": versions.get("pyodide"),
        "assets": f"assets/{assets}/",
        "runtime": f"runtime/{runtime}/",
        "cache": {"no-cache": ["index.html", CONFIG_JSON],
                  "immutable": [f"assets/{assets}/", f"runtime/{runtime}/"]},
        "files": {path: {"sha256": sha256_bytes(data), "bytes": len(data)} for path, data in sorted(files.items())},
    }
    return (json.dumps(info, indent=1) + "\n").encode()


def _safe_target(out: Path) -> None:
    """Refuse to replace anything but a previous build (or an empty folder), and never the sources."""
    out = out.resolve()
    for protected in (ROOT, ROOT / "app", STATIC, ROOT / "server_stub", ROOT / "tests", ROOT / "scripts"):
        if out == protected or protected.is_relative_to(out) or out.is_relative_to(protected) and protected != ROOT:
            raise BuildError(f"refusing to build into {out}: it holds or is inside the sources")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST).is_file())):
        raise BuildError(f"refusing to replace {out}: it is not a previous build (no {MANIFEST}); "
                         f"remove it or choose another --out")


def build(out: Path) -> dict:
    """Write the build to ``out``; return the parsed BUILD-INFO.json."""
    _safe_target(out)
    files = collect()
    info = manifest(files)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    try:
        for path, data in files.items():
            target = staging / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (staging / MANIFEST).write_bytes(info)
        for directory in [staging, *(p for p in staging.rglob("*") if p.is_dir())]:
            os.chmod(directory, 0o755)
        for file in (p for p in staging.rglob("*") if p.is_file()):
            os.chmod(file, 0o644)
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(old)
            staging.rename(out)
            shutil.rmtree(old)
        else:
            staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return json.loads(info)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    args = parser.parse_args(argv)
    try:
        info = build(args.out)
    except (BuildError, vendor.VendorError) as exc:
        print(f"build: error: {exc}", file=sys.stderr)
        return 1
    size = sum(entry["bytes"] for entry in info["files"].values())
    _, skipped = static_sources()
    for rel in skipped:
        print(f"left out {rel} (not a CSS, JS or image file)")
    print(f"built {args.out} ({len(info['files'])} files, {size / 1e6:.1f} MB): "
          f"{info['assets']} and {info['runtime']}; edit {args.out / CONFIG_JSON} to point at your backend")
    return 0


if __name__ == "__main__":
    sys.exit(main())
