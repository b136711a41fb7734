"""app/web/runtime.py: the seam falls back to the fake page under CPython, and every proxy has an owner."""

import pytest

from app.web import fake_dom
from app.web.runtime import IN_BROWSER, ProxyOwner, document, js, js_object, window


def test_under_cpython_the_seam_is_the_fake_page():
    assert not IN_BROWSER
    assert isinstance(document, fake_dom.Document) and document is js.document and window.document is document


def test_an_owner_counts_its_proxies_and_frees_them_together():
    before = ProxyOwner.live()
    owner = ProxyOwner("test")
    calls = []
    first, second = owner.proxy(lambda: calls.append(1)), owner.proxy(lambda: calls.append(2))
    first()
    assert calls == [1] and ProxyOwner.live() == before + 2
    owner.destroy()
    assert ProxyOwner.live() == before
    for freed in (first, second):
        with pytest.raises(RuntimeError, match="destroyed"):
            freed()
    owner.destroy()  # twice is harmless
    assert ProxyOwner.live() == before


def test_js_object_makes_a_plain_object_from_a_dict():
    assert js_object({"method": "GET"}) == {"method": "GET"}
