"""Every example in a docstring under app/ runs (app/web through the runtime seam's fake page)."""

import doctest
import importlib
import pkgutil

import pytest

import app

#: ``app.web.main`` starts the app when imported (PyScript runs it), so it is not imported here.
MODULES = sorted(info.name for info in pkgutil.walk_packages(app.__path__, "app.") if info.name != "app.web.main")


def test_every_module_is_found():
    assert "app.delivery_table" in MODULES and "app.web.panels.deliveries.panel" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"
