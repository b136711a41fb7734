"""scripts/build.py: one folder with what the page needs, every reference resolving, nothing else."""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
import tomllib
from pathlib import Path

import pytest

from scripts import build, pyscript_files, vendor

needs_runtime = pytest.mark.skipif(not (build.VENDOR / "pyodide" / "pyodide.asm.wasm").is_file(),
                                   reason="static/vendor/ is not there: run python scripts/vendor.py")


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build") / "dist"
    build.build(out)
    return out


def files_in(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def refs_in_html(text: str) -> list[str]:
    return [m["url"] for m in build.HTML_REF.finditer(text) if not build.is_external(m["url"])]


def resolves(root: Path, from_file: str, url: str) -> bool:
    target = posixpath.normpath(posixpath.join(posixpath.dirname(from_file), url.split("?")[0].split("#")[0]))
    return not target.startswith("../") and (root / target).is_file()


@needs_runtime
def test_the_top_level_is_the_page_its_config_and_two_hashed_folders(dist):
    top = sorted(p.name for p in dist.iterdir())
    assert top == ["BUILD-INFO.json", "assets", "index.html", "runtime", "static"]
    assert [p.name for p in (dist / "static").iterdir()] == ["config.json"]
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
def test_pyscript_toml_points_at_the_runtime_and_every_module_relative_to_itself(dist):
    (toml_path,) = list(dist.glob("assets/*/pyscript.toml"))
    here = toml_path.relative_to(dist).as_posix()
    config = tomllib.loads(toml_path.read_text())
    assert config["interpreter"].startswith("../../runtime/") and config["interpreter"].endswith("/pyodide.mjs")
    assert resolves(dist, here, config["interpreter"])
    assert set(config["files"]) == {f"./{p}" for p in pyscript_files.app_files()}
    assert [url for url in config["files"] if not resolves(dist, here, url)] == []
    assert config["packages"] == ["pydantic"] and config["packages_cache"] == "passthrough"


@needs_runtime
def test_js_and_css_references_resolve_inside_the_build(dist):
    broken = []
    for path in dist.glob("assets/*/static/**/*"):
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


@needs_runtime
def test_the_runtime_is_exactly_pyscript_dist_and_the_pyodide_files(dist):
    (runtime,) = list((dist / "runtime").iterdir())
    shipped = files_in(runtime)
    lock = vendor.load_lock()
    pyodide = {f"pyodide/{name}" for name in vendor.PYODIDE_FILES} | {f"pyodide/{w['file']}" for w in lock["wheels"]}
    pyscript = {f"pyscript/dist/{p.name}" for p in (build.VENDOR / "pyscript" / "dist").iterdir()
                if p.suffix in (".js", ".css")}
    assert shipped == pyodide | pyscript
    assert "pyscript/dist/core.js" in shipped and "pyodide/pyodide.asm.wasm" in shipped
    for name in shipped:
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
    assert python == {f"assets/{assets.name}/{p}" for p in pyscript_files.app_files()}
    allowed = {".html", ".json", ".toml", ".py", ".css", ".js", ".mjs", ".svg", ".png", ".ico", ".webp",
               ".woff2", ".wasm", ".zip", ".whl"}
    assert {Path(p).suffix for p in shipped} <= allowed


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
    build.build(out)
    (out / "assets" / "stale-file").write_text("left from an older build")
    build.build(out)  # a previous build (it has BUILD-INFO.json) is replaced whole
    assert files_in(out) == files_in(dist)
    assert (out / "BUILD-INFO.json").read_bytes() == (dist / "BUILD-INFO.json").read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["again"]  # no staging folder left behind


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
            'const m = import("https://example.com/x.js");')
    out = build.rewrite_runtime_refs("static/js/x.mjs", text, build.JS_IMPORT, "runtime/abc")
    assert '"./bridge.mjs"' in out and '"https://example.com/x.js"' in out
    assert '"../../../../runtime/abc/pyscript/dist/core.js"' in out
