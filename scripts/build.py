"""Build the app into one folder of static files that any web server can host.

    .venv/bin/python scripts/build.py              # -> dist/
    .venv/bin/python scripts/build.py --out /srv/dispatch

The folder holds what the page needs and nothing else (no tests, no server
code, no source maps), laid out for caching (docs/HOSTING.md):

    index.html                    the page (revalidate: no-cache), its Content-Security-Policy in a
                                  <meta> (connect-src from config.json and --connect-src: scripts/policy.py)
    _headers                      what only a server can send (frame-ancestors, HSTS, ...), for hosts
                                  that read such a file (Netlify, Cloudflare Pages)
    static/config.json            the host's endpoints (edit after the build; no-cache)
    assets/<hash>/                pyscript.toml, app.zip (app/**/*.py), app/web/main.py (the page's
                                  script), static/ CSS, JS, favicon
    runtime/<hash>/               the vendored PyScript and Pyodide (9.6 MB of wasm), the Pyodide
                                  loader (pyodide-boot.mjs, pyscript.toml's interpreter), and
                                  Pyodide's snapshot.bin and pycache.zip when they are up to date
    BUILD-INFO.json               every file with its sha256, and the sizes of its encoded copies
    X.br, X.gz                    beside every compressible X that they make at least 5% smaller
                                  (scripts/compress.py; docs/HOSTING.md serves them)

``assets/<hash>`` is named by the content of what it holds, ``runtime/<hash>``
by the runtime's (which change only with vendor.lock.json, the loader and the
snapshot), so both can be cached forever, and a redeploy of app code does not
make browsers download the runtime again. index.html's references,
pyscript.toml's interpreter and JS imports and ``import.meta.resolve`` calls
into the runtime are rewritten to the new paths. pyscript.toml's [files] stay
relative to the file itself, but its interpreter is written relative to the
page (``build_pyscript_toml`` says why), and the app still fetches
``static/config.json`` relative to the page.

The loader (pyscript.toml's interpreter when it is a module of ours, not
Pyodide's own) depends on nothing but the runtime, so it ships in the runtime
folder, ``runtime/<hash>/pyodide-boot.mjs``, its imports pointing at
``./pyodide/pyodide.mjs``: its bytes count in the runtime's hash.

The snapshot files (scripts/snapshot.py) are optional: a build without them
starts Pyodide the ordinary way, so one that is missing or made for another
runtime is left out, never shipped stale. Their stamp, snapshot.json, stays
behind: the page never fetches it, and BUILD-INFO.json already gives each
shipped file's sha256.

An existing output folder is replaced only if it is a previous build (it has
a BUILD-INFO.json) or empty; the new build is written beside it and moved into
place at the end, so a failed build leaves the old one untouched.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import posixpath
import re
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts import compress, policy, pyscript_files, snapshot, vendor  # noqa: E402

STATIC = ROOT / "static"
VENDOR = STATIC / "vendor"
PYSCRIPT_TOML = ROOT / "pyscript.toml"
CONFIG_JSON = "static/config.json"
CONFIG_SOURCE = ROOT / CONFIG_JSON
MANIFEST = "BUILD-INFO.json"
#: What static/ may contribute besides config.json and the runtime (anything else is left out).
STATIC_SUFFIXES = {".css", ".js", ".mjs", ".svg", ".png", ".ico", ".webp", ".woff2"}
#: Never in a build, whatever the directory they sit in.
FORBIDDEN_SUFFIXES = {".map", ".pyc", ".tgz"}
HASH_CHARS = 12

HTML_REF = re.compile(r"""(?P<attr>\b(?:src|href|config))=(?P<q>["'])(?P<url>[^"']*)(?P=q)""")
#: ``import "x"``, ``from "x"``, ``import("x")`` and ``import.meta.resolve("x")``.
JS_IMPORT = re.compile(r"""(?P<head>\b(?:import|from)\s*\(?\s*|\bimport\.meta\.resolve\(\s*)"""
                       r"""(?P<q>["'])(?P<url>[^"']+)(?P=q)""")
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
    if (VENDOR / "pyodide" / "pyodide-lock.json").is_file():
        wanted += [f"pyodide/{name}" for name in vendor.dynlib_files()]
    missing = [name for name in wanted if not (VENDOR / name).is_file()]
    dist = VENDOR / "pyscript" / "dist"
    if not (dist / "core.js").is_file():
        missing.append("pyscript/dist/core.js")
    if missing:
        raise BuildError(f"the browser runtime is missing from static/vendor/ ({', '.join(missing[:3])}"
                         f"{', …' if len(missing) > 3 else ''}): run python scripts/vendor.py")
    files = {name: (VENDOR / name).read_bytes() for name in wanted}
    # The wheels are vendored as stored copies of the pinned downloads, binary ones without their
    # extension modules (scripts/vendor.py): each must be exactly the copy of a download that
    # matches vendor.lock.json.
    for wheel in lock["wheels"]:
        download = vendor.CACHE / wheel["file"]
        if (not download.is_file() or vendor.sha256_of(download) != wheel["sha256"]
                or files[f"pyodide/{wheel['file']}"] != vendor.shipped_copy(wheel, download.read_bytes())):
            raise BuildError(f"static/vendor/pyodide/{wheel['file']} does not match vendor.lock.json: "
                             f"run python scripts/vendor.py")
    for path in sorted(dist.iterdir()):
        if path.is_file() and path.suffix in (".js", ".css"):
            files[f"pyscript/dist/{path.name}"] = path.read_bytes()
    return files


def snapshot_files() -> dict[str, bytes]:
    """snapshot.bin and pycache.zip if scripts/snapshot.py made them for this runtime, else nothing.

    The bytes read are checked against the stamp too, so a pair being remade
    while the build runs is left out rather than shipped half old, half new.
    """
    if not snapshot.up_to_date():
        return {}
    try:
        stamp = json.loads(snapshot.STAMP.read_text())["files"]
        files = {name: (snapshot.PYODIDE_DIR / name).read_bytes() for name in snapshot.OUTPUTS}
    except (OSError, ValueError, KeyError):
        return {}
    if any(sha256_bytes(data) != stamp.get(name, {}).get("sha256") for name, data in files.items()):
        return {}
    return {f"pyodide/{name}": data for name, data in files.items()}


def app_sources() -> dict[str, bytes]:
    """Every module under app/ the browser imports (the same list pyscript.toml's [files] must hold)."""
    return {path: (ROOT / path).read_bytes() for path in pyscript_files.app_files()}


#: The app's modules ship as one archive, which PyScript unpacks into ./app/ (a [files] target
#: ending in ``/*``): one request on a first visit instead of one per module (70, fetched only
#: once the runtime is up; bench/README.md, the network phase). Stored, so that the host's
#: compression applies; its entries are relative to app/.
APP_ARCHIVE = "app.zip"
#: PyScript's [files] target for it: unpack into ./app/.
APP_TARGET = "./app/*"
#: Fixed entry times, so that the same sources make the same archive (and the same assets hash).
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def app_archive(sources: dict[str, bytes]) -> bytes:
    """``sources`` (app/**/*.py by repository path) as one stored zip, reproducibly."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted(sources):
            entry = zipfile.ZipInfo(path.removeprefix("app/"), date_time=ZIP_EPOCH)
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, sources[path])
    return out.getvalue()


def page_scripts() -> set[str]:
    """The Python files index.html loads itself (``<script type="py" src>``): they ship as files too."""
    html = (ROOT / "index.html").read_text()
    return {_resolve("index.html", url) for url in re.findall(r'<script type="py" src="([^"]+)"', html)}


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
    """Where a source path lands in the build.

    ``loader`` is the repository path of our Pyodide loader (pyscript.toml's
    interpreter when it is not the runtime's own module), or None: it goes to
    the top of the runtime folder, under its own name.
    """

    def __init__(self, assets: str, runtime: str, loader: str | None = None):
        self.assets, self.runtime, self.loader = assets, runtime, loader

    def place(self, source: str) -> str:
        if source in ("index.html", CONFIG_JSON):
            return source
        if source.startswith("static/vendor/"):
            return f"{self.runtime}/{source.removeprefix('static/vendor/')}"
        if source == self.loader:
            return f"{self.runtime}/{posixpath.basename(source)}"
        return f"{self.assets}/{source}"

    def in_runtime(self, source: str) -> bool:
        return self.place(source).startswith(self.runtime + "/")


def rewrite_runtime_refs(source: str, text: str, pattern: re.Pattern, layout: Layout) -> str:
    """Point the relative references of ``source`` at their places in the build.

    A reference moves when its target is placed in the runtime folder (the
    vendored files, and the loader), or when ``source`` itself is (the
    loader's imports of Pyodide). Assets keep their layout relative to each
    other, so ``./bridge.mjs`` or ``../css/x.css`` need no change. The runtime
    must not depend on the assets (their hash changes with every app change,
    the runtime's must not): a file placed in the runtime that refers to an
    asset stops the build.
    """
    placed = layout.place(source)
    source_in_runtime = layout.in_runtime(source)

    def swap(match: re.Match) -> str:
        url = match["url"]
        if is_external(url):
            return match[0]
        target = _resolve(source, url)
        if not layout.in_runtime(target):
            if source_in_runtime:
                raise BuildError(f"{source} refers to {url!r}, which is not in the runtime: the loader "
                                 f"may import only the vendored runtime (static/vendor/)")
            return match[0]
        new = _relative(placed, layout.place(target)) + url[len(url.split("#", 1)[0].split("?", 1)[0]):]
        if new == url:
            return match[0]
        return match[0].replace(f"{match['q']}{url}{match['q']}", f"{match['q']}{new}{match['q']}", 1)

    return pattern.sub(swap, text)


def _source_toml() -> tuple[str, re.Match]:
    """The head of the sources' pyscript.toml (before [files]) and its ``interpreter = "..."`` line."""
    head = PYSCRIPT_TOML.read_text().split(pyscript_files.MARKER)[0]
    match = INTERPRETER.search(head)
    if match is None:
        raise BuildError('pyscript.toml has no interpreter = "..." line')
    return head, match


def source_interpreter() -> str:
    """The repository path of pyscript.toml's interpreter (relative to the toml, at the top)."""
    return _resolve("pyscript.toml", _source_toml()[1]["url"])


def loader_of(interpreter: str) -> str | None:
    """Our loader, if the interpreter is one (not the runtime's own module in static/vendor/)."""
    return None if interpreter.startswith("static/vendor/") else interpreter


def build_pyscript_toml(layout: Layout, sources: set[str]) -> bytes:
    """pyscript.toml for ``assets/<hash>/pyscript.toml``: the interpreter's new path, [files] the app archive.

    The interpreter is either the runtime's own module (static/vendor/) or
    our loader (static/js/pyodide-boot.mjs); either way it is placed in the
    runtime folder. ``sources`` are the repository paths the build ships, so
    a name that is in neither stops it.

    PyScript 0.7.31 resolves ``interpreter`` against the PAGE's URL, not the
    toml's (measured: with the toml in assets/<hash>/, a toml-relative
    ``./static/js/pyodide-boot.mjs`` was requested as /static/js/... and got
    a 404), while it resolves [files] against the toml's URL. So the
    interpreter is written relative to index.html at the top of the build,
    ``./runtime/<hash>/pyodide-boot.mjs``, and [files] relative to the toml;
    both keep working for a site hosted under a sub-path (a path climbing out
    of assets/<hash>/ only worked at the origin's root, where ``../`` clamps).
    In the sources the toml and the page sit side by side, so the two readings
    agree there.
    """
    head, match = _source_toml()
    source = _resolve("pyscript.toml", match["url"])
    if source not in sources or not source.endswith((".mjs", ".js")):
        raise BuildError(f"pyscript.toml's interpreter {match['url']!r} is not a file the build ships "
                         f"(a JS module under static/, or the runtime in static/vendor/)")
    placed = layout.place(source)
    if not layout.in_runtime(source):
        raise BuildError(f"pyscript.toml's interpreter {match['url']!r} would not be in the runtime folder")
    new = _relative("index.html", placed)  # relative to the page, not to this file
    note = "# Built: PyScript resolves the interpreter against the page (index.html), [files] against this file.\n"
    head = head[:match.start()] + note + head[match.start():match.start("url")] + new + head[match.end("url"):]
    files = f'{pyscript_files.MARKER}\n# Built: every module under app/ the browser imports, in one archive (APP_ARCHIVE).\n' \
            f'"./{APP_ARCHIVE}" = "{APP_TARGET}"\n'
    return (head + files).encode()


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


def collect(connect_src=()) -> dict[str, bytes]:
    """Every output file by its path in the build (BUILD-INFO.json aside).

    ``connect_src``: origins beyond config.json's the page may connect to (``--connect-src``).
    """
    # The runtime folder's files, by their path inside it: the vendored ones, then our loader.
    runtime_src = runtime_files() | snapshot_files()
    sources = {f"static/vendor/{name}" for name in runtime_src}  # what the build ships, by repository path
    statics, _ = static_sources()
    loader = loader_of(source_interpreter())
    if loader is not None:
        if loader not in statics or not loader.endswith((".mjs", ".js")):
            raise BuildError(f"pyscript.toml's interpreter {loader!r} is not a JS module under static/")
        name = posixpath.basename(loader)
        if name in runtime_src:
            raise BuildError(f"the loader {loader} would overwrite the runtime's {name}")
        # Its references go into the runtime only, so they do not depend on the runtime's name:
        # rewrite them first, and hash the rewritten bytes with the runtime.
        draft = Layout("assets/x", "runtime/x", loader)
        runtime_src[name] = rewrite_runtime_refs(loader, statics.pop(loader).decode(), JS_IMPORT, draft).encode()
    runtime = f"runtime/{tree_hash(runtime_src)}"
    # The assets' own name does not change any of their references (they are relative, and
    # the folder's depth is fixed), so a stand-in will do until their hash is known.
    draft = Layout("assets/x", runtime, loader)
    app = app_sources()
    scripts = page_scripts()
    if not scripts <= set(app):
        raise BuildError(f"index.html loads Python that is not under app/: {', '.join(sorted(scripts - set(app)))}")
    assets_src: dict[str, bytes] = {APP_ARCHIVE: app_archive(app)}
    for source, data in {**{path: app[path] for path in scripts}, **statics}.items():
        if source.endswith((".js", ".mjs")):
            data = rewrite_runtime_refs(source, data.decode(), JS_IMPORT, draft).encode()
        elif source.endswith(".css"):
            data = rewrite_runtime_refs(source, data.decode(), CSS_URL, draft).encode()
        assets_src[source] = data
    # The toml names the runtime, so the assets' hash changes with it.
    sources |= set(assets_src) | set(app) | ({loader} if loader else set())
    assets_src["pyscript.toml"] = build_pyscript_toml(draft, sources)
    assets = f"assets/{tree_hash(assets_src)}"
    layout = Layout(assets, runtime, loader)
    out = {f"{runtime}/{name}": data for name, data in runtime_src.items()}
    out |= {layout.place(source): data for source, data in assets_src.items()}
    config = CONFIG_SOURCE
    out[CONFIG_JSON] = config.read_bytes() if config.is_file() else b'{"api_base_url": "", "ws_base_url": ""}\n'
    try:
        config = json.loads(out[CONFIG_JSON])
    except ValueError as exc:
        raise BuildError(f"{CONFIG_JSON} is not valid JSON: {exc}") from None
    if not isinstance(config, dict):
        raise BuildError(f"{CONFIG_JSON} must hold a JSON object")
    out["index.html"] = build_index(layout, set(out))
    try:  # the policy travels with the build (scripts/policy.py)
        sources = policy.connect_sources(config, connect_src)
        out["index.html"] = policy.with_policy_meta(out["index.html"].decode(), sources,
                                                    policy.image_sources(config)).encode()
    except policy.PolicyError as exc:
        raise BuildError(str(exc)) from None
    out[policy.HEADERS_FILE] = policy.headers_file()
    forbidden = [path for path in out if any(path.endswith(s) for s in FORBIDDEN_SUFFIXES)]
    if forbidden:
        raise BuildError(f"refusing to ship {', '.join(forbidden[:3])}")
    return out


def encoded_copies(files: dict[str, bytes], level: str | None) -> dict[str, bytes]:
    """``X.br`` and ``X.gz`` for each file they make smaller (none with ``level=None``)."""
    if level is None:
        return {}
    out = {}
    for path, data in files.items():
        for encoding, data_encoded in compress.variants(path, data, level).items():
            out[path + compress.ENCODINGS[encoding]] = data_encoded
    return out


def manifest(files: dict[str, bytes], encoded: dict[str, bytes] | None = None) -> bytes:
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
    if encoded:
        info["encoded"] = {path: {encoding: len(encoded[path + suffix])
                                  for encoding, suffix in compress.ENCODINGS.items() if path + suffix in encoded}
                           for path in sorted(files) if any(path + suffix in encoded
                                                            for suffix in compress.ENCODINGS.values())}
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


def build(out: Path, level: str | None = "best", connect_src=()) -> dict:
    """Write the build to ``out``; return the parsed BUILD-INFO.json.

    ``connect_src``: origins the page's CSP allows besides its own and config.json's.
    ``level`` is scripts/compress.py's ("best", "fast") for the ``.br``/``.gz``
    copies, or None for none.
    """
    _safe_target(out)
    files = collect(connect_src)
    encoded = encoded_copies(files, level)
    info = manifest(files, encoded)
    files = files | encoded
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


def has_snapshot(info: dict) -> bool:
    return f"{info['runtime']}pyodide/snapshot.bin" in info["files"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument("--connect-src", action="append", default=[], metavar="ORIGIN",
                        help="an origin the page may connect to besides its own and config.json's "
                             "(a backend on another origin, e.g. https://api.example.com); repeatable")
    parser.add_argument("--compress", choices=["best", "fast", "none"], default="best",
                        help="the .br and .gz copies: best (brotli 11, cached), fast, or none")
    args = parser.parse_args(argv)
    try:
        info = build(args.out, None if args.compress == "none" else args.compress, args.connect_src)
    except (BuildError, vendor.VendorError) as exc:
        print(f"build: error: {exc}", file=sys.stderr)
        return 1
    size = sum(entry["bytes"] for entry in info["files"].values())
    _, skipped = static_sources()
    for rel in skipped:
        print(f"left out {rel} (not a CSS, JS or image file)")
    if not has_snapshot(info):
        print("left out Pyodide's snapshot.bin and pycache.zip (missing or out of date): the page will start "
              "Pyodide without them, 2-3 s slower; run python scripts/snapshot.py, then build again")
    wire = sum(min([entry["bytes"], *info.get("encoded", {}).get(path, {}).values()])
               for path, entry in info["files"].items())
    print(f"built {args.out} ({len(info['files'])} files, {size / 1e6:.1f} MB, {wire / 1e6:.1f} MB brotli'd): "
          f"{info['assets']} and {info['runtime']}; edit {args.out / CONFIG_JSON} to point at your backend")
    return 0


if __name__ == "__main__":
    sys.exit(main())
