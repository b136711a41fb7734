"""Tests mirror modules: every ``app/**/name.py`` has its ``tests/**/test_name.py`` at the same place.

``app/x.py`` -> ``tests/test_x.py``; ``app/web/panels/x.py`` ->
``tests/web/panels/test_x.py``. More test modules than that are welcome
(a behaviour across modules has a file of its own); a module without its
mirror is what this catches. The one exemption runs at import.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"
EXEMPT = {
    "app/web/main.py": "the boot: it runs at import, in the browser only (tests/e2e/test_start.py boots it)",
}


def mirror(module: Path) -> Path:
    relative = module.relative_to(APP)
    return ROOT / "tests" / relative.parent / f"test_{relative.name}"


def modules() -> list[Path]:
    return sorted(path for path in APP.rglob("*.py") if path.name != "__init__.py")


def test_every_module_in_app_has_its_mirror_test_module():
    missing = [f"{module.relative_to(ROOT)} -> {mirror(module).relative_to(ROOT)}" for module in modules()
               if str(module.relative_to(ROOT)) not in EXEMPT and not mirror(module).exists()]
    assert not missing, "modules without their mirror test module:\n" + "\n".join(missing)


def test_the_exemptions_name_modules_that_exist_and_have_no_mirror():
    for name in EXEMPT:
        assert (ROOT / name).exists(), name
        assert not mirror(ROOT / name).exists(), f"{name} has its mirror now: drop the exemption"


def test_the_mirror_of_a_nested_module():
    assert mirror(APP / "web" / "panels" / "deliveries" / "rows.py") == \
        ROOT / "tests" / "web" / "panels" / "deliveries" / "test_rows.py"
