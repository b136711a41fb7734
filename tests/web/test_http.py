"""app/web/http.py: one awaitable fetch, an unanswered request as NetworkError, a prefetched GET taken when allowed."""

import asyncio
from types import SimpleNamespace

import pytest

from app.web import http
from app.web.runtime import js


class Answer:
    def __init__(self, status: int, text: str):
        self.status = status
        self._text = text

    async def text(self):
        return self._text


@pytest.fixture
def fetches(monkeypatch):
    seen = []

    async def fetch(url, options):
        seen.append((url, options))
        if url.endswith("/down"):
            raise RuntimeError("TypeError: Failed to fetch")
        return Answer(201, '{"ok": true}')

    monkeypatch.setattr(js, "fetch", fetch, raising=False)
    monkeypatch.setattr(js, "globalThis", SimpleNamespace(), raising=False)  # no prefetch hub in this page
    return seen


def run(coroutine):
    return asyncio.get_event_loop().run_until_complete(coroutine)


def test_a_request_answers_status_and_text_and_sends_no_cookies(fetches):
    answer = run(http.request("POST", "http://127.0.0.1/api/x", {"Authorization": "Bearer t"}, '{"a": 1}'))
    assert answer == (201, '{"ok": true}')
    url, options = fetches[0]
    assert options["method"] == "POST" and options["body"] == '{"a": 1}'
    assert options["credentials"] == "omit" and options["cache"] == "no-store"
    assert options["headers"] == {"Authorization": "Bearer t"}


def test_no_answer_is_a_network_error(fetches):
    with pytest.raises(http.NetworkError, match="Failed to fetch"):
        run(http.request("GET", "http://127.0.0.1/down"))


def test_a_get_takes_the_boot_prefetch_only_when_it_may(fetches, monkeypatch):
    reports = []
    url = "http://127.0.0.1:8000/api/snapshot"

    async def take(absolute):
        return SimpleNamespace(url=absolute, authorization="Bearer t", status=200, text='{"seq": 1}', error="",
                               ageMs=10.0)

    monkeypatch.setattr(js, "globalThis", SimpleNamespace(dcPrefetch=SimpleNamespace(
        take=take, report=lambda absolute, verdict: reports.append(verdict))), raising=False)
    monkeypatch.setattr(js, "location", SimpleNamespace(href="http://127.0.0.1:8000/"), raising=False)
    monkeypatch.setattr(js, "URL", SimpleNamespace(new=lambda u, base: SimpleNamespace(href=u)), raising=False)
    assert run(http.request("GET", url, {"Authorization": "Bearer t"})) == (200, '{"seq": 1}')
    assert fetches == [] and reports == ["used"]
    assert run(http.request("GET", url, {"Authorization": "Bearer other"})) == (201, '{"ok": true}')
    assert len(fetches) == 1 and reports[-1] != "used"
