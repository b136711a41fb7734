"""app/prefetch.py: which request may take the answer fetched during boot, and when it must ask again."""

from __future__ import annotations

import pytest

from app.prefetch import MAX_AGE_MS, Prefetched, verdict

URL = "http://127.0.0.1:8000/api/snapshot"
AUTH = {"Authorization": "Bearer t1", "Accept": "application/json"}


def answer(**changes) -> Prefetched:
    fields = {"url": URL, "authorization": "Bearer t1", "status": 200, "text": '{"seq": 4}', "error": "",
              "age_ms": 120.0}
    return Prefetched(**(fields | changes))


def test_the_matching_request_uses_a_fresh_answer():
    assert verdict(answer(), "GET", URL, AUTH) == "used"
    assert verdict(answer(), "get", URL, {"authorization": "Bearer t1"}) == "used"


def test_config_json_has_no_token_on_either_side():
    config = "http://127.0.0.1:8000/static/config.json"
    assert verdict(answer(url=config, authorization=None), "GET", config, None) == "used"
    assert verdict(answer(url=config, authorization=""), "GET", config, {}) == "used"


@pytest.mark.parametrize("method, url, headers", [
    ("POST", URL, AUTH),  # never a command
    ("GET", URL + "?x=1", AUTH),  # another URL
    ("GET", URL, {"Authorization": "Bearer t2"}),  # another session (signed in again since)
    ("GET", URL, {}),  # no token at all
])
def test_another_request_asks_the_server(method, url, headers):
    assert verdict(answer(), method, url, headers) == "other"


def test_nothing_prefetched_is_other():
    assert verdict(None, "GET", URL, AUTH) == "other"


@pytest.mark.parametrize("changes", [{"status": 401}, {"status": 503}, {"status": 0, "error": "TypeError: Failed"}])
def test_a_failed_prefetch_falls_back_to_a_request(changes):
    assert verdict(answer(**changes), "GET", URL, AUTH) == "failed"


def test_a_stale_answer_falls_back_to_a_request():
    assert verdict(answer(age_ms=MAX_AGE_MS + 1), "GET", URL, AUTH) == "stale"
    assert verdict(answer(age_ms=MAX_AGE_MS - 1), "GET", URL, AUTH) == "used"
