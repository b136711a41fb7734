"""The browser only sees the modules pyscript.toml lists: keep the list whole."""

import tomllib
from pathlib import Path

from scripts.pyscript_files import ROOT, app_files, expected_config

CONFIG = ROOT / "pyscript.toml"


def test_files_table_lists_every_app_module():
    assert CONFIG.read_text() == expected_config(), "run: python scripts/pyscript_files.py --write"


def test_config_points_at_the_vendored_runtime_only():
    config = tomllib.loads(CONFIG.read_text())
    assert config["interpreter"].startswith("./static/vendor/")
    assert config["packages_cache"] == "passthrough"
    for url in list(config["files"]) + [config["interpreter"]]:
        assert "://" not in url and not url.startswith("//"), url
    assert set(config["files"]) == {f"./{p}" for p in app_files()}


def test_no_module_outside_the_shell_imports_the_browser():
    for path in (ROOT / "app").glob("*.py"):
        text = path.read_text()
        for banned in ("import js", "from js", "pyodide", "pyscript"):
            assert banned not in text.replace("PyScript", "").replace("Pyodide", ""), f"{path.name}: {banned}"


def test_no_inner_html_anywhere_in_the_app():
    for path in list((ROOT / "app").rglob("*.py")) + list((ROOT / "static" / "js").glob("*.mjs")):
        assert "innerHTML" not in path.read_text().replace("no ``innerHTML``", ""), path
