"""scripts/build.py: one folder with what the page needs, every reference resolving, nothing else."""

from __future__ import annotations

import hashlib
import json
import posixpath
import random
import re
import tomllib
import zipfile
from pathlib import Path
from urllib.parse import urljoin

import pytest

from scripts import build, compress, pyscript_files, snapshot, vendor

needs_runtime = pytest.mark.skipif(not (build.VENDOR / "pyodide" / "pyodide.asm.wasm").is_file(),
                                   reason="static/vendor/ is not there: run python scripts/vendor.py")


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build") / "dist"
    build.build(out, "fast")
    return out


#: Stand-in for the vendored runtime: what index.html and the JS assets refer to, a few bytes each.
FAKE_RUNTIME = {"pyodide/pyodide.mjs": b"export const version = '0';\n", "pyscript/dist/core.js": b"//\n",
                "pyscript/dist/core.css": b"p{}\n"}
RUNTIME_IMPORT = re.compile(r'(?:\bfrom\s*|\bimport\.meta\.resolve\(\s*)"([^"]+)"')
LOADER = "static/js/pyodide-boot.mjs"


@pytest.fixture
def made_snapshot(tmp_path, monkeypatch) -> Path:
    """A small snapshot.bin and pycache.zip with a stamp that says they are up to date."""
    folder = tmp_path / "pyodide"
    folder.mkdir()
    files = {}
    for name, data in (("snapshot.bin", b"\0heap" * 100), ("pycache.zip", b"PK\5\6" + b"\0" * 18)):
        (folder / name).write_bytes(data)
        files[name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (folder / "snapshot.json").write_text(json.dumps({"key": snapshot.key(), "files": files}))
    monkeypatch.setattr(snapshot, "PYODIDE_DIR", folder)
    monkeypatch.setattr(snapshot, "STAMP", folder / "snapshot.json")
    assert snapshot.up_to_date()
    return folder


@pytest.fixture
def fake_runtime(monkeypatch) -> None:
    monkeypatch.setattr(build, "runtime_files", lambda: dict(FAKE_RUNTIME))


def folder_of(files, top: str) -> str:
    (name,) = {p.split("/")[1] for p in files if p.startswith(top + "/")}
    return name


def files_in(root: Path) -> set[str]:
    """The build's files, without the .br/.gz copies of them."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()
            and p.suffix not in compress.ENCODINGS.values()}


def copies_in(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.suffix in compress.ENCODINGS.values()}


def refs_in_html(text: str) -> list[str]:
    return [m["url"] for m in build.HTML_REF.finditer(text) if not build.is_external(m["url"])]


def resolves(root: Path, from_file: str, url: str) -> bool:
    target = posixpath.normpath(posixpath.join(posixpath.dirname(from_file), url.split("?")[0].split("#")[0]))
    return not target.startswith("../") and (root / target).is_file()


@needs_runtime
def test_the_top_level_is_the_page_its_config_and_two_hashed_folders(dist):
    top = sorted(p.name for p in dist.iterdir() if p.suffix not in compress.ENCODINGS.values())
    assert top == ["BUILD-INFO.json", "_headers", "assets", "index.html", "runtime", "static"]
    assert sorted(p.name for p in (dist / "static").iterdir()) in (
        ["config.json"], ["config.json", "config.json.br", "config.json.gz"])
    (assets,), (runtime,) = list((dist / "assets").iterdir()), list((dist / "runtime").iterdir())
    assert re.fullmatch(r"[0-9a-f]{12}", assets.name) and re.fullmatch(r"[0-9a-f]{12}", runtime.name)
    assert json.loads((dist / "static" / "config.json").read_text()) == json.loads(
        (build.ROOT / "static" / "config.json").read_text())


@needs_runtime
def test_every_reference_of_index_html_is_in_the_build(dist):
    html = (dist / "index.html").read_text()
    refs = refs_in_html(html)
    assert refs, "no reference found"
    assert [url for url in refs if not resolves(dist, "index.html", url)] == []
    assert "static/vendor" not in html
    # The page's scripts, styles and icon come from the hashed folders only.
    assert all(url.startswith(("assets/", "runtime/")) for url in refs), refs
    script = re.search(r'<script type="py" src="([^"]+)" config="([^"]+)"', html)
    assert script and script[1].startswith("assets/") and script[1].endswith("/app/web/main.py")
    assert script[2].startswith("assets/") and script[2].endswith("/pyscript.toml")


@needs_runtime
def test_pyscript_toml_points_at_the_runtime_from_the_page_and_every_module_relative_to_itself(dist):
    (toml_path,) = list(dist.glob("assets/*/pyscript.toml"))
    (runtime,) = list((dist / "runtime").iterdir())
    here = toml_path.relative_to(dist).as_posix()
    config = tomllib.loads(toml_path.read_text())
    # PyScript resolves the interpreter against the page (index.html, at the top), not the toml.
    source = tomllib.loads((build.ROOT / "pyscript.toml").read_text())["interpreter"]
    assert source == f"./{LOADER}"
    assert config["interpreter"] == f"./runtime/{runtime.name}/pyodide-boot.mjs"
    assert resolves(dist, "index.html", config["interpreter"])
    assert not resolves(dist, here, config["interpreter"])  # read against the toml it would be a 404
    # [files] are resolved against the toml: one archive of every module, unpacked into ./app/.
    assert config["files"] == {f"./{build.APP_ARCHIVE}": "./app/*"}
    assert [url for url in config["files"] if not resolves(dist, here, url)] == []
    with zipfile.ZipFile(toml_path.parent / build.APP_ARCHIVE) as archive:
        assert {f"app/{name}" for name in archive.namelist()} == set(pyscript_files.app_files())
        assert all(archive.read(name) == (build.ROOT / "app" / name).read_bytes() for name in archive.namelist())
        assert {entry.compress_type for entry in archive.infolist()} == {zipfile.ZIP_STORED}  # brotli on the wire
    assert config["packages"] == ["pydantic"] and config["packages_cache"] == "passthrough"


@needs_runtime
def test_js_and_css_references_resolve_inside_the_build(dist):
    broken = []
    for path in [*dist.glob("assets/*/static/**/*"), *dist.glob("runtime/*/*.mjs")]:
        rel = path.relative_to(dist).as_posix()
        pattern = {".js": build.JS_IMPORT, ".mjs": build.JS_IMPORT, ".css": build.CSS_URL}.get(path.suffix)
        if pattern is None:
            continue
        for match in pattern.finditer(path.read_text()):
            if not build.is_external(match["url"]) and not resolves(dist, rel, match["url"]):
                broken.append(f"{rel}: {match['url']}")
    assert broken == []
    shim = next(dist.glob("assets/*/static/js/pyscript-csp.mjs")).read_text()
    assert re.search(r'from "\.\./\.\./\.\./\.\./runtime/[0-9a-f]{12}/pyscript/dist/core\.js"', shim), shim
    (runtime,) = list((dist / "runtime").iterdir())
    assert f'import "../../../../runtime/{runtime.name}/pyodide-boot.mjs";' in shim, shim


def page_urls(dist: Path, page: str) -> tuple[str, str]:
    """What the browser asks for, for a page at ``page``: the interpreter, and the CSP shim's loader import."""
    html = (dist / "index.html").read_text()
    toml_url = urljoin(page, re.search(r'config="([^"]+)"', html)[1])
    shim_url = urljoin(page, re.search(r'src="([^"]+/pyscript-csp\.mjs)"', html)[1])
    toml = dist / toml_url.removeprefix(page)
    shim = dist / shim_url.removeprefix(page)
    interpreter = urljoin(page, tomllib.loads(toml.read_text())["interpreter"])  # page-relative
    imported = urljoin(shim_url, re.search(r'^import "([^"]+)";', shim.read_text(), re.MULTILINE)[1])
    return interpreter, imported


@needs_runtime
@pytest.mark.parametrize("page", ["https://example.com/", "https://example.com/tools/dispatch/"])
def test_the_interpreter_and_the_shims_import_are_one_module_at_the_root_or_under_a_sub_path(dist, page):
    # One URL, so the browser runs the loader once (one snapshot fetch), and it is in the build.
    interpreter, imported = page_urls(dist, page)
    assert interpreter == imported
    assert interpreter.startswith(page + "runtime/") and interpreter.endswith("/pyodide-boot.mjs")
    assert (dist / interpreter.removeprefix(page)).is_file()


@needs_runtime
def test_the_loader_ships_in_the_runtime_and_finds_pyodide_beside_it(dist):
    (runtime,) = list((dist / "runtime").iterdir())
    loader = runtime / "pyodide-boot.mjs"
    here = loader.relative_to(dist).as_posix()
    text = loader.read_text()
    want = "./pyodide/pyodide.mjs"
    assert f'import * as pyodideModule from "{want}";' in text
    assert f'import.meta.resolve("{want}")' in text
    specifiers = RUNTIME_IMPORT.findall(text)
    assert specifiers == [want, want] and resolves(dist, here, want)
    assert "vendor" not in "".join(specifiers)
    # Only there: a second copy among the assets would be a second module (and a second snapshot fetch).
    assert [p for p in files_in(dist) if p.endswith("pyodide-boot.mjs")] == [here]
    source = (build.ROOT / LOADER).read_text()
    assert text == source.replace('"../vendor/pyodide/pyodide.mjs"', f'"{want}"')


@needs_runtime
def test_the_runtime_is_exactly_pyscript_dist_and_the_pyodide_files(dist):
    (runtime,) = list((dist / "runtime").iterdir())
    shipped = files_in(runtime)
    lock = vendor.load_lock()
    pyodide = {f"pyodide/{name}" for name in vendor.PYODIDE_FILES} | {f"pyodide/{w['file']}" for w in lock["wheels"]}
    pyodide |= {f"pyodide/{name}" for name in vendor.dynlib_files()}  # pydantic-core's .wasm, compiled from its URL
    assert any(name.endswith(".wasm") and "_pydantic_core-" in name for name in pyodide)
    pyscript = {f"pyscript/dist/{p.name}" for p in (build.VENDOR / "pyscript" / "dist").iterdir()
                if p.suffix in (".js", ".css")}
    # The snapshot ships when it is up to date (the dist fixture used the real one); its stamp never does.
    made = {f"pyodide/{name}" for name in snapshot.OUTPUTS} if snapshot.up_to_date() else set()
    assert shipped == pyodide | pyscript | made | {"pyodide-boot.mjs"}  # and our loader
    assert "pyodide/snapshot.json" not in shipped
    assert "pyscript/dist/core.js" in shipped and "pyodide/pyodide.asm.wasm" in shipped
    for name in shipped - {"pyodide-boot.mjs"}:
        assert (runtime / name).read_bytes() == (build.VENDOR / name).read_bytes(), name


@needs_runtime
def test_nothing_forbidden_ships(dist):
    shipped = files_in(dist)
    assert not [p for p in shipped if p.endswith((".map", ".pyc", ".tgz", ".md", ".lock", ".txt"))]
    assert not [p for p in shipped if any(part.startswith(".") for part in p.split("/"))]
    words = ("tests/", "server_stub", "scripts/", "bench", "__pycache__", "vendor.lock", "pyproject", "/.cache")
    assert not [p for p in shipped if any(word in p for word in words)]
    python = {p for p in shipped if p.endswith(".py")}
    (assets,) = list((dist / "assets").iterdir())
    assert python == {f"assets/{assets.name}/app/web/main.py"}  # the page's script; the modules are in app.zip
    allowed = {".html", ".json", ".toml", ".py", ".css", ".js", ".mjs", ".svg", ".png", ".ico", ".webp",
               ".woff2", ".wasm", ".zip", ".whl", ".bin"}
    assert {Path(p).suffix for p in shipped - {"_headers"}} <= allowed


@needs_runtime
def test_build_info_lists_every_file_with_its_sha256(dist):
    info = json.loads((dist / "BUILD-INFO.json").read_text())
    assert set(info["files"]) == files_in(dist) - {"BUILD-INFO.json"}
    for path, entry in info["files"].items():
        data = (dist / path).read_bytes()
        assert entry == {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}, path
    assert info["assets"] == f"assets/{next((dist / 'assets').iterdir()).name}/"
    assert info["runtime"] == f"runtime/{next((dist / 'runtime').iterdir()).name}/"
    assert info["pyscript"] == "0.7.31" and info["pyodide"].startswith("314.")


@needs_runtime
def test_the_build_is_reproducible_and_replaces_a_previous_build(dist, tmp_path):
    out = tmp_path / "again"
    build.build(out, "fast")
    (out / "assets" / "stale-file").write_text("left from an older build")
    build.build(out, "fast")  # a previous build (it has BUILD-INFO.json) is replaced whole
    assert files_in(out) == files_in(dist) and copies_in(out) == copies_in(dist)
    assert all((out / p).read_bytes() == (dist / p).read_bytes() for p in copies_in(dist))
    assert (out / "BUILD-INFO.json").read_bytes() == (dist / "BUILD-INFO.json").read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["again"]  # no staging folder left behind


def test_loader_changes_move_the_runtime_and_the_assets_that_name_it(fake_runtime, monkeypatch):
    before = build.collect()
    statics = build.static_sources
    monkeypatch.setattr(build, "static_sources", lambda: (lambda files, skipped: (
        {**files, LOADER: files[LOADER] + b"// changed\n"}, skipped))(*statics()))
    after = build.collect()
    runtime = folder_of(after, "runtime")
    assert runtime != folder_of(before, "runtime")
    assert after[f"runtime/{runtime}/pyodide-boot.mjs"].endswith(b"// changed\n")
    assert folder_of(after, "assets") != folder_of(before, "assets")
    toml = after[f"assets/{folder_of(after, 'assets')}/pyscript.toml"].decode()
    assert tomllib.loads(toml)["interpreter"] == f"./runtime/{runtime}/pyodide-boot.mjs"


def test_app_code_changes_move_the_assets_not_the_runtime_or_the_loader(fake_runtime, monkeypatch):
    before = build.collect()
    sources = build.app_sources()
    monkeypatch.setattr(build, "app_sources", lambda: {**sources, "app/config.py": sources["app/config.py"] + b"\n"})
    after = build.collect()
    assert folder_of(before, "runtime") == folder_of(after, "runtime")
    assert folder_of(before, "assets") != folder_of(after, "assets")
    loader = f"runtime/{folder_of(after, 'runtime')}/pyodide-boot.mjs"
    assert before[loader] == after[loader]


@needs_runtime
def test_app_code_changes_move_the_assets_not_the_runtime(monkeypatch):
    before = build.collect()
    sources = build.app_sources()
    monkeypatch.setattr(build, "app_sources", lambda: {**sources, "app/config.py": sources["app/config.py"] + b"\n"})
    after = build.collect()

    def folder(files, top):
        return {p.split("/")[1] for p in files if p.startswith(top + "/")}

    assert folder(before, "runtime") == folder(after, "runtime")
    assert folder(before, "assets") != folder(after, "assets")


def test_a_missing_runtime_stops_the_build_with_what_to_run(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(build, "VENDOR", tmp_path / "no-vendor")
    with pytest.raises(build.BuildError, match=r"run python scripts/vendor\.py"):
        build.collect()
    assert build.main(["--out", str(tmp_path / "dist")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("build: error:") and "python scripts/vendor.py" in err
    assert not (tmp_path / "dist").exists()


def test_it_refuses_to_replace_anything_but_a_previous_build(tmp_path):
    keep = tmp_path / "mine"
    keep.mkdir()
    (keep / "notes.txt").write_text("not a build")
    for target in (keep, build.ROOT, build.ROOT / "app", build.ROOT / "static" / "out", build.ROOT.parent):
        with pytest.raises(build.BuildError, match="refusing"):
            build._safe_target(target)
    assert (keep / "notes.txt").read_text() == "not a build"
    build._safe_target(tmp_path / "new")  # a new folder is fine
    build._safe_target(build.ROOT / "dist")


def test_only_references_into_the_runtime_are_rewritten():
    text = ('import { a } from "./bridge.mjs";\nimport { hooks } from "../vendor/pyscript/dist/core.js";\n'
            'import "./pyodide-boot.mjs";\nconst m = import("https://example.com/x.js");')
    layout = build.Layout("assets/x", "runtime/abc", LOADER)
    out = build.rewrite_runtime_refs("static/js/x.mjs", text, build.JS_IMPORT, layout)
    assert '"./bridge.mjs"' in out and '"https://example.com/x.js"' in out
    assert '"../../../../runtime/abc/pyscript/dist/core.js"' in out
    # The loader is placed in the runtime, so a reference to it moves there too.
    assert 'import "../../../../runtime/abc/pyodide-boot.mjs";' in out
    # Without a loader, ./pyodide-boot.mjs is an asset like any other.
    no_loader = build.Layout("assets/x", "runtime/abc")
    plain = build.rewrite_runtime_refs("static/js/x.mjs", text, build.JS_IMPORT, no_loader)
    assert 'import "./pyodide-boot.mjs";' in plain


def test_the_loaders_references_into_the_runtime_become_relative_to_its_place_there():
    text = ('import * as m from "../vendor/pyodide/pyodide.mjs";\n'
            'const a = import.meta.resolve("../vendor/pyodide/pyodide.mjs");\n'
            "const b = import.meta.resolve( '../vendor/pyodide/pyodide.mjs?v=1' );\n"
            'const c = import.meta.resolve("https://example.com/x.mjs");')
    layout = build.Layout("assets/x", "runtime/abc", LOADER)
    assert layout.place(LOADER) == "runtime/abc/pyodide-boot.mjs"
    out = build.rewrite_runtime_refs(LOADER, text, build.JS_IMPORT, layout)
    assert 'import * as m from "./pyodide/pyodide.mjs";' in out
    assert 'import.meta.resolve("./pyodide/pyodide.mjs")' in out
    assert "import.meta.resolve( './pyodide/pyodide.mjs?v=1' )" in out and '"https://example.com/x.mjs"' in out
    # The same bytes whatever the runtime's name: they can count in its hash.
    elsewhere = build.Layout("assets/y", "runtime/x", LOADER)
    assert build.rewrite_runtime_refs(LOADER, text, build.JS_IMPORT, elsewhere) == out


def test_an_asset_import_in_the_loader_stops_the_build():
    # The runtime would then depend on the assets, whose name changes with every app change.
    layout = build.Layout("assets/x", "runtime/abc", LOADER)
    with pytest.raises(build.BuildError, match="not in the runtime"):
        build.rewrite_runtime_refs(LOADER, 'import { a } from "./rows.mjs";', build.JS_IMPORT, layout)


def test_import_meta_resolve_into_the_runtime_is_rewritten_too():
    text = ('const a = import.meta.resolve("../vendor/pyodide/pyodide.mjs");\n'
            "const b = import.meta.resolve( './rows.mjs' );\n"
            'const c = import.meta.resolve("https://example.com/x.mjs");')
    out = build.rewrite_runtime_refs("static/js/other.mjs", text, build.JS_IMPORT,
                                     build.Layout("assets/x", "runtime/abc", LOADER))
    assert 'import.meta.resolve("../../../../runtime/abc/pyodide/pyodide.mjs")' in out
    assert "import.meta.resolve( './rows.mjs' )" in out and '"https://example.com/x.mjs"' in out


def test_the_interpreter_is_written_relative_to_the_page_in_either_layout(tmp_path, monkeypatch):
    vendored = "static/vendor/pyodide/pyodide.mjs"
    layout = build.Layout("assets/x", "runtime/abc", LOADER)
    toml = build.build_pyscript_toml(layout, {LOADER, vendored})
    assert tomllib.loads(toml.decode())["interpreter"] == "./runtime/abc/pyodide-boot.mjs"
    with pytest.raises(build.BuildError, match="interpreter"):
        build.build_pyscript_toml(layout, {vendored})
    # The old layout: Pyodide's own module as the interpreter, also page-relative into the runtime.
    (tmp_path / "pyscript.toml").write_text(f'interpreter = "./{vendored}"\n' + pyscript_files.MARKER + "\n")
    monkeypatch.setattr(build, "PYSCRIPT_TOML", tmp_path / "pyscript.toml")
    assert build.loader_of(build.source_interpreter()) is None
    toml = build.build_pyscript_toml(build.Layout("assets/x", "runtime/abc"), {vendored})
    assert tomllib.loads(toml.decode())["interpreter"] == "./runtime/abc/pyodide/pyodide.mjs"


def test_a_build_with_pyodide_itself_as_the_interpreter_ships_no_loader(fake_runtime, tmp_path, monkeypatch):
    source = (build.ROOT / "pyscript.toml").read_text()
    assert f'"./{LOADER}"' in source
    source = source.replace(f'"./{LOADER}"', '"./static/vendor/pyodide/pyodide.mjs"')
    (tmp_path / "pyscript.toml").write_text(source)
    monkeypatch.setattr(build, "PYSCRIPT_TOML", tmp_path / "pyscript.toml")
    files = build.collect()
    runtime, assets = folder_of(files, "runtime"), folder_of(files, "assets")
    assert tomllib.loads(files[f"assets/{assets}/pyscript.toml"].decode())["interpreter"] == \
        f"./runtime/{runtime}/pyodide/pyodide.mjs"
    # The loader is then just another asset (the shim still imports it beside itself).
    assert f"runtime/{runtime}/pyodide-boot.mjs" not in files and f"assets/{assets}/{LOADER}" in files


def test_the_snapshot_files_are_taken_only_when_up_to_date(made_snapshot):
    got = build.snapshot_files()
    assert got == {f"pyodide/{name}": (made_snapshot / name).read_bytes() for name in ("snapshot.bin", "pycache.zip")}
    (made_snapshot / "pycache.zip").write_bytes(b"PK remade, stamp not yet")
    assert build.snapshot_files() == {}
    (made_snapshot / "pycache.zip").unlink()
    assert build.snapshot_files() == {}


def test_a_snapshot_for_another_runtime_is_left_out(made_snapshot, monkeypatch):
    monkeypatch.setattr(snapshot, "key", lambda: "another vendor.lock.json")
    assert build.snapshot_files() == {}


def test_bytes_that_do_not_match_the_stamp_are_left_out_even_if_it_said_up_to_date(made_snapshot, monkeypatch):
    monkeypatch.setattr(snapshot, "up_to_date", lambda: True)
    assert set(build.snapshot_files()) == {"pyodide/snapshot.bin", "pyodide/pycache.zip"}
    (made_snapshot / "snapshot.bin").write_bytes(b"half written")
    assert build.snapshot_files() == {}


def test_an_up_to_date_snapshot_ships_in_the_runtime_folder_and_names_it(made_snapshot, fake_runtime, monkeypatch):
    with_it = build.collect()
    runtime = folder_of(with_it, "runtime")
    for name in ("snapshot.bin", "pycache.zip"):
        assert with_it[f"runtime/{runtime}/pyodide/{name}"] == (made_snapshot / name).read_bytes()
    assert not [p for p in with_it if p.endswith("snapshot.json")]
    monkeypatch.setattr(snapshot, "up_to_date", lambda: False)
    without = build.collect()
    assert not [p for p in without if p.endswith((".bin", "pycache.zip"))]
    # Content-addressed: another runtime folder, and the loader and toml that name it change with it.
    assert folder_of(without, "runtime") != runtime
    assert folder_of(without, "assets") != folder_of(with_it, "assets")
    runtime_without = folder_of(without, "runtime")
    assert without[f"runtime/{runtime_without}/pyodide-boot.mjs"] == with_it[f"runtime/{runtime}/pyodide-boot.mjs"]
    assert b'import.meta.resolve("./pyodide/pyodide.mjs")' in without[f"runtime/{runtime_without}/pyodide-boot.mjs"]
    toml = without[f"assets/{folder_of(without, 'assets')}/pyscript.toml"].decode()
    assert tomllib.loads(toml)["interpreter"] == f"./runtime/{runtime_without}/pyodide-boot.mjs"


def test_a_build_without_the_snapshot_says_so_in_one_line(made_snapshot, fake_runtime, monkeypatch, tmp_path, capsys):
    assert build.main(["--out", str(tmp_path / "with")]) == 0
    assert "scripts/snapshot.py" not in capsys.readouterr().out
    monkeypatch.setattr(snapshot, "up_to_date", lambda: False)
    assert build.main(["--out", str(tmp_path / "without")]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "scripts/snapshot.py" in line]
    assert len(lines) == 1 and "without them" in lines[0] and "python scripts/snapshot.py" in lines[0]
    assert not list((tmp_path / "without").glob("runtime/*/pyodide/snapshot.bin"))
    assert list((tmp_path / "with").glob("runtime/*/pyodide/snapshot.bin"))


# --- the policy the build carries (scripts/policy.py) ---------------------------------------------


def built_policy(files: dict[str, bytes]) -> str:
    html = files["index.html"].decode()
    found = re.findall(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert len(found) == 1, html[:600]
    return found[0]


def directive(policy: str, name: str) -> list[str]:
    (found,) = [part.split()[1:] for part in policy.split("; ") if part.split()[0] == name]
    return found


def test_the_built_page_declares_its_policy_before_anything_it_governs(fake_runtime):
    files = build.collect()
    html = files["index.html"].decode()
    head = html[html.index("<head>"):html.index("</head>")]
    tags = re.findall(r"<(meta|link|script|style|title|base)\b[^>]*>", head)
    assert tags[:3] == ["meta", "meta", "meta"] and "charset" in re.findall(r"<meta[^>]*>", head)[0]
    assert re.findall(r"<meta[^>]*>", head)[1].startswith('<meta http-equiv="Content-Security-Policy"')
    assert '<meta name="referrer" content="no-referrer">' in head
    policy = built_policy(files)
    assert "frame-ancestors" not in policy  # a <meta> cannot carry it: _headers does
    assert "'unsafe-eval'" not in policy and "'unsafe-inline'" not in policy
    assert directive(policy, "default-src") == ["'none'"] and directive(policy, "form-action") == ["'self'"]
    # The page's own scripts set no policy of their own: nothing in the page can change this one.
    scripts = b"".join(data for path, data in files.items() if path.endswith((".mjs", ".js", ".py")))
    assert b"http-equiv" not in scripts


def test_connect_src_comes_from_config_json_at_build_time(fake_runtime, tmp_path, monkeypatch):
    assert directive(built_policy(build.collect()), "connect-src") == ["'self'"]  # empty config: same origin
    config = {"api_base_url": "https://API.example.com/v1/api", "ws_base_url": "wss://push.example.com:8443/ws",
              "trusted_origins": ["https://staging.example.com"]}
    (tmp_path / "config.json").write_text(json.dumps(config))
    monkeypatch.setattr(build, "CONFIG_SOURCE", tmp_path / "config.json")
    files = build.collect(["http://127.0.0.1:9000"])
    assert json.loads(files["static/config.json"]) == config
    assert directive(built_policy(files), "connect-src") == [
        "'self'", "https://api.example.com", "wss://push.example.com:8443",
        "https://staging.example.com", "wss://staging.example.com", "http://127.0.0.1:9000"]


def test_a_bad_connect_src_stops_the_build_in_one_line(fake_runtime, tmp_path, capsys):
    for bad in ("https://api.example.com/path", "api.example.com", "https://a.example.com;script-src *",
                "'unsafe-inline'", "ftp://a.example.com"):
        with pytest.raises(build.BuildError, match="--connect-src"):
            build.collect([bad])
    assert build.main(["--out", str(tmp_path / "x"), "--connect-src", "*"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("build: error: --connect-src") and err.count("\n") == 1
    assert not (tmp_path / "x").exists()


def test_the_headers_file_carries_what_only_a_server_can_send(fake_runtime):
    text = build.collect()["_headers"].decode()
    rules: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        if not line.startswith(" "):
            rules[line] = {}
            current = rules[line]
        else:
            name, _, value = line.strip().partition(": ")
            current[name] = value
    every = rules["/*"]
    assert every["Content-Security-Policy"] == "frame-ancestors 'none'" and every["X-Frame-Options"] == "DENY"
    assert every["Strict-Transport-Security"].startswith("max-age=") and int(
        every["Strict-Transport-Security"].split("=")[1]) >= 180 * 86400
    assert every["X-Content-Type-Options"] == "nosniff" and every["Referrer-Policy"] == "no-referrer"
    assert "camera=()" in every["Permissions-Policy"] and "geolocation=()" in every["Permissions-Policy"]
    assert "Cache-Control" not in every  # per path below, never twice for one file
    assert rules["/index.html"] == rules["/"] == rules["/static/config.json"] == {"Cache-Control": "no-cache"}
    assert rules["/assets/*"]["Cache-Control"] == rules["/runtime/*"]["Cache-Control"] == \
        "public, max-age=31536000, immutable"


# --- the .br and .gz copies (issue 13) ---------------------------------------------------------


@needs_runtime
def test_every_compressible_file_has_brotli_and_gzip_copies_that_decode_to_it(dist):
    import gzip

    import brotli

    info = json.loads((dist / "BUILD-INFO.json").read_text())
    copies = copies_in(dist)
    assert copies, "the build wrote no encoded copies"
    for path in copies:
        original = path.rsplit(".", 1)[0]
        data = (dist / original).read_bytes()
        encoded = (dist / path).read_bytes()
        decoded = brotli.decompress(encoded) if path.endswith(".br") else gzip.decompress(encoded)
        assert decoded == data, path
        assert len(encoded) <= len(data) * (1 - compress.MIN_SAVING), path
        encoding = "br" if path.endswith(".br") else "gzip"
        assert info["encoded"][original][encoding] == len(encoded)
    (runtime,) = list((dist / "runtime").iterdir())
    base = f"runtime/{runtime.name}/pyodide/"
    for name in ("pyodide.asm.wasm", "pyodide.asm.mjs", "pyodide-lock.json"):
        assert {base + name + ".br", base + name + ".gz"} <= copies, name
    for path in ("index.html", "static/config.json"):
        assert {path + ".br", path + ".gz"} <= copies or len((dist / path).read_bytes()) < compress.MIN_BYTES


@needs_runtime
def test_the_stored_wheels_get_copies_and_small_files_none(dist):
    copies = copies_in(dist)
    # scripts/vendor.py stores the wheels' entries uncompressed, so that brotli has work to do.
    big_wheels = [p for p in files_in(dist) if p.endswith(".whl") and (dist / p).stat().st_size > 100_000]
    assert big_wheels and all(p + ".br" in copies for p in big_wheels)
    small = [p for p in files_in(dist) if (dist / p).stat().st_size < compress.MIN_BYTES]
    assert small and not [p for p in small if p + ".br" in copies or p + ".gz" in copies]


def test_variants_keep_only_the_copies_that_pay():
    text = b"deliveries " * 500
    got = compress.variants("static/app.css", text, "fast", cache=None)
    assert set(got) == {"br", "gzip"} and all(len(v) < len(text) / 10 for v in got.values())
    noise = random.Random(13).randbytes(3200)  # bytes that do not compress
    assert compress.variants("static/app.js", noise, "fast", cache=None) == {}  # a deflated zip is like this
    assert compress.variants("static/logo.png", text, "fast", cache=None) == {}  # not a compressible type
    assert compress.variants("static/a.css", b"p{}" * 10, "fast", cache=None) == {}  # too small to bother


def test_the_cache_serves_a_second_encoding_without_encoding_again(tmp_path, monkeypatch):
    data = (b"snapshot heap " * 10_000)[: compress.CACHE_FROM + 10]
    first = compress.cached(data, "br", "fast", tmp_path)
    assert len(list(tmp_path.iterdir())) == 1
    monkeypatch.setattr(compress, "encode", lambda *a: pytest.fail("encoded twice"))
    assert compress.cached(data, "br", "fast", tmp_path) == first
    assert compress.lookup(hashlib.sha256(data).hexdigest(), "br", tmp_path) == first
    assert compress.lookup(hashlib.sha256(b"other").hexdigest(), "br", tmp_path) is None


def test_a_build_without_compression_writes_no_copies(fake_runtime, tmp_path, monkeypatch):
    monkeypatch.setattr(build, "snapshot_files", lambda: {})
    info = build.build(tmp_path / "plain", None)
    assert copies_in(tmp_path / "plain") == set() and "encoded" not in info
