"""The browser only sees the modules pyscript.toml lists: keep the list whole."""

import re
import tomllib

from scripts.pyscript_files import CPYTHON_ONLY, ROOT, app_files, expected_config

CONFIG = ROOT / "pyscript.toml"


def test_files_table_lists_every_app_module():
    assert CONFIG.read_text() == expected_config(), "run: python scripts/pyscript_files.py --write"


#: Every module specifier a JS file names: static and dynamic imports, ``import.meta.resolve``.
SPECIFIER = re.compile(r"""(?:\b(?:import|from)\s*\(?\s*|\bimport\.meta\.resolve\(\s*)["']([^"']+)["']""")


def test_config_points_at_the_vendored_runtime_only():
    """The interpreter is our loader (static/js/), and the loader reaches nothing but the vendored Pyodide."""
    config = tomllib.loads(CONFIG.read_text())
    assert config["interpreter"].startswith("./static/js/") and config["interpreter"].endswith(".mjs")
    loader = (CONFIG.parent / config["interpreter"]).read_text()
    specifiers = SPECIFIER.findall(loader)
    assert "../vendor/pyodide/pyodide.mjs" in specifiers, "the loader must import the vendored Pyodide"
    assert re.search(r"""import\.meta\.resolve\(\s*["']\.\./vendor/pyodide/""", loader), "and find its folder"
    assert [s for s in specifiers if not s.startswith(("../vendor/pyodide/", "./"))] == []
    assert not re.search(r"""["'`](?:https?:)?//""", loader), "no URL of another origin"
    assert config["packages_cache"] == "passthrough"
    for url in list(config["files"]) + [config["interpreter"]]:
        assert "://" not in url and not url.startswith("//"), url
    assert set(config["files"]) == {f"./{p}" for p in app_files()}


BROWSER_IMPORT = re.compile(r"^\s*(import|from)\s+(js|pyodide|pyscript)\b", re.MULTILINE)
HTML_SINK = re.compile(r"\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write")


def test_the_pure_core_never_imports_the_browser():
    for path in (ROOT / "app").glob("*.py"):
        assert not BROWSER_IMPORT.search(path.read_text()), path.name


def test_only_the_runtime_seam_imports_the_browser():
    for path in (ROOT / "app" / "web").rglob("*.py"):
        if path.name != "runtime.py":
            assert not BROWSER_IMPORT.search(path.read_text()), path.name


def test_no_html_sink_anywhere_in_the_app():
    for path in list((ROOT / "app").rglob("*.py")) + list((ROOT / "static" / "js").glob("*.mjs")):
        assert not HTML_SINK.search(path.read_text()), path


#: A line that imports a module of ``CPYTHON_ONLY`` (``from app.web import fake_dom``, ``import app.web.fake_dom``).
def _imports(module: str) -> re.Pattern:
    package, _, name = module.rpartition(".")
    return re.compile(rf"^\s*(from\s+{re.escape(package)}\s+import\s+.*\b{name}\b|import\s+{re.escape(module)}\b)",
                      re.MULTILINE)


def test_the_modules_left_out_of_the_page_exist_and_only_the_seams_fallback_imports_them():
    """The browser never gets ``CPYTHON_ONLY``: no module it gets may import one, but the runtime seam's
    CPython branch (tests/e2e boots the app without them)."""
    runtime = (ROOT / "app" / "web" / "runtime.py").read_text()
    browser, fallback = runtime.split("except ImportError:", 1)
    fallback = fallback.split("\n\n", 1)[0]
    assert _imports("app.web.fake_dom").search(fallback)
    for path in CPYTHON_ONLY:
        assert (ROOT / path).exists(), path
        module = path.removesuffix(".py").replace("/", ".")
        for shipped in app_files():
            text = browser if shipped == "app/web/runtime.py" else (ROOT / shipped).read_text()
            assert not _imports(module).search(text), f"{shipped} imports {module}, which the page does not get"
