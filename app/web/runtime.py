"""The seam: the one module that imports the browser (``js``, ``pyodide.ffi``).

Other shell modules take ``document``, ``window`` and proxies from here, so the
browser bindings are named in one place and every proxy has an owner.

    owner = ProxyOwner("socket")
    callback = owner.proxy(on_open)   # hand ``callback`` to JS
    ...
    owner.destroy()                   # frees every proxy it created

``ProxyOwner.live()`` is the count of proxies created and not yet destroyed;
the diagnostics panel shows it, and the leak test checks it stays flat.

Under CPython (pytest, tools) there is no ``js``: the seam falls back to
``app.web.fake_dom`` (``IN_BROWSER`` is False), a small document and the
page's globals, so every shell module imports and its panels render in a
test. ``js.document`` is that fake document; tests read and click it.
"""

from __future__ import annotations

try:
    import js  # noqa: F401  (re-exported)
    from pyodide.ffi import JsProxy, create_once_callable, create_proxy, to_js  # noqa: F401

    IN_BROWSER = True
except ImportError:  # CPython: the fake browser
    from app.web import fake_dom

    js = fake_dom.browser()
    JsProxy = fake_dom.Proxy
    create_once_callable, create_proxy, to_js = fake_dom.create_once_callable, fake_dom.create_proxy, fake_dom.to_js
    IN_BROWSER = False

document = js.document
window = js.window


async def open_storage(name: str):
    """PyScript's IndexedDB-backed dict (``pyscript.storage``), opened and loaded."""
    from pyscript import storage

    return await storage(name)


def js_object(mapping: dict):
    """A plain JS object from a dict (not a Map), e.g. for ``fetch`` options."""
    return to_js(mapping, dict_converter=js.Object.fromEntries)


class ProxyOwner:
    """Owns the Pyodide proxies one thing created and destroys them together."""

    _live = 0

    def __init__(self, name: str):
        self.name = name
        self._proxies: list = []

    def proxy(self, fn):
        made = create_proxy(fn)
        self._proxies.append(made)
        ProxyOwner._live += 1
        return made

    def destroy(self) -> None:
        proxies, self._proxies = self._proxies, []
        for made in proxies:
            made.destroy()
        ProxyOwner._live -= len(proxies)

    @classmethod
    def live(cls) -> int:
        return cls._live
